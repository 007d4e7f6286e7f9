"""GPTQ (Frantar et al., 2022, https://arxiv.org/abs/2210.17323): quantize a weight matrix column
by column, pushing each column's rounding error onto the columns not yet quantized through the
inverse Hessian of the layer's inputs.

`GPTQ` holds one layer's running Hessian `H = 2/N Σ x xᵀ` over the calibration inputs;
`gptq_quantize_matrix` is the column loop (lazy block updates, optional activation order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchkeras.quantizers.zero_point import (
    compute_quantization_parameters,
    dequantize_with_zero_point,
    quantize_with_zero_point,
)

__all__ = ["GPTQ", "gptq_quantize_matrix", "kernel_matrix_shape", "stable_permutation"]


def stable_permutation(metric: torch.Tensor) -> torch.Tensor:
    """The permutation sorting `metric` in descending order, ties kept in index order."""
    n = metric.shape[0]
    jitter = torch.arange(n, dtype=torch.float32, device=metric.device) / n * 1e-12
    return torch.argsort(-(metric + jitter), stable=True)


def gptq_quantize_matrix(
    weights_transpose: torch.Tensor,
    inv_hessian: torch.Tensor,
    *,
    blocksize: int = 128,
    group_size: int = -1,
    activation_order: bool = False,
    order_metric: torch.Tensor | None = None,
    compute_scale_zero: Callable[[torch.Tensor], tuple] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Quantizes `weights_transpose` `(out_features, in_features)` column by column with GPTQ's
    error feedback: after column `j` is quantized, `err = (w_j - q_j) / invH[j, j]` and every later
    column `k` moves by `-err * invH[j, k]` (inside a block at once, beyond it when the block ends).

    A group's scale and zero point are computed once, when its first column comes up, from the
    weights as they stand at that moment (as the reference implementation does; Keras 3.15
    recomputes them when a group straddles two blocks and returns more groups than the layer holds).

    Args:
        weights_transpose: the weights, `(out_features, in_features)`.
        inv_hessian: the inverse Hessian, `(in_features, in_features)`.
        blocksize: columns per lazy-update block.
        group_size: columns per scale/zero group; `-1` for one group.
        activation_order: quantize the columns in descending order of `order_metric`
            (`1 / diag(inv_hessian)` by default); the groups follow that order.
        order_metric: the per-column importance for `activation_order`.
        compute_scale_zero: `columns -> (scale, zero, maxq)`; 4-bit asymmetric per row by default.

    Returns:
        `(quantized, scale, zero, g_idx)`: the integer levels `(out_features, in_features)` as
        int32 in the original column order, `scale` and `zero` `(out_features, n_groups)`, and
        `g_idx` the float32 group of each column.
    """
    if compute_scale_zero is None:

        def compute_scale_zero(columns):  # noqa: ANN001, ANN202
            return compute_quantization_parameters(columns, bits=4, per_channel=True)

    weights = weights_transpose.to(torch.float32).clone()
    inv_hessian = inv_hessian.to(torch.float32)
    in_features = weights.shape[1]
    perm = None
    if activation_order:
        if order_metric is None:
            order_metric = 1.0 / (torch.diagonal(inv_hessian) + 1e-12)
        else:
            order_metric = order_metric.to(torch.float32)
            order_metric = torch.where(torch.isfinite(order_metric), order_metric, 0.0)
        perm = stable_permutation(order_metric)
        weights = weights[:, perm]
        inv_hessian = inv_hessian[perm][:, perm]

    group = in_features if group_size == -1 else group_size
    quantized = torch.zeros_like(weights, dtype=torch.int32)
    scales, zeros = [], []
    for block_start in range(0, in_features, blocksize):
        block_end = min(block_start + blocksize, in_features)
        block = weights[:, block_start:block_end].clone()
        block_error = torch.zeros_like(block)
        block_inv = inv_hessian[block_start:block_end, block_start:block_end]
        for i in range(block_end - block_start):
            column = block_start + i
            if column % group == 0:
                scale, zero, maxq = compute_scale_zero(weights[:, column : column + group])
                scales.append(scale)
                zeros.append(zero)
            levels = quantize_with_zero_point(block[:, i : i + 1], scale, zero, maxq)
            quantized[:, column] = levels[:, 0].to(torch.int32)
            error = (block[:, i] - dequantize_with_zero_point(levels, scale, zero)[:, 0]) / block_inv[i, i]
            block_error[:, i] = error
            block[:, i + 1 :] -= error[:, None] * block_inv[i, i + 1 :][None, :]
        weights[:, block_end:] -= block_error @ inv_hessian[block_start:block_end, block_end:]

    g_idx = torch.div(torch.arange(in_features, device=weights.device), group, rounding_mode="floor")
    if perm is not None:
        inverse = torch.argsort(perm)
        g_idx = g_idx[inverse]
        quantized = quantized[:, inverse]
    return quantized, torch.cat(scales, dim=1), torch.cat(zeros, dim=1), g_idx.to(torch.float32)


def kernel_matrix_shape(kernel_shape: tuple[int, ...]) -> tuple[int, int]:
    """`(rows, columns)` of the 2D matrix a Dense/EinsumDense kernel is quantized as: a 2D kernel
    as is; a 3D one `(in, heads, head_dim)` (the largest axis first, a query/key/value projection)
    as `(in, heads * head_dim)`, else `(heads, head_dim, out)` as `(heads * head_dim, out)`."""
    shape = tuple(int(d) for d in kernel_shape)
    if len(shape) == 2:
        return shape
    if len(shape) == 3:
        if shape.index(max(shape)) == 0:
            return shape[0], shape[1] * shape[2]
        return shape[0] * shape[1], shape[2]
    raise ValueError(f"GPTQ and AWQ quantize 2D or 3D kernels. Received: kernel.shape={shape}")


class GPTQ:
    """One layer's GPTQ state: the running Hessian of its inputs and the final quantization.

    Args:
        kernel: the layer's float kernel (2D or 3D, see `kernel_matrix_shape`).
        config: a `GPTQConfig` (reads `weight_bits`, `per_channel`, `symmetric`, `group_size`,
            `activation_order`, `hessian_damping`).
    """

    def __init__(self, kernel: torch.Tensor, config: Any):
        self.config = config
        self.rows, self.columns = kernel_matrix_shape(tuple(kernel.shape))
        self.kernel = kernel.detach().reshape(self.rows, self.columns)
        self.hessian = torch.zeros((self.rows, self.rows), dtype=torch.float32, device=kernel.device)
        self.num_samples = 0

    def update_hessian_with_batch(self, input_batch: torch.Tensor) -> None:
        """Folds a batch of layer inputs (`(..., rows)`) into the running mean `H = 2/N Σ x xᵀ`."""
        if input_batch is None:
            raise ValueError("`input_batch` must be a tensor of layer inputs. Received: None")
        if input_batch.dim() < 2:
            raise ValueError(f"`input_batch` must have rank >= 2. Received: shape={tuple(input_batch.shape)}")
        if input_batch.numel() == 0:
            raise ValueError("`input_batch` must not be empty.")
        x = input_batch.detach().reshape(-1, input_batch.shape[-1]).to(torch.float32)
        if x.shape[1] != self.rows:
            raise ValueError(f"Hessian dimensions ({self.rows}) do not match input features ({x.shape[1]}).")
        gram = x.T @ x
        gram = (gram + gram.T) / 2.0
        total = self.num_samples + x.shape[0]
        if self.num_samples > 0:
            self.hessian *= self.num_samples / total
        self.hessian += (2.0 / total) * gram
        self.num_samples = total

    def quantize(self, blocksize: int = 128) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Dampens the Hessian (dead inputs get 1 on the diagonal, then every diagonal entry gets
        `hessian_damping * mean(diag)`), inverts it and runs `gptq_quantize_matrix`.

        Returns:
            `(quantized, scale, zero, g_idx)` as `gptq_quantize_matrix` returns them, `quantized`
            `(columns, rows)` in uint8.
        """
        config = self.config
        diagonal = torch.diagonal(self.hessian)
        dead = diagonal == 0
        hessian = self.hessian + torch.diag(dead.to(torch.float32))
        diagonal = torch.where(dead, 1.0, diagonal)
        diagonal = diagonal + config.hessian_damping * diagonal.mean()
        hessian = hessian - torch.diag(torch.diagonal(hessian)) + torch.diag(diagonal)
        inv_hessian = torch.linalg.inv(hessian)

        def compute_scale_zero(columns):  # noqa: ANN001, ANN202
            return compute_quantization_parameters(
                columns,
                bits=config.weight_bits,
                symmetric=config.symmetric,
                per_channel=config.per_channel,
                group_size=config.group_size,
            )

        quantized, scale, zero, g_idx = gptq_quantize_matrix(
            self.kernel.T,
            inv_hessian,
            blocksize=blocksize,
            group_size=config.group_size,
            activation_order=config.activation_order,
            order_metric=torch.diagonal(hessian),
            compute_scale_zero=compute_scale_zero,
        )
        return quantized.to(torch.uint8), scale, zero, g_idx
