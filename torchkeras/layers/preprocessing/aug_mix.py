"""`AugMix`: mixes the image with several random augmentation chains (Hendrycks et al., 2019)."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.layers.preprocessing.augmentation_bank import (
    GEOMETRIC_AND_TONAL,
    PHOTOMETRIC,
    make_augmentation_layers,
)
from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.layers.preprocessing.gamma_sampling import sample_beta, sample_dirichlet
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_positive_int, invalid

__all__ = ["AugMix"]


@register_builtin
class AugMix(BaseImagePreprocessingLayer):
    """AugMix during training, as Keras computes it: `num_chains` chains of up to `chain_depth`
    augmentations (each step picks one of the augmentations or none), their outputs mixed with
    Dirichlet(`alpha`) weights, then blended with the original by a Beta(`alpha`, `alpha`) weight
    and clipped to `value_range`. The identity at inference.

    Args:
        value_range: `(min, max)` of the pixel values.
        num_chains: number of augmentation chains.
        chain_depth: maximum number of augmentations per chain.
        factor: a number `f` (the range `[0, f]`) or a pair, within [0, 1]: the strength.
        alpha: concentration of the Dirichlet and beta weights.
        all_ops: also use brightness, color degeneration, contrast and sharpness (besides shear,
            translation, rotation, posterization, solarization, auto-contrast, equalization).
        interpolation: `"bilinear"` or `"nearest"`, for the geometric augmentations.
        seed: optional integer seed.
        data_format: `"channels_last"` or `"channels_first"`.
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        value_range: Any = (0, 255),
        num_chains: int = 3,
        chain_depth: int = 3,
        factor: Any = 0.3,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: str = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        check_value_range(value_range, self._owner)
        self.value_range = value_range
        self.num_chains = check_positive_int(num_chains, "num_chains", self._owner)
        self.chain_depth = check_positive_int(chain_depth, "chain_depth", self._owner)
        self._set_factor(factor)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
            raise invalid("alpha", "must be a positive number", alpha, self._owner)
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self.seed = seed
        self._random = SeededRandomness(seed)
        self._augment_layers = GEOMETRIC_AND_TONAL + (PHOTOMETRIC if all_ops else ())
        bank = make_augmentation_layers(
            self._augment_layers, self.factor, value_range, interpolation, seed, self.data_format
        )
        for name, layer in bank.items():
            setattr(self, name, layer)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"chain_mixing_weights": (num_chains,), "weight_sample": (), "chain_transforms": [[{
        "layer_name", "transformation"}, ...], ...]}` (Keras's keys)."""
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        device = images.device
        generator = self._generator(device, seed)
        chains = []
        for _ in range(self.num_chains):
            steps = []
            for _ in range(self.chain_depth):
                name = self._random.python_random().choice([*self._augment_layers, None])
                if name is not None:
                    layer = getattr(self, name)
                    steps.append({"layer_name": name, "transformation": layer.get_random_transformation(
                        images, seed=generator
                    )})  # fmt: skip
            chains.append(steps)
        return {
            "chain_mixing_weights": sample_dirichlet((self.num_chains,), self.alpha, generator, device),
            "weight_sample": sample_beta((), self.alpha, self.alpha, generator, device),
            "chain_transforms": chains,
        }

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        images = torch.as_tensor(images).to(self._float_dtype)
        if not training or transformation is None:
            return images
        weights = torch.as_tensor(transformation["chain_mixing_weights"], device=images.device).to(
            images.dtype
        )
        blend = torch.as_tensor(transformation["weight_sample"], device=images.device).to(images.dtype)
        mixed = torch.zeros_like(images)
        for index, chain in enumerate(transformation["chain_transforms"]):
            augmented = images
            for step in chain:
                augmented = getattr(self, step["layer_name"]).transform_images(
                    augmented, step["transformation"]
                )
            mixed = mixed + augmented.to(images.dtype) * weights[index]
        low, high = sorted(self.value_range)
        return (blend * images + (1 - blend) * mixed).clip(low, high)

    def compute_output_spec(self, inputs: Any, **kwargs: Any) -> KerasTensor:
        """The input's shape in the compute dtype, without a dry run (the draws read values)."""
        return KerasTensor(tuple(inputs.shape), dtype=self.compute_dtype)

    def _inference(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_chains": self.num_chains,
            "chain_depth": self.chain_depth,
            "factor": self.factor,
            "alpha": self.alpha,
            "all_ops": self.all_ops,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }
