"""`DTypePolicyMap`: a dict of layer paths (or regexes over them) to dtype policies."""

from __future__ import annotations

import re
from collections.abc import Iterator, MutableMapping
from typing import Any

from torchkeras.dtype_policies.quantized_policies import QuantizedDTypePolicy
from torchkeras.mixed_precision import DTypePolicy, global_policy

__all__ = ["DTypePolicyMap"]


def _policy(identifier: Any) -> DTypePolicy:
    """A policy from a policy, a name or Keras's serialized dict (the package's `get`)."""
    from torchkeras import dtype_policies  # the package imports this module

    return dtype_policies.get(identifier)


class DTypePolicyMap(DTypePolicy, MutableMapping):
    """Maps layer paths to `DTypePolicy` instances; used as a layer's `dtype` to give parts of it
    (or the layers of a model) their own policies, e.g. quantized ones.

    A key is matched exactly first, then as a regular expression (`re.fullmatch`) over the path;
    a path matching no key gets `default_policy`.

    Args:
        default_policy: the policy of unmatched paths (a policy or a name); the global policy
            by default.
        policy_map: an optional dict of path (or regex) to policy.

    Example:
    ```python
    policy_map = keras.dtype_policies.DTypePolicyMap(default_policy="float32")
    policy_map["encoder/.*"] = "bfloat16"
    policy_map["encoder/attention"].name  # "bfloat16"
    ```
    """

    def __init__(self, default_policy: Any = None, policy_map: dict[str, Any] | None = None):
        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("`default_policy` cannot be a `DTypePolicyMap`.")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(
                "If specified, `policy_map` must be a dict. "
                f"Received: policy_map={policy_map} of type {type(policy_map)}"
            )
        self._default_policy_arg = default_policy
        self._default_policy = None if default_policy is None else _policy(default_policy)
        self._policy_map: dict[str, DTypePolicy] = {}
        for key, policy in (policy_map or {}).items():
            self[key] = policy

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"map_{self.default_policy.name}"

    @property
    def default_policy(self) -> DTypePolicy:
        """The policy of paths no key matches (the global policy when none was given)."""
        return self._default_policy if self._default_policy is not None else global_policy()

    @property
    def variable_dtype(self) -> str:
        return self.default_policy.variable_dtype

    @property
    def compute_dtype(self) -> str:
        return self.default_policy.compute_dtype

    @property
    def is_mixed(self) -> bool:
        return self.default_policy.is_mixed

    @property
    def quantization_mode(self) -> str | None:  # type: ignore[override]
        return self.default_policy.quantization_mode

    def __getitem__(self, key: str) -> DTypePolicy:
        """The policy of path `key`: its exact entry, else the one regex key it fully matches,
        else `default_policy`. Raises `ValueError` when several regex keys match."""
        if key in self._policy_map:
            return self._policy_map[key]
        matching = [pattern for pattern in self._policy_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple dtype policy specification keys: {matching}. Please make "
                "sure each path only matches at most one dtype policy specification key in the "
                "DTypePolicyMap."
            )
        return self._policy_map[matching[0]] if matching else self.default_policy

    def __setitem__(self, key: str, policy: Any) -> None:
        if key in self._policy_map:
            raise ValueError(
                f"{key} already exist in the DTypePolicyMap with value {self._policy_map[key]}. "
                "Please make sure to not use duplicated keys."
            )
        try:
            policy = _policy(policy)
        except Exception:
            raise ValueError(
                "Cannot interpret the assigned value by `keras.dtype_policies.get`. "
                f"Received: {policy} of type {type(policy)}"
            ) from None
        self._policy_map[key] = policy

    def __delitem__(self, key: str) -> None:
        del self._policy_map[key]

    def __contains__(self, key: object) -> bool:
        return key in self._policy_map

    def __len__(self) -> int:
        return len(self._policy_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._policy_map)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DTypePolicyMap)
            and other._default_policy_arg == self._default_policy_arg
            and other._policy_map == self._policy_map
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def get_config(self) -> dict[str, Any]:
        """Keras's config. Without a `default_policy`, the entries are written without their
        source names, so that they follow the global policy of whoever loads them (Keras's rule;
        unlike Keras, the map itself is left unchanged)."""
        from torchkeras import dtype_policies

        policy_map = {}
        for key, policy in self._policy_map.items():
            serialized = dtype_policies.serialize(policy)
            if self._default_policy_arg is None:
                inner = dict(serialized["config"])
                inner["source_name" if isinstance(policy, QuantizedDTypePolicy) else "name"] = None
                serialized = {**serialized, "config": inner}
            policy_map[key] = serialized
        default = self._default_policy_arg
        if isinstance(default, DTypePolicy):
            default = dtype_policies.serialize(default)
        return {"default_policy": default, "policy_map": policy_map}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DTypePolicyMap:
        policy_map = {key: _policy(value) for key, value in (config.get("policy_map") or {}).items()}
        return cls(default_policy=config.get("default_policy"), policy_map=policy_map)

    def __repr__(self) -> str:
        default = self._default_policy.name if self._default_policy is not None else None
        mapping = [(key, policy.name) for key, policy in self._policy_map.items()]
        return f"<DTypePolicyMap at {hex(id(self))} default_policy={default}, mapping={mapping}>"
