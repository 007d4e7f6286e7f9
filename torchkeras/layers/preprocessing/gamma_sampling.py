"""Gamma, beta and Dirichlet draws from a `torch.Generator`, on the device, with no host sync.

`torch.distributions` draws only from the global generator; the augmentation layers draw from
their own seeded generators, so they sample here: Marsaglia & Tsang's rejection method (2000),
vectorized over a fixed number of rounds, in log space so small concentrations never underflow.
"""

from __future__ import annotations

import torch

__all__ = ["sample_beta", "sample_dirichlet", "sample_log_gamma"]

_ROUNDS = 12  # each round accepts >= 95% of the remaining draws; 12 leave < 1e-15 undecided


def sample_log_gamma(
    shape: tuple[int, ...],
    concentration: float | torch.Tensor,
    generator: torch.Generator | None,
    device: torch.device,
) -> torch.Tensor:
    """`log X` for `X ~ Gamma(concentration, 1)`, float32, of `shape`."""
    alpha = torch.as_tensor(concentration, dtype=torch.float32, device=device).expand(shape)
    boosted = torch.where(alpha < 1, alpha + 1, alpha)  # Gamma(a) = Gamma(a + 1) * U^(1 / a)
    d = boosted - 1.0 / 3.0
    c = 1.0 / torch.sqrt(9.0 * d)
    log_value = torch.log(d)  # the fallback for the (practically impossible) undecided draws
    done = torch.zeros(shape, dtype=torch.bool, device=device)
    for _ in range(_ROUNDS):
        x = torch.randn(shape, generator=generator, device=device)
        u = torch.rand(shape, generator=generator, device=device)
        v = (1 + c * x) ** 3
        log_v = torch.log(v.clamp_min(1e-30))
        accept = (v > 0) & (torch.log(u) < 0.5 * x * x + d - d * v + d * log_v) & ~done
        log_value = torch.where(accept, torch.log(d) + log_v, log_value)
        done = done | accept
    u = torch.rand(shape, generator=generator, device=device).clamp_min(1e-30)
    return torch.where(alpha < 1, log_value + torch.log(u) / alpha, log_value)


def sample_beta(
    shape: tuple[int, ...],
    alpha: float | torch.Tensor,
    beta: float | torch.Tensor,
    generator: torch.Generator | None,
    device: torch.device,
) -> torch.Tensor:
    """Draws of `Beta(alpha, beta)`: `X / (X + Y)` for gamma draws `X`, `Y`."""
    log_x = sample_log_gamma(shape, alpha, generator, device)
    log_y = sample_log_gamma(shape, beta, generator, device)
    return torch.sigmoid(log_x - log_y)


def sample_dirichlet(
    shape: tuple[int, ...], concentration: float, generator: torch.Generator | None, device: torch.device
) -> torch.Tensor:
    """Draws of a symmetric Dirichlet over the last axis of `shape`."""
    return torch.softmax(sample_log_gamma(shape, concentration, generator, device), dim=-1)
