"""AWQ (Lin et al., 2023, https://arxiv.org/abs/2306.00978): scale each input channel of a weight
by a power of its activation magnitude before 4-bit quantization, so the channels that see large
activations lose less to rounding; dividing by the same scales after dequantization restores
the weight.

`AWQ` holds one layer's per-channel maximum |input|; `awq_search_optimal_scales` grid-searches the
exponent; `awq_quantize_matrix` quantizes with the scales it finds.
"""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.quantizers.gptq import kernel_matrix_shape
from torchkeras.quantizers.zero_point import (
    compute_quantization_parameters,
    dequantize_with_sz_map,
    group_indices,
    quantize_with_sz_map,
)

__all__ = ["AWQ", "awq_quantize_matrix", "awq_search_optimal_scales"]


def _quantize_4bit(weights: torch.Tensor, group_size: int) -> tuple:
    """4-bit asymmetric levels of `weights` `(out, in)` per row and group: `(q, scale, zero, g_idx)`."""
    scale, zero, maxq = compute_quantization_parameters(
        weights, bits=4, per_channel=True, group_size=group_size
    )
    g_idx = group_indices(weights.shape[1], group_size, weights.device)
    return quantize_with_sz_map(weights, scale, zero, g_idx, maxq), scale, zero, g_idx


def awq_search_optimal_scales(
    weights: torch.Tensor,
    activation_magnitudes: torch.Tensor,
    *,
    num_grid_points: int = 20,
    group_size: int = -1,
) -> torch.Tensor:
    """The per-input-channel scales minimizing the activation-weighted quantization error.

    For each ratio `r` in `0, 1/n, ..., 1` (`n = num_grid_points`) the scales are
    `s = max(x_max**r, 1e-4)` divided by `sqrt(max(s) * min(s))`; the weights are multiplied by
    `s`, quantized to 4 bits, dequantized and divided by `s`, and the loss is
    `mean((w - w_hat)**2 * x_max**2)`. The first ratio with the lowest loss wins.

    Args:
        weights: `(out_features, in_features)`, the transposed kernel.
        activation_magnitudes: `(in_features,)`, the maximum |input| per channel (values under
            1e-8 count as 1).
        num_grid_points: the number of steps between 0 and 1.
        group_size: columns per quantization group; `-1` for one group per row.

    Returns:
        The scales, `(in_features,)` float32.
    """
    weights = weights.to(torch.float32)
    x_max = activation_magnitudes.to(torch.float32)
    x_max = torch.where(x_max < 1e-8, torch.ones_like(x_max), x_max)
    best_loss, best_scales = None, torch.ones_like(x_max)
    for i in range(num_grid_points + 1):
        ratio = i / num_grid_points
        scales = torch.ones_like(x_max) if ratio == 0 else torch.pow(x_max, ratio)
        scales = torch.clamp(scales, min=1e-4)
        scales = scales / torch.clamp(torch.sqrt(scales.max() * scales.min()), min=1e-8)
        quantized, scale, zero, g_idx = _quantize_4bit(weights * scales, group_size)
        reconstructed = dequantize_with_sz_map(quantized, scale, zero, g_idx) / scales
        loss = torch.mean(torch.square(weights - reconstructed) * torch.square(x_max))
        if best_loss is None or loss < best_loss:
            best_loss, best_scales = loss, scales
    return best_scales


def awq_quantize_matrix(
    weights_transpose: torch.Tensor,
    activation_magnitudes: torch.Tensor,
    *,
    num_grid_points: int = 20,
    group_size: int = -1,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """AWQ-quantizes `weights_transpose` `(out_features, in_features)` to 4 bits.

    Returns:
        `(quantized, scale, zero, awq_scales, g_idx)`: the levels `(out, in)` as float, the
        per-row-and-group `scale` / `zero` `(out, n_groups)`, the per-channel `awq_scales` `(in,)`
        and the float32 group of each input channel.
    """
    awq_scales = awq_search_optimal_scales(
        weights_transpose, activation_magnitudes, num_grid_points=num_grid_points, group_size=group_size
    )
    quantized, scale, zero, g_idx = _quantize_4bit(
        weights_transpose.to(torch.float32) * awq_scales, group_size
    )
    return quantized, scale, zero, awq_scales, g_idx


class AWQ:
    """One layer's AWQ state: the running per-channel maximum |input| and the final quantization.

    Args:
        kernel: the layer's float kernel (2D or 3D, see `kernel_matrix_shape`).
        config: an `AWQConfig` (reads `group_size`, `num_grid_points`).
    """

    def __init__(self, kernel: torch.Tensor, config: Any):
        self.config = config
        self.rows, self.columns = kernel_matrix_shape(tuple(kernel.shape))
        self.kernel = kernel.detach().reshape(self.rows, self.columns)
        self.activation_magnitudes = torch.zeros(self.rows, dtype=torch.float32, device=kernel.device)
        self.num_samples = 0

    def update_activation_magnitudes(self, input_batch: torch.Tensor) -> None:
        """Folds a batch of layer inputs (`(..., rows)`) into the per-channel maximum |input|."""
        if input_batch is None:
            raise ValueError("`input_batch` must be a tensor of layer inputs. Received: None")
        if input_batch.numel() == 0:
            raise ValueError("`input_batch` must not be empty.")
        x = input_batch.detach().reshape(-1, input_batch.shape[-1]).to(torch.float32)
        self.activation_magnitudes = torch.maximum(self.activation_magnitudes, x.abs().amax(dim=0))
        self.num_samples += x.shape[0]

    def quantize(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """`awq_quantize_matrix` on the kernel; the levels come back `(columns, rows)` in uint8."""
        quantized, scale, zero, awq_scales, g_idx = awq_quantize_matrix(
            self.kernel.T,
            self.activation_magnitudes,
            num_grid_points=self.config.num_grid_points,
            group_size=self.config.group_size,
        )
        return quantized.to(torch.uint8), scale, zero, awq_scales, g_idx
