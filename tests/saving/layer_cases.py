"""One small, built configuration per built-in layer class, for save/load round trips.

Each case is `class name -> (constructor keyword arguments, input shapes without batch)`; a list
of shapes means the layer takes a list of inputs. Integer inputs are marked `("int", shape, upper
bound)`, text inputs `("str", shape, words)`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LAYER_CASES", "NOT_SAVED_ALONE", "make_layer"]

_IMAGE = (6, 6, 3)
_SEQUENCE = (5, 4)
_VOLUME = (4, 4, 4, 2)

LAYER_CASES: dict[str, tuple[dict[str, Any], Any]] = {
    "Activation": ({"activation": "tanh"}, (4,)),
    "ActivityRegularization": ({"l1": 0.01, "l2": 0.01}, (4,)),
    "AdaptiveAveragePooling1D": ({"output_size": 3}, _SEQUENCE),
    "AdaptiveAveragePooling2D": ({"output_size": (2, 3)}, _IMAGE),
    "AdaptiveAveragePooling3D": ({"output_size": 2}, _VOLUME),
    "AdaptiveMaxPooling1D": ({"output_size": 2}, _SEQUENCE),
    "AdaptiveMaxPooling2D": ({"output_size": 4}, _IMAGE),
    "AdaptiveMaxPooling3D": ({"output_size": (3, 2, 1)}, _VOLUME),
    "Add": ({}, [(4,), (4,)]),
    "AdditiveAttention": ({}, [_SEQUENCE, _SEQUENCE]),
    "AlphaDropout": ({"rate": 0.2}, (4,)),
    "Attention": ({}, [_SEQUENCE, _SEQUENCE]),
    "AugMix": ({"value_range": (0, 1), "num_chains": 2, "chain_depth": 2, "seed": 1}, _IMAGE),
    "AutoContrast": ({"value_range": (0, 1)}, _IMAGE),
    "Average": ({}, [(4,), (4,)]),
    "AveragePooling1D": ({"pool_size": 2}, _SEQUENCE),
    "AveragePooling2D": ({"pool_size": 2, "padding": "same"}, _IMAGE),
    "AveragePooling3D": ({"pool_size": 2}, _VOLUME),
    "BatchNormalization": ({"momentum": 0.9}, (4,)),
    "Bidirectional": ({"layer": ("LSTM", {"units": 3, "return_sequences": True})}, _SEQUENCE),
    "CategoryEncoding": ({"num_tokens": 6, "output_mode": "multi_hot"}, ("int", (3,), 6)),
    "CenterCrop": ({"height": 4, "width": 4}, _IMAGE),
    "CustomScaleLayer": ({"scale": 0.17}, [(4,), (4,)]),  # keras.applications.inception_resnet_v2
    "Concatenate": ({"axis": -1}, [(4,), (3,)]),
    "ContrastLimitedAdaptiveHistogramEqualization": (
        {"value_range": (0, 1), "tile_grid_size": (2, 2)},
        _IMAGE,
    ),
    "Conv1D": ({"filters": 3, "kernel_size": 2}, _SEQUENCE),
    "Conv1DTranspose": ({"filters": 3, "kernel_size": 2, "strides": 2}, _SEQUENCE),
    "Conv2D": ({"filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"}, _IMAGE),
    "Conv2DTranspose": ({"filters": 2, "kernel_size": 3, "strides": 2}, _IMAGE),
    "Conv3D": ({"filters": 2, "kernel_size": 2}, _VOLUME),
    "Conv3DTranspose": ({"filters": 2, "kernel_size": 2}, _VOLUME),
    "ConvLSTM1D": ({"filters": 2, "kernel_size": 2, "return_sequences": True}, (3, 5, 2)),
    "ConvLSTM2D": ({"filters": 2, "kernel_size": 2, "padding": "same"}, (3, 4, 4, 2)),
    "ConvLSTM3D": ({"filters": 2, "kernel_size": 2}, (2, 3, 3, 3, 1)),
    "CutMix": ({"factor": 0.5, "seed": 1}, _IMAGE),
    "Cropping1D": ({"cropping": 1}, _SEQUENCE),
    "Cropping2D": ({"cropping": ((1, 0), (0, 1))}, _IMAGE),
    "Cropping3D": ({"cropping": 1}, _VOLUME),
    "Dense": ({"units": 3, "activation": "relu", "kernel_regularizer": "l2"}, (4,)),
    "DepthwiseConv1D": ({"kernel_size": 2, "depth_multiplier": 2}, _SEQUENCE),
    "DepthwiseConv2D": ({"kernel_size": 3, "depth_multiplier": 2}, _IMAGE),
    "Discretization": ({"bin_boundaries": [0.25, 0.5, 0.75]}, (4,)),
    "Dot": ({"axes": 1}, [(4,), (4,)]),
    "Dropout": ({"rate": 0.5}, (4,)),
    "ELU": ({"alpha": 0.5}, (4,)),
    "EinsumDense": ({"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "c"}, (4,)),
    "Embedding": ({"input_dim": 10, "output_dim": 3}, ("int", (5,), 10)),
    "Equalization": ({"value_range": (0, 1), "bins": 64}, _IMAGE),
    "Flatten": ({}, _IMAGE),
    "GRU": ({"units": 3, "reset_after": True}, _SEQUENCE),
    "GaussianDropout": ({"rate": 0.2}, (4,)),
    "GaussianNoise": ({"stddev": 0.1}, (4,)),
    "GlobalAveragePooling1D": ({}, _SEQUENCE),
    "GlobalAveragePooling2D": ({"keepdims": True}, _IMAGE),
    "GlobalAveragePooling3D": ({}, _VOLUME),
    "GlobalMaxPooling1D": ({}, _SEQUENCE),
    "GlobalMaxPooling2D": ({}, _IMAGE),
    "GlobalMaxPooling3D": ({}, _VOLUME),
    "GroupNormalization": ({"groups": 2}, (6, 4)),
    "GroupedQueryAttention": (
        {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2},
        [_SEQUENCE, _SEQUENCE],
    ),
    "HashedCrossing": ({"num_bins": 5}, [("int", (1,), 9), ("int", (1,), 9)]),
    "Hashing": ({"num_bins": 7, "output_mode": "count"}, ("int", (3,), 50)),
    "Identity": ({}, (4,)),
    "IntegerLookup": ({"vocabulary": [1, 2, 3], "mask_token": 0}, ("int", (3,), 5)),
    "LSTM": ({"units": 3}, _SEQUENCE),
    "LayerScale": ({"init_values": 0.5, "projection_dim": 3}, _IMAGE),  # keras.applications.convnext
    "LayerNormalization": ({"epsilon": 1e-4}, _SEQUENCE),
    "LeakyReLU": ({"negative_slope": 0.2}, (4,)),
    "Masking": ({"mask_value": 0.0}, _SEQUENCE),
    "MaxNumBoundingBoxes": ({"max_number": 4, "bounding_box_format": "xyxy"}, _IMAGE),  # images pass through
    "MaxPooling1D": ({"pool_size": 2}, _SEQUENCE),
    "MaxPooling2D": ({"pool_size": 2}, _IMAGE),
    "MaxPooling3D": ({"pool_size": 2}, _VOLUME),
    "Maximum": ({}, [(4,), (4,)]),
    "Minimum": ({}, [(4,), (4,)]),
    "MelSpectrogram": ({"fft_length": 32, "sequence_stride": 8, "num_mel_bins": 6}, (40,)),
    "MixUp": ({"alpha": 0.3, "seed": 1}, _IMAGE),
    "MultiHeadAttention": ({"num_heads": 2, "key_dim": 3}, [_SEQUENCE, _SEQUENCE]),
    "Multiply": ({}, [(4,), (4,)]),
    "Normalization": ({"mean": [0.1, 0.2, 0.3, 0.4], "variance": [1.0, 2.0, 3.0, 4.0]}, (4,)),
    "PReLU": ({}, (4,)),
    "Pipeline": (
        {"layers": [("Rescaling", {"scale": 2.0}), ("CenterCrop", {"height": 4, "width": 4})]},
        _IMAGE,
    ),
    "Permute": ({"dims": (2, 1)}, _SEQUENCE),
    "RMSNormalization": ({}, _SEQUENCE),
    "RNN": ({"cell": ("SimpleRNNCell", {"units": 3})}, _SEQUENCE),
    "RandAugment": ({"value_range": (0, 1), "num_ops": 2, "factor": 0.3, "seed": 1}, _IMAGE),
    "RandomBrightness": ({"factor": 0.2}, _IMAGE),
    "RandomColorDegeneration": ({"factor": 0.3, "value_range": (0, 1)}, _IMAGE),
    "RandomColorJitter": ({"value_range": (0, 1), "brightness_factor": 0.1, "hue_factor": 0.2}, _IMAGE),
    "RandomContrast": ({"factor": 0.2}, _IMAGE),
    "RandomCrop": ({"height": 4, "width": 4}, _IMAGE),
    "RandomElasticTransform": ({"factor": 0.5, "scale": 0.5, "value_range": (0, 1), "seed": 1}, _IMAGE),
    "RandomErasing": ({"factor": 0.5, "fill_value": 0.5, "value_range": (0, 1)}, _IMAGE),
    "RandomFlip": ({"mode": "horizontal"}, _IMAGE),
    "RandomGaussianBlur": ({"factor": 0.5, "kernel_size": 3, "value_range": (0, 1)}, _IMAGE),
    "RandomGrayscale": ({"factor": 0.5}, _IMAGE),
    "RandomHue": ({"factor": 0.2, "value_range": (0, 1)}, _IMAGE),
    "RandomInvert": ({"factor": 0.5, "value_range": (0, 1)}, _IMAGE),
    "RandomPerspective": ({"factor": 0.5, "scale": 0.3, "seed": 1}, _IMAGE),
    "RandomPosterization": ({"factor": 4, "value_range": (0, 1)}, _IMAGE),
    "RandomRotation": ({"factor": 0.1}, _IMAGE),
    "RandomSaturation": ({"factor": 0.3, "value_range": (0, 1)}, _IMAGE),
    "RandomSharpness": ({"factor": 0.3, "value_range": (0, 1)}, _IMAGE),
    "RandomShear": ({"x_factor": (0.1, 0.2), "y_factor": 0.0}, _IMAGE),  # Keras rebuilds only [0, 1] pairs
    "RandomTranslation": ({"height_factor": 0.1, "width_factor": 0.1}, _IMAGE),
    "RandomZoom": ({"height_factor": 0.1}, _IMAGE),
    "ReLU": ({"max_value": 6.0}, (4,)),
    "RepeatVector": ({"n": 3}, (4,)),
    "Rescaling": ({"scale": 0.5, "offset": 1.0}, (4,)),
    "Reshape": ({"target_shape": (2, 2)}, (4,)),
    "Resizing": ({"height": 3, "width": 3}, _IMAGE),
    "ReversibleEmbedding": ({"input_dim": 10, "output_dim": 3, "tie_weights": False}, ("int", (5,), 10)),
    "STFTSpectrogram": ({"mode": "magnitude", "frame_length": 8, "frame_step": 4}, (20, 2)),
    "SeparableConv1D": ({"filters": 3, "kernel_size": 2}, _SEQUENCE),
    "SeparableConv2D": ({"filters": 3, "kernel_size": 2}, _IMAGE),
    "SimpleRNN": ({"units": 3, "return_sequences": True}, _SEQUENCE),
    "Softmax": ({"axis": -1}, (4,)),
    "Solarization": ({"addition_factor": 0.1, "threshold_factor": 0.5, "value_range": (0, 1)}, _IMAGE),
    "SpatialDropout1D": ({"rate": 0.2}, _SEQUENCE),
    "SpatialDropout2D": ({"rate": 0.2}, _IMAGE),
    "SpatialDropout3D": ({"rate": 0.2}, _VOLUME),
    "SpectralNormalization": ({"layer": ("Dense", {"units": 3}), "power_iterations": 2}, (4,)),
    "StackedRNNCells": None,  # a cell container: covered through "RNN" below
    "StochasticDepth": ({"drop_path_rate": 0.3}, _IMAGE),  # keras.applications.convnext
    "StringLookup": ({"vocabulary": ["a", "b"], "output_mode": "multi_hot"}, ("str", (3,), ["a", "b", "c"])),
    "Subtract": ({}, [(4,), (4,)]),
    "TextVectorization": (
        {"vocabulary": ["a", "b"], "output_sequence_length": 3},
        ("str", (), ["a b", "c A"]),
    ),
    "TimeDistributed": ({"layer": ("Dense", {"units": 2})}, _SEQUENCE),
    "UnitNormalization": ({}, (4,)),
    "UpSampling1D": ({"size": 2}, _SEQUENCE),
    "UpSampling2D": ({"size": 2}, _IMAGE),
    "UpSampling3D": ({"size": 2}, _VOLUME),
    "ZeroPadding1D": ({"padding": 1}, _SEQUENCE),
    "ZeroPadding2D": ({"padding": 1}, _IMAGE),
    "ZeroPadding3D": ({"padding": 1}, _VOLUME),
}
# Cells are saved inside an RNN; the models and InputLayer have their own tests; Lambda needs a
# registered function (tested on its own).
NOT_SAVED_ALONE = {
    "GRUCell",
    "LSTMCell",
    "SimpleRNNCell",
    "StackedRNNCells",
    "InputLayer",
    "Model",
    "Sequential",
    "Functional",
    "Lambda",
    "Wrapper",  # abstract, as in Keras: its subclasses have cases
    "TorchModuleWrapper",  # needs its module back at load: tests/layers/core/test_torch_module_wrapper.py
    "FeatureSpace",  # called on dicts of columns, not in a Model: tests/utils/test_feature_space.py
    "Distiller",  # a Model of a teacher and a student: save/load in tests/distillation/test_distiller.py
}


def make_layer(resolve: Any, name: str, kwargs: dict[str, Any]) -> Any:
    """`resolve(name)(**kwargs)`, where a `(class name, kwargs)` argument value (or list item) is a
    sublayer."""

    def sublayer(value: Any) -> Any:
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
            return make_layer(resolve, *value)
        return value

    resolved = {
        key: [sublayer(item) for item in value] if isinstance(value, list) else sublayer(value)
        for key, value in kwargs.items()
    }
    return resolve(name)(**resolved)
