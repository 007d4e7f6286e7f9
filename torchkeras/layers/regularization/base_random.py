"""`SeededRandomness`: the per-device random generators of the layers taking a `seed`."""

from __future__ import annotations

import torch

__all__ = ["SeededRandomness"]


class SeededRandomness:
    """Mixin for random layers: `seed=None` draws from torch's global generator; an integer seed
    gives the layer its own reproducible stream on each device (created at the first draw there).
    """

    seed: int | None

    def _random_generator(self, device: torch.device) -> torch.Generator | None:
        if self.seed is None:
            return None
        generators = self.__dict__.setdefault("_generators", {})
        key = str(device)
        if key not in generators:
            generators[key] = torch.Generator(device=device).manual_seed(int(self.seed))
        return generators[key]

    def _keep_mask(self, shape: tuple[int, ...], rate: float, like: torch.Tensor) -> torch.Tensor:
        """Float tensor of `shape` with ones kept with probability `1 - rate`, zeros elsewhere."""
        mask = torch.empty(shape, dtype=like.dtype, device=like.device)
        return mask.bernoulli_(1.0 - rate, generator=self._random_generator(like.device))

    def _normal(self, like: torch.Tensor, mean: float, stddev: float) -> torch.Tensor:
        """Normal noise of the shape, dtype and device of `like`."""
        noise = torch.empty_like(like)
        return noise.normal_(mean, stddev, generator=self._random_generator(like.device))
