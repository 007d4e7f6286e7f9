"""The policies of GPTQ and AWQ layers: `GPTQDTypePolicy` (`"gptq/<bits>/<group_size>"`) and
`AWQDTypePolicy` (`"awq/4/<group_size>"`), which carry the settings a saved layer is rebuilt with."""

from __future__ import annotations

from typing import Any

from torchkeras.dtype_policies.quantized_policies import QuantizedDTypePolicy, register_quantized_policy

__all__ = ["AWQDTypePolicy", "GPTQDTypePolicy"]


class _CalibratedDTypePolicy(QuantizedDTypePolicy):
    """`"<mode>/<weight_bits>/<group_size>_from_<source>"`, checked against the mode's bit widths."""

    _mode = ""
    _bits: tuple[int, ...] = ()
    _bits_message = ""

    def __init__(self, mode: str, source_name: str | None = None):
        owner = type(self).__name__
        expected = f"'{self._mode}/<weight_bits>/<group_size>'"
        parts = mode.split("/") if isinstance(mode, str) else []
        if len(parts) != 3 or parts[0] != self._mode:
            raise ValueError(f"Invalid mode for {owner}. Expected format {expected}, but got '{mode}'.")
        try:
            weight_bits, group_size = int(parts[1]), int(parts[2])
        except ValueError:
            raise ValueError(
                f"Invalid mode for {owner}. <weight_bits> and <group_size> must be integers. "
                f"Expected format {expected}, but got '{mode}'."
            ) from None
        if weight_bits not in self._bits:
            raise ValueError(
                f"Invalid weight_bits in mode. {self._bits_message}, but got {weight_bits} from '{mode}'."
            )
        if group_size < -1 or group_size == 0:
            raise ValueError(
                "Invalid group_size in mode. Supported values are -1 (one group) or a positive integer, "
                f"but got {group_size} from '{mode}'."
            )
        super().__init__(self._mode, source_name)
        self.name = f"{self._mode}/{weight_bits}/{group_size}_from_{self.source_name}"
        self.mode = self._mode
        self.weight_bits = weight_bits
        self.group_size = group_size

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": f"{self._mode}/{self.weight_bits}/{self.group_size}"}


class GPTQDTypePolicy(_CalibratedDTypePolicy):
    """The policy of a GPTQ-quantized layer, `"gptq/<weight_bits>/<group_size>_from_<source>"`.

    A saved GPTQ layer is rebuilt from it: `weight_bits` (2, 3, 4 or 8) and `group_size` (-1 or
    a positive integer) size its quantized variables.

    Args:
        mode: `"gptq/<weight_bits>/<group_size>"`, e.g. `"gptq/4/128"`.
        source_name: the policy before quantization; the global policy by default.

    Example:
    ```python
    policy = keras.dtype_policies.GPTQDTypePolicy("gptq/4/128", "float32")
    policy.name  # "gptq/4/128_from_float32"
    ```
    """

    _mode = "gptq"
    _bits = (2, 3, 4, 8)
    _bits_message = "Supported values are 2, 3, 4, and 8"


class AWQDTypePolicy(_CalibratedDTypePolicy):
    """The policy of an AWQ-quantized layer, `"awq/4/<group_size>_from_<source>"`.

    Args:
        mode: `"awq/4/<group_size>"` (AWQ quantizes to 4 bits only), e.g. `"awq/4/128"`.
        source_name: the policy before quantization; the global policy by default.
    """

    _mode = "awq"
    _bits = (4,)
    _bits_message = "AWQ only supports 4-bit quantization"


for _mode, _cls in (("gptq", GPTQDTypePolicy), ("awq", AWQDTypePolicy)):
    register_quantized_policy(_mode, _cls)
    register_quantized_policy(f"{_mode}/", _cls)
