"""`BatchNormalization`: normalizes with batch statistics in training, moving ones at inference."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchkeras import config, initializers
from torchkeras.layers.normalization.base_normalization import (
    AffineNormalization,
    check_axis_argument,
    positive_axes,
    to_compute_dtype,
)
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["BatchNormalization"]

_CLIPPING_KEYS = ("rmax", "rmin", "dmax")


@register_builtin
class BatchNormalization(AffineNormalization):
    """Normalizes each feature of `axis` to zero mean and unit variance, then scales and shifts.

    In training (`training=True` and the layer trainable) the batch's mean and (biased) variance
    are used and the moving statistics are updated:
    `moving = moving * momentum + batch_statistic * (1 - momentum)`. Otherwise the moving
    statistics are used: a frozen layer (`trainable=False`) always runs in inference mode, as in
    Keras 3. The output is `gamma * (x - mean) / sqrt(variance + epsilon) + beta`.

    Args:
        axis: the feature axis (usually -1, or 1 for channels_first inputs).
        momentum: momentum of the moving statistics.
        epsilon: small float added to the variance.
        center, scale: whether to learn `beta` / `gamma`.
        beta_initializer, gamma_initializer: initializers of `beta` / `gamma`.
        moving_mean_initializer, moving_variance_initializer: initializers of the moving statistics.
        beta_regularizer, gamma_regularizer: optional weight penalties.
        beta_constraint, gamma_constraint: optional weight constraints.
        renorm: whether to use Batch Renormalization (extra `moving_stddev`, `renorm_mean` and
            `renorm_stddev` statistics).
        renorm_clipping: optional dict with `"rmax"`, `"rmin"`, `"dmax"` bounds of the corrections.
        renorm_momentum: momentum of the renormalization statistics.
        synchronized: whether to compute batch statistics across all `torch.distributed` processes.
        **kwargs: base `Layer` arguments.

    Call arguments:
        inputs: tensor of any rank.
        training: whether to normalize with batch statistics and update the moving ones.
        mask: optional boolean tensor of shape `inputs.shape[:-1]`; masked positions do not count
            in the batch statistics.

    Example:
    ```python
    layer = keras.layers.BatchNormalization()
    y = layer(np.random.rand(8, 4), training=True)
    ```
    """

    _fresh_outputs = True  # outputs are new tensors nothing else holds (see `Functional`)

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        renorm: bool = False,
        renorm_clipping: dict | None = None,
        renorm_momentum: float = 0.99,
        synchronized: bool = False,
        **kwargs: Any,
    ):
        super().__init__(
            center=center,
            scale=scale,
            beta_initializer=beta_initializer,
            gamma_initializer=gamma_initializer,
            beta_regularizer=beta_regularizer,
            gamma_regularizer=gamma_regularizer,
            beta_constraint=beta_constraint,
            gamma_constraint=gamma_constraint,
            **kwargs,
        )
        self.axis = check_axis_argument(axis, self._owner, allow_list=False)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        if not 0 <= self.momentum <= 1:
            raise invalid("momentum", "must be a number in [0, 1]", momentum, self._owner)
        if self.epsilon <= 0:
            raise invalid("epsilon", "must be a positive number", epsilon, self._owner)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.synchronized = synchronized
        self.renorm = renorm
        if renorm:
            renorm_clipping = dict(renorm_clipping or {})
            unknown = set(renorm_clipping) - set(_CLIPPING_KEYS)
            if unknown:
                raise invalid(
                    "renorm_clipping", f"must only have keys {_CLIPPING_KEYS}", renorm_clipping, self._owner
                )
            rmin, rmax, dmax = (renorm_clipping.get(k) for k in ("rmin", "rmax", "dmax"))
            if rmin is not None and rmax is not None and rmax < rmin:
                raise invalid("renorm_clipping", "must have rmax >= rmin", renorm_clipping, self._owner)
            if dmax is not None and dmax < 0:
                raise invalid(
                    "renorm_clipping", "must have a non-negative dmax", renorm_clipping, self._owner
                )
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum

    def build(self, input_shape: tuple) -> None:
        self._rank = len(input_shape)
        (self._channel_axis,) = positive_axes(self.axis, self._rank, self._owner)
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f"{self._owner}: axis {self.axis} of the inputs must have a known size. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        shape = (channels,)
        self._add_gamma_beta(shape, self.scale, self.center)
        self.moving_mean = self.add_weight(
            name="moving_mean", shape=shape, initializer=self.moving_mean_initializer, trainable=False
        )
        self.moving_variance = self.add_weight(
            name="moving_variance", shape=shape, initializer=self.moving_variance_initializer, trainable=False
        )
        if self.renorm:
            moving_variance = self.moving_variance.detach()
            self.moving_stddev = self.add_weight(
                name="moving_stddev", shape=shape, initializer=moving_variance.sqrt(), trainable=False
            )
            self.renorm_mean = self.add_weight(
                name="renorm_mean",
                shape=shape,
                initializer=self.moving_mean.detach().clone(),
                trainable=False,
            )
            self.renorm_stddev = self.add_weight(
                name="renorm_stddev", shape=shape, initializer=moving_variance.sqrt(), trainable=False
            )

    def call(
        self, inputs: torch.Tensor, training: bool = False, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        if mask is not None and mask.ndim != inputs.ndim - 1:
            raise ValueError(
                f"{self._owner}: the mask must have one dimension less than the inputs. "
                f"Received: mask.shape={tuple(mask.shape)}, inputs.shape={tuple(inputs.shape)}"
            )
        if inputs.ndim != self._rank or inputs.shape[self._channel_axis] != self.moving_mean.shape[0]:
            raise ValueError(
                f"{self._owner}: expected inputs of rank {self._rank} with {self.moving_mean.shape[0]} "
                f"features on axis {self.axis}. Received: inputs.shape={tuple(inputs.shape)}"
            )
        x = to_compute_dtype(inputs).movedim(self._channel_axis, 1)  # a view: channels at axis 1
        if not (training and self.trainable):
            outputs = F.batch_norm(
                x, self.moving_mean, self.moving_variance, self.gamma, self.beta, False, 0.0, self.epsilon
            )
        elif mask is None and not self.renorm and not self._synchronizing() and x.numel() > x.shape[1]:
            outputs = self._fused_training(x)
        else:
            outputs = self._training(x, mask)
        return outputs.movedim(1, self._channel_axis).to(inputs.dtype)

    def _fused_training(self, x: torch.Tensor) -> torch.Tensor:
        """Training step in torch's fused kernel; its unbiased variance update is made biased."""
        count = x.numel() // x.shape[1]
        # The kernel updates `moving_mean` itself and a scratch copy of the variance with the
        # unbiased batch variance: m*old + (1-m)*var*n/(n-1). Keras keeps m*old + (1-m)*var.
        # (The kernel saves both for its backward, so only the scratch copy may change later; and
        # every update reads a tensor made in this call, so shape inference on fake tensors, which
        # runs purely real operations for real, leaves the real statistics alone.)
        unbiased = self.moving_variance.detach().clone()
        outputs = F.batch_norm(
            x, self.moving_mean, unbiased, self.gamma, self.beta, True, 1.0 - self.momentum, self.epsilon
        )
        previous = self.moving_variance.detach()  # no gradient anywhere here: no `no_grad` needed
        corrected = torch.add(previous * (self.momentum / count), unbiased, alpha=(count - 1) / count)
        self.moving_variance.copy_(corrected)
        return outputs

    def _training(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Training step with explicit moments (masks, renormalization, synchronized statistics)."""
        mean, variance = self._moments(x, mask)
        gamma, beta = self.gamma, self.beta
        if self.renorm:
            gamma, beta = self._renorm_transform(mean, variance)
            self._update_renorm_statistics(mean.detach(), variance.detach())
        else:
            with torch.no_grad():
                self.moving_mean.lerp_(mean, 1.0 - self.momentum)
                self.moving_variance.lerp_(variance, 1.0 - self.momentum)
        shape = (1, -1) + (1,) * (x.ndim - 2)
        inverse = torch.rsqrt(variance + self.epsilon)
        if gamma is not None:
            inverse = inverse * gamma
        outputs = (x - mean.reshape(shape)) * inverse.reshape(shape)
        return outputs if beta is None else outputs + beta.reshape(shape)

    def _moments(self, x: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        axes = [d for d in range(x.ndim) if d != 1]
        if mask is None and not self._synchronizing():
            variance, mean = torch.var_mean(x, dim=axes, correction=0)
            return mean, variance
        if mask is None:
            weights = torch.ones((), dtype=x.dtype, device=x.device).expand(x.shape)
        else:  # the mask covers every axis but the last one of the inputs
            weights = mask.unsqueeze(-1).movedim(self._channel_axis, 1).expand(x.shape).to(x.dtype)
        total, count = (x * weights).sum(axes), weights.sum(axes)
        if self._synchronizing():
            total, count = _all_reduce_sum(total), _all_reduce_sum(count)
        mean = total / (count + config.epsilon())
        squares = (torch.square(x - mean.reshape((1, -1) + (1,) * (x.ndim - 2))) * weights).sum(axes)
        if self._synchronizing():
            squares = _all_reduce_sum(squares)
        return mean, squares / (count + config.epsilon())

    def _synchronizing(self) -> bool:
        distributed = torch.distributed
        return bool(self.synchronized) and distributed.is_available() and distributed.is_initialized()

    def _renorm_transform(
        self, mean: torch.Tensor, variance: torch.Tensor
    ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Scale and offset corrected by Batch Renormalization's `r` and `d` (no gradient through them)."""
        stddev = torch.sqrt(variance + self.epsilon)
        renorm_stddev = torch.clamp(self.renorm_stddev.detach(), min=self.epsilon**0.5)
        r = (stddev / renorm_stddev).detach()
        d = ((mean - self.renorm_mean) / renorm_stddev).detach()
        clipping = self.renorm_clipping
        if clipping.get("rmin") is not None or clipping.get("rmax") is not None:
            r = torch.clamp(r, min=clipping.get("rmin"), max=clipping.get("rmax"))
        if clipping.get("dmax") is not None:
            d = torch.clamp(d, -clipping["dmax"], clipping["dmax"])
        gamma = r if self.gamma is None else r * self.gamma
        beta = d if self.gamma is None else d * self.gamma
        return gamma, beta if self.beta is None else beta + self.beta

    @torch.no_grad()
    def _update_renorm_statistics(self, mean: torch.Tensor, variance: torch.Tensor) -> None:
        stddev = torch.sqrt(variance + self.epsilon)
        self.renorm_mean.lerp_(mean, 1.0 - self.renorm_momentum)
        self.renorm_stddev.lerp_(stddev, 1.0 - self.renorm_momentum)
        self.moving_mean.lerp_(mean, 1.0 - self.momentum)
        moving_stddev = torch.lerp(self.moving_stddev, stddev, 1.0 - self.momentum)
        self.moving_stddev.copy_(moving_stddev)
        self.moving_variance.copy_(F.relu(torch.square(moving_stddev) - self.epsilon))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            **{k: v for k, v in self._affine_config().items() if k.endswith(("regularizer", "constraint"))},
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


def _all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    """Sum over all processes, differentiable (the gradient is summed back the same way)."""
    from torch.distributed import _functional_collectives as collectives

    return collectives.all_reduce(tensor, "sum", torch.distributed.group.WORLD)
