"""`SeededRandomness`: the random streams of a layer that takes a `seed`, and their state."""

from __future__ import annotations

import random
from typing import Any

import torch

__all__ = ["SeededRandomness"]


class SeededRandomness:
    """Owns a layer's seeded random streams: one `torch.Generator` per device (created at the
    first draw there) and, for host-side picks, one Python `random.Random`.

    With `seed=None` the tensor draws come from torch's global generator (`generator()` returns
    `None`), as Keras's unseeded layers do. `generator_states()` / `set_generator_states()` read
    and restore every stream, so that a saved model or a backup continues the exact sequence of
    draws instead of restarting it from the seed.

    Args:
        seed: optional integer seed of the streams.
    """

    def __init__(self, seed: int | None = None):
        self.seed = seed
        self._generators: dict[str, torch.Generator] = {}
        self._python: random.Random | None = None
        self._pending: dict[str, torch.Tensor] = {}  # restored states of streams not drawn from yet

    def generator(self, device: torch.device | str) -> torch.Generator | None:
        """The seeded generator on `device` (`None` when the layer has no seed)."""
        if self.seed is None:
            return None
        key = str(torch.device(device))
        generator = self._generators.get(key)
        if generator is None:
            generator = torch.Generator(device=key).manual_seed(int(self.seed))
            if key in self._pending:
                generator.set_state(self._pending.pop(key))
            self._generators[key] = generator
        return generator

    def python_random(self) -> random.Random:
        """The host-side stream (for picks Keras makes with Python's `random`)."""
        if self._python is None:
            self._python = random.Random(self.seed)
            if "python" in self._pending:
                self._python.setstate(self._pending.pop("python"))
        return self._python

    def keep_mask(self, shape: tuple[int, ...], rate: float, like: torch.Tensor) -> torch.Tensor:
        """Float tensor of `shape` with ones kept with probability `1 - rate`, zeros elsewhere."""
        mask = torch.empty(shape, dtype=like.dtype, device=like.device)
        return mask.bernoulli_(1.0 - rate, generator=self.generator(like.device))

    def normal(self, like: torch.Tensor, mean: float, stddev: float) -> torch.Tensor:
        """Normal noise of the shape, dtype and device of `like`."""
        noise = torch.empty_like(like)
        return noise.normal_(mean, stddev, generator=self.generator(like.device))

    # ------------------------------------------------------------------------------ state

    def generator_states(self) -> dict[str, Any]:
        """`{"seed": seed, device: uint8 state tensor, "python": Python random state}`: the seed
        and every stream drawn from (or restored) so far; a stream not in it starts from the seed."""
        states: dict[str, Any] = {"seed": self.seed, **self._pending}
        states.update({key: generator.get_state() for key, generator in self._generators.items()})
        if self._python is not None:
            states["python"] = self._python.getstate()
        return states

    def set_generator_states(self, states: dict[str, Any]) -> None:
        """Restores the seed and streams from `generator_states()`; each is checked before any
        is set. The state of a device this machine lacks is kept, unused, for a later save. (The
        seed is restored too: Keras's `SimpleRNN` config, for one, leaves it out.)

        Raises:
            ValueError: when a state does not fit its generator.
        """
        self.check_generator_states(states)
        self._pending = {}
        for key, value in states.items():
            if key == "seed":
                self.seed = value
            elif key == "python" and self._python is not None:
                self._python.setstate(value)
            elif key in self._generators:
                self._generators[key].set_state(value)
            else:
                self._pending[key] = value

    @staticmethod
    def check_generator_states(states: dict[str, Any]) -> None:
        """Tries each state on a scratch stream of its kind (a device this machine lacks is not
        checked); raises `ValueError` naming the first that does not fit."""
        for key, value in states.items():
            try:
                if key == "seed":
                    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                        raise TypeError(f"a seed is an integer or None, not {value!r}")
                    continue
                if key == "python":
                    random.Random().setstate(value)
                    continue
                device = torch.device(key)
                if not isinstance(value, torch.Tensor) or value.dtype != torch.uint8 or value.ndim != 1:
                    raise TypeError("expected a 1-D uint8 tensor")
                try:
                    scratch = torch.Generator(device=device)
                except RuntimeError:
                    continue  # that device is not on this machine
                scratch.set_state(value)
            except (RuntimeError, TypeError, ValueError) as error:
                raise ValueError(f"the state of random stream {key!r} does not fit it ({error})") from None
