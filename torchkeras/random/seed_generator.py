"""`SeedGenerator`: the state behind `keras.random`'s seeds, and how a `seed` argument is drawn.

Random functions are stateless given an integer seed (same seed, same values). A `SeedGenerator`
holds a `(2,)` int32 state `[seed, counter]`; each `next()` returns the state and advances the
counter, so successive calls differ yet a run is reproducible. `seed=None` draws from a global
generator that `keras.utils.set_random_seed` resets. Seeds become a `torch.Generator` exactly as in
Keras's torch backend (`(seed + counter) & 0xFFFFFFFF`), so seeded values equal Keras's on the CPU.
"""

from __future__ import annotations

import random as python_random
from typing import Any, Union

import torch

from torchkeras import config
from torchkeras.layers.variable import Variable
from torchkeras.utils.naming import unique_name

__all__ = [
    "Seed",
    "SeedGenerator",
    "draw_seed",
    "global_seed_generator",
    "global_seed_state",
    "make_generator",
    "seed_value",
    "set_global_seed_state",
]

Seed = Union[int, "SeedGenerator", None]  # noqa: UP007 (a runtime alias)

_GLOBAL: dict[str, Any] = {"generator": None, "reset_count": -1}


def _wrap_int32(value: int) -> int:
    return ((value & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000


class SeedGenerator:
    """Generates a new seed on each call of a random function that receives it.

    Args:
        seed: initial integer seed; `None` picks one at random (from Python's `random`, so
            `keras.utils.set_random_seed` makes it reproducible).
        name: optional name (auto-generated as `seed_generator`, `seed_generator_1`, ...).

    Example:
    ```python
    seed_gen = keras.random.SeedGenerator(seed=42)
    a = keras.random.normal((2, 3), seed=seed_gen)
    b = keras.random.normal((2, 3), seed=seed_gen)  # differs from `a`; a rerun repeats both
    ```
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any):
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self.name = name or unique_name(type(self).__name__)
        self._initial_seed = seed
        if seed is None:
            seed = python_random.randint(1, int(1e9))
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed!r}")
        # Kept on the CPU: drawing a seed reads it on the host, which must not wait for a device.
        initial = torch.tensor([_wrap_int32(seed), 0], dtype=torch.int32)
        self.state = Variable(
            initial, trainable=False, name="seed_generator_state", path=f"{self.name}/state"
        )

    def next(self, ordered: bool = True) -> torch.Tensor:
        """Returns the current state and advances it (`[s, c]` -> `[s, c + 1]`; with
        `ordered=False`, a scrambling update used by the global generator)."""
        current = self.state.detach().clone()
        if ordered:
            self.state.assign(current + torch.tensor([0, 1], dtype=torch.int32))
        else:
            self.state.assign((current.long() + 1) * 5387 % 933199)
        return current

    def get_config(self) -> dict[str, Any]:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config_dict: dict[str, Any]) -> SeedGenerator:
        return cls(**config_dict)

    def __repr__(self) -> str:
        return f"<SeedGenerator name={self.name} seed={self._initial_seed}>"


def global_seed_generator() -> SeedGenerator:
    """The generator behind `seed=None`; recreated after each `set_random_seed`."""
    reset_count = config.random_seed_resets()
    if _GLOBAL["generator"] is None or _GLOBAL["reset_count"] != reset_count:
        _GLOBAL["generator"] = SeedGenerator()
        _GLOBAL["reset_count"] = reset_count
    return _GLOBAL["generator"]


def global_seed_state() -> list[int] | None:
    """The global generator's `[seed, counter]`, or `None` when nothing has drawn from it since
    the last `set_random_seed` (reading it creates nothing)."""
    if _GLOBAL["generator"] is None or _GLOBAL["reset_count"] != config.random_seed_resets():
        return None
    return [int(v) for v in _GLOBAL["generator"].state.tolist()]


def set_global_seed_state(state: list[int] | None) -> None:
    """Restores `global_seed_state()`: `None` leaves the generator to be created at the next draw.

    Raises:
        ValueError: when `state` is not two int32 values.
    """
    if state is not None and not (
        isinstance(state, list)
        and len(state) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and -(2**31) <= v < 2**31 for v in state)
    ):
        raise ValueError(f"A SeedGenerator state is two int32 values. Received: {state!r}")
    if state is None:
        _GLOBAL["generator"] = None
        return
    generator = SeedGenerator(seed=0)  # no draw from Python's `random`: the state is set below
    generator.state.assign(torch.tensor(state, dtype=torch.int32))
    _GLOBAL["generator"] = generator
    _GLOBAL["reset_count"] = config.random_seed_resets()


def draw_seed(seed: Seed) -> torch.Tensor:
    """The `(2,)` int32 seed for one random call: an int gives `[seed, 0]` every time, a
    `SeedGenerator` its next state, `None` the global generator's next state."""
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, int) and not isinstance(seed, bool):
        return torch.tensor([_wrap_int32(seed), 0], dtype=torch.int32)
    if seed is None:
        return global_seed_generator().next(ordered=False)
    raise ValueError(
        "Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
        f"Received: seed={seed!r} (of type {type(seed)})"
    )


def _in_shape_inference() -> bool:
    from torch._guards import detect_fake_mode

    return detect_fake_mode() is not None


def seed_value(seed: Seed) -> int | None:
    """The integer a torch generator is seeded with for one random call (advancing a
    `SeedGenerator`); None during shape inference on fake tensors, where no state may move.
    Under `torch.compile` it runs eagerly (a graph break): the state advances on every call."""
    if torch.compiler.is_compiling():
        return _eager_seed_value(seed)
    return _seed_value(seed)


def _eager_seed_value(seed: Seed) -> int | None:
    # `torch.compiler.disable` imports torch._dynamo, which `import torchkeras` must not pay for:
    # it is applied on the first call made while compiling (when dynamo is loaded anyway).
    global _disabled_seed_value
    if _disabled_seed_value is None:
        _disabled_seed_value = torch.compiler.disable(_seed_value)
    return _disabled_seed_value(seed)


_disabled_seed_value = None


def _seed_value(seed: Seed) -> int | None:
    if _in_shape_inference():
        return None
    first, second = draw_seed(seed).tolist()
    return (first + second) & 0xFFFFFFFF


def make_generator(seed: Seed, device: torch.device | str | None = None) -> torch.Generator | None:
    """A `torch.Generator` on `device` seeded from `seed` (None during shape inference)."""
    value = seed_value(seed)
    if value is None:
        return None
    return torch.Generator(device=device or torch.get_default_device()).manual_seed(value)
