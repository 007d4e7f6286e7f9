"""`keras.random`: seeded random tensors (normal, uniform, dropout, shuffle, gamma, ...).

Each function takes `seed`: an integer (stateless: same seed, same values), a `SeedGenerator`
(advanced on each call) or `None` (the global generator). Values are created on torch's default
device (`keras.device(...)` changes it); with an integer seed they equal Keras's torch backend's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from torchkeras import config
from torchkeras.random.seed_generator import Seed, SeedGenerator, make_generator, seed_value
from torchkeras.utils.nest import to_tensor

__all__ = [
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]

Shape = Sequence[int]


def _float_dtype(dtype: Any, function: str) -> torch.dtype:
    torch_dtype = config.torch_dtype(dtype)
    if not torch_dtype.is_floating_point:
        raise ValueError(
            f"`keras.random.{function}` requires a floating point `dtype`. Received: dtype={dtype}"
        )
    return torch_dtype


def _device() -> torch.device:
    return torch.get_default_device()


def normal(shape: Shape, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Seed = None):
    """Values drawn from a normal distribution with the given `mean` and `stddev`."""
    dtype = _float_dtype(dtype, "normal")
    generator = make_generator(seed, _device())
    return torch.normal(mean, stddev, size=tuple(shape), generator=generator, dtype=dtype, device=_device())


def uniform(shape: Shape, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Seed = None):
    """Values drawn uniformly from `[minval, maxval)`."""
    dtype = _float_dtype(dtype, "uniform")
    generator = make_generator(seed, _device())
    values = torch.rand(tuple(shape) or (1,), generator=generator, dtype=dtype, device=_device())
    values = (maxval - minval) * values + minval
    return values if len(shape) else values[0]


def randint(shape: Shape, minval: int, maxval: int, dtype: Any = "int32", seed: Seed = None):
    """Integers drawn uniformly from `[minval, maxval)`."""
    torch_dtype = config.torch_dtype(dtype)
    if torch_dtype.is_floating_point or torch_dtype.is_complex or torch_dtype == torch.bool:
        raise ValueError(f"`keras.random.randint` requires an integer `dtype`. Received: dtype={dtype}")
    generator = make_generator(seed, _device())
    return torch.randint(
        int(minval), int(maxval), tuple(shape), generator=generator, dtype=torch_dtype, device=_device()
    )


def truncated_normal(
    shape: Shape, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Seed = None
):
    """Normal values more than two standard deviations from the mean are redrawn."""
    dtype = _float_dtype(dtype, "truncated_normal")
    generator = make_generator(seed, _device())
    shape = tuple(shape)
    # As Keras's torch backend: four candidates per value, the first within (-2, 2) is kept.
    candidates = torch.normal(0.0, 1.0, size=(*shape, 4), generator=generator, dtype=dtype, device=_device())
    valid = (candidates > -2) & (candidates < 2)
    values = candidates.gather(-1, valid.max(-1, keepdim=True)[1]).squeeze(-1)
    while True:  # all four outside (probability ~4e-6 each): redraw those alone
        outside = (values <= -2) | (values >= 2)
        if not bool(outside.any()):
            break
        redraw = torch.normal(0.0, 1.0, size=values.shape, generator=generator, dtype=dtype, device=_device())
        values = torch.where(outside, redraw, values)
    return values * stddev + mean


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Seed = None):
    """Draws `num_samples` class indices per row of `logits` (shape `(batch, num_classes)`)."""
    logits = to_tensor(logits, dtype=config.torch_dtype(None))
    if logits.ndim != 2:
        raise ValueError(
            "`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
            f"Received: logits of shape {tuple(logits.shape)}"
        )
    probabilities = torch.softmax(logits, dim=-1)
    generator = make_generator(seed, probabilities.device)
    samples = torch.multinomial(probabilities, num_samples, replacement=True, generator=generator)
    return samples.to(config.torch_dtype(dtype))


def dropout(inputs: Any, rate: float, noise_shape: Shape | None = None, seed: Seed = None):
    """Zeroes entries of `inputs` with probability `rate` and scales the rest by `1 / (1 - rate)`.

    `noise_shape` (with `None` for "as the input") shares one draw along its size-1 axes.
    """
    inputs = to_tensor(inputs)
    if not 0 <= rate <= 1:
        raise ValueError(f"`rate` must be a float in [0, 1]. Received: rate={rate}")
    if rate == 1.0:
        return torch.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    unseeded = seed is None or (isinstance(seed, SeedGenerator) and seed._initial_seed is None)
    if unseeded and noise_shape is None:
        return torch.nn.functional.dropout(inputs, p=rate, training=True)
    keep = 1.0 - rate
    if noise_shape is None:
        noise_shape = inputs.shape
    noise_shape = [size if wanted is None else wanted for size, wanted in zip(inputs.shape, noise_shape)]
    generator = make_generator(seed, inputs.device)
    mask = torch.bernoulli(torch.full(noise_shape, keep, device=inputs.device), generator=generator)
    mask = mask.bool().broadcast_to(inputs.shape)
    return torch.where(mask, inputs / keep, torch.zeros_like(inputs))


def shuffle(x: Any, axis: int = 0, seed: Seed = None):
    """Shuffles `x` along `axis` (each slice before `axis` gets its own permutation)."""
    x = to_tensor(x)
    axis = axis % x.ndim
    generator = make_generator(seed, x.device)
    order = torch.rand(x.shape[: axis + 1], generator=generator, device=x.device).argsort(axis)
    order = order.reshape(*order.shape, *([1] * (x.ndim - axis - 1))).expand(x.shape)
    return x.gather(axis, order)


def _sample_from(distribution: Any, seed: Seed, device: torch.device) -> torch.Tensor:
    """Samples a `torch.distributions` object (which draws from torch's global generator on
    `device`) with that generator seeded from `seed`, then restores the generator's state."""
    on_cuda = device.type == "cuda"
    with torch.random.fork_rng(devices=[device] if on_cuda else [], device_type="cuda"):
        value = seed_value(seed)
        if value is not None:
            torch.random.default_generator.manual_seed(value)
            if on_cuda:
                with torch.cuda.device(device):
                    torch.cuda.manual_seed(value)
        return distribution.sample()


def gamma(shape: Shape, alpha: Any, dtype: Any = None, seed: Seed = None):
    """Values drawn from a gamma distribution of concentration `alpha` (rate 1)."""
    dtype = _float_dtype(dtype, "gamma")
    alpha = to_tensor(alpha, dtype=torch.float32, device=_device()).broadcast_to(tuple(shape))
    rate = torch.ones(tuple(shape), device=_device())
    return _sample_from(torch.distributions.Gamma(alpha, rate), seed, _device()).to(dtype)


def binomial(shape: Shape, counts: Any, probabilities: Any, dtype: Any = None, seed: Seed = None):
    """Successes in `counts` trials of probability `probabilities` (both broadcast to `shape`)."""
    dtype = _float_dtype(dtype, "binomial")
    counts = to_tensor(counts, dtype=torch.float32, device=_device()).broadcast_to(tuple(shape))
    probabilities = to_tensor(probabilities, dtype=torch.float32, device=_device()).broadcast_to(tuple(shape))
    distribution = torch.distributions.Binomial(total_count=counts, probs=probabilities)
    return _sample_from(distribution, seed, _device()).to(dtype)


def beta(shape: Shape, alpha: Any, beta: Any, dtype: Any = None, seed: Seed = None):
    """Values drawn from a beta distribution with concentrations `alpha` and `beta`."""
    dtype = _float_dtype(dtype, "beta")
    alpha = to_tensor(alpha, dtype=torch.float32, device=_device()).broadcast_to(tuple(shape))
    beta = to_tensor(beta, dtype=torch.float32, device=_device()).broadcast_to(tuple(shape))
    distribution = torch.distributions.Beta(concentration1=alpha, concentration0=beta)
    return _sample_from(distribution, seed, _device()).to(dtype)
