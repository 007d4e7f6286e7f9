"""`FeatureSpace` (`keras.utils.FeatureSpace`): one object that preprocesses and encodes a dict
of structured-data columns, built from the preprocessing layers.

No TensorFlow: string columns flow as NumPy `str`/object arrays, numbers as arrays or tensors,
and the encoded features come out as torch tensors.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from torchkeras import config
from torchkeras.layers.core.identity import Identity
from torchkeras.layers.input_layer import Input
from torchkeras.layers.layer import Layer
from torchkeras.layers.merging.concatenate import Concatenate
from torchkeras.layers.preprocessing.category_encoding import CategoryEncoding
from torchkeras.layers.preprocessing.discretization import Discretization
from torchkeras.layers.preprocessing.hashed_crossing import HashedCrossing
from torchkeras.layers.preprocessing.hashing import Hashing
from torchkeras.layers.preprocessing.index_lookup import IndexLookup, host_array
from torchkeras.layers.preprocessing.integer_lookup import IntegerLookup
from torchkeras.layers.preprocessing.normalization import Normalization
from torchkeras.layers.preprocessing.rescaling import Rescaling
from torchkeras.layers.preprocessing.string_lookup import StringLookup
from torchkeras.layers.rnn.layer_serialization import deserialize_layer, serialize_layer
from torchkeras.utils.naming import unique_name as auto_name
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_choice, invalid

__all__ = ["Cross", "Feature", "FeatureSpace"]

_FEATURE_TYPES = (
    "float",
    "float_normalized",
    "float_rescaled",
    "float_discretized",
    "integer_categorical",
    "string_categorical",
    "integer_hashed",
    "string_hashed",
)


_MODULE = "keras.src.layers.preprocessing.feature_space"


def _serialize(value: Any) -> dict:
    """A `Feature` or `Cross` in Keras's object schema."""
    return {
        "module": _MODULE,
        "class_name": type(value).__name__,
        "config": value.get_config(),
        "registered_name": None,
    }


def _deserialize(value: Any) -> Any:
    """Rebuilds a `Feature`, `Cross` or layer from its config; other values pass through."""
    if not isinstance(value, dict) or "class_name" not in value:
        return value
    kinds = {"Feature": Feature, "Cross": Cross}
    if value["class_name"] in kinds:
        return kinds[value["class_name"]].from_config(dict(value["config"]))
    return deserialize_layer(value)


@register_builtin
class Cross:
    """A crossing of categorical features, hashed into `crossing_dim` bins (see `FeatureSpace.cross`)."""

    def __init__(self, feature_names: Iterable[str], crossing_dim: int, output_mode: str = "one_hot"):
        self.output_mode = check_choice(output_mode, ("int", "one_hot"), "output_mode")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim

    @property
    def name(self) -> str:
        return "_X_".join(self.feature_names)

    def get_config(self) -> dict:
        return {
            "feature_names": list(self.feature_names),
            "crossing_dim": self.crossing_dim,
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config: dict) -> Cross:
        return cls(**config)


@register_builtin
class Feature:
    """One input column: its `dtype`, the layer that preprocesses it, and how its result is
    encoded (`"int"`, `"one_hot"` or `"float"`). See `FeatureSpace.feature`."""

    def __init__(self, dtype: str, preprocessor: Any, output_mode: str):
        self.output_mode = check_choice(output_mode, ("int", "one_hot", "float"), "output_mode")
        self.dtype = dtype
        self.preprocessor = _deserialize(preprocessor)

    def get_config(self) -> dict:
        return {
            "dtype": self.dtype,
            "preprocessor": serialize_layer(self.preprocessor),
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config: dict) -> Feature:
        return cls(**config)


@register_builtin
class FeatureSpace(Layer):
    """Preprocesses and encodes a dict of structured-data features, as Keras's `FeatureSpace`.

    Each feature is named by a type string or built with a class method (`FeatureSpace.float()`,
    `float_normalized()`, `float_rescaled()`, `float_discretized()`, `integer_categorical()`,
    `string_categorical()`, `integer_hashed()`, `string_hashed()`, `feature()`); `adapt()` learns
    the statistics and vocabularies; calling it on a dict batch returns the encoded features,
    concatenated in sorted feature order then sorted crosses (`"concat"`) or as a dict.
    `get_inputs()` / `get_encoded_features()` give the same pipeline symbolically, for a
    functional model that takes raw feature dicts (string columns as NumPy arrays).

    Args:
        features: `{name: type string or Feature}`.
        output_mode: `"concat"` or `"dict"`.
        crosses: feature-name tuples to cross (or `FeatureSpace.cross(...)` objects).
        crossing_dim: the number of hash bins of each cross.
        hashing_dim: the number of bins of `"integer_hashed"` / `"string_hashed"` features.
        num_discretization_bins: the number of bins of `"float_discretized"` features.
        name: the layer's name.

    Call arguments:
        data: a dict of columns, each a scalar, `(batch,)` or `(batch, 1)`: NumPy arrays
            (`str` arrays for string features), lists or tensors.

    Example:
    ```python
    space = keras.utils.FeatureSpace(
        {"age": "float_normalized", "city": "string_categorical"}, crosses=[("age_bin", "city")]
    )
    ```
    """

    @classmethod
    def cross(cls, feature_names: Iterable[str], crossing_dim: int, output_mode: str = "one_hot") -> Cross:
        """A crossing of `feature_names` hashed into `crossing_dim` bins."""
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype: str, preprocessor: Any, output_mode: str) -> Feature:
        """A feature with a custom `preprocessor` layer."""
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name: str | None = None) -> Feature:
        """A float feature passed through as is."""
        name = name or auto_name("float")
        return Feature("float32", Identity(dtype="float32", name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale: float = 1.0, offset: float = 0.0, name: str | None = None) -> Feature:
        """A float feature mapped to `x * scale + offset`."""
        name = name or auto_name("float_rescaled")
        return Feature("float32", Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_normalized(cls, name: str | None = None) -> Feature:
        """A float feature standardized with the mean and variance learned by `adapt()`."""
        name = name or auto_name("float_normalized")
        return Feature("float32", Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(
        cls,
        num_bins: int | None,
        bin_boundaries: list | None = None,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        """A float feature bucketed into `num_bins` quantile bins learned by `adapt()`, or by the
        given `bin_boundaries` (then `num_bins=None`)."""
        name = name or auto_name("float_discretized")
        preprocessor = Discretization(
            num_bins=num_bins, bin_boundaries=bin_boundaries, name=f"{name}_preprocessor"
        )
        return Feature("float32", preprocessor, output_mode)

    @classmethod
    def integer_categorical(
        cls,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        """An integer category feature, indexed through a vocabulary learned by `adapt()`."""
        name = name or auto_name("integer_categorical")
        preprocessor = IntegerLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature("int32", preprocessor, output_mode)

    @classmethod
    def string_categorical(
        cls,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        """A string category feature, indexed through a vocabulary learned by `adapt()`."""
        name = name or auto_name("string_categorical")
        preprocessor = StringLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature("string", preprocessor, output_mode)

    @classmethod
    def string_hashed(cls, num_bins: int, output_mode: str = "one_hot", name: str | None = None) -> Feature:
        """A string feature hashed into `num_bins` bins."""
        name = name or auto_name("string_hashed")
        return Feature("string", Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode)

    @classmethod
    def integer_hashed(cls, num_bins: int, output_mode: str = "one_hot", name: str | None = None) -> Feature:
        """An integer feature hashed into `num_bins` bins."""
        name = name or auto_name("integer_hashed")
        return Feature("int32", Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode)

    def __init__(
        self,
        features: dict[str, Any],
        output_mode: str = "concat",
        crosses: list | None = None,
        crossing_dim: int = 32,
        hashing_dim: int = 32,
        num_discretization_bins: int = 32,
        name: str | None = None,
        **kwargs: Any,
    ):
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        if not isinstance(features, dict):
            raise invalid(
                "features", "must be a dict of feature name to type or Feature", type(features).__name__
            )
        output_mode = check_choice(output_mode, ("dict", "concat"), "output_mode")
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {key: self._standardize_feature(key, value) for key, value in features.items()}
        self.crosses = [self._standardize_cross(cross) for cross in crosses or []]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        self.preprocessors = {key: feature.preprocessor for key, feature in self.features.items()}
        self.crossers = {
            cross.name: HashedCrossing(cross.crossing_dim, name=cross.name) for cross in self.crosses
        }
        self.one_hot_encoders: dict[str, CategoryEncoding] = {}
        self._encoders_built = False
        self._is_adapted = False
        self._inputs: dict[str, Any] | None = None
        self._encoded_features: Any = None

    def _standardize_feature(self, name: str, feature: Any) -> Feature:
        feature = _deserialize(feature)
        if isinstance(feature, Feature):
            return feature
        if feature == "float_discretized":
            return self.float_discretized(num_bins=self.num_discretization_bins, name=name)
        if feature in ("integer_hashed", "string_hashed"):
            return getattr(self, feature)(self.hashing_dim, name=name)
        if feature in _FEATURE_TYPES:
            return getattr(self, feature)(name=name)
        raise invalid(f"features['{name}']", f"must be a Feature or one of {_FEATURE_TYPES}", feature)

    def _standardize_cross(self, cross: Any) -> Cross:
        cross = _deserialize(cross)
        if isinstance(cross, Cross):
            return cross
        if not self.crossing_dim:
            raise ValueError(
                "When specifying `crosses`, the argument `crossing_dim` (dimensionality of the crossing "
                "space) should be specified as well."
            )
        unknown = [key for key in cross if key not in self.features]
        if unknown:
            raise invalid("crosses", "must only name features present in the `features` dict", tuple(cross))
        return Cross(cross, crossing_dim=self.crossing_dim)

    # ------------------------------------------------------------------------------ adapt

    def _adaptable(self) -> list[str]:
        names = []
        for name, preprocessor in self.preprocessors.items():
            if isinstance(preprocessor, Normalization) and preprocessor.input_mean is not None:
                continue
            if isinstance(preprocessor, IndexLookup) and preprocessor._has_input_vocabulary:
                continue
            if isinstance(preprocessor, Discretization) and preprocessor.bin_boundaries is not None:
                continue
            if hasattr(preprocessor, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset: Any) -> None:
        """Learns every adaptable preprocessor's state (statistics, bins, vocabularies).

        Args:
            dataset: a dict of arrays or lists (one row per example), or an iterable of dict
                batches (e.g. a `DataLoader`; `(dict, labels)` batches use the dict).
        """
        names = self._adaptable()
        if isinstance(dataset, dict):
            columns = {name: [self._column(name, dataset[name])] for name in names}
        elif isinstance(dataset, Iterable) and not isinstance(dataset, (str, bytes)):
            columns = {name: [] for name in names}
            for batch in dataset:
                if isinstance(batch, (tuple, list)) and batch and isinstance(batch[0], dict):
                    batch = batch[0]
                if not isinstance(batch, dict):
                    raise invalid("dataset", "must yield dict batches", type(batch).__name__)
                for name in names:
                    columns[name].append(self._column(name, batch[name]))
        else:
            raise ValueError(
                "`adapt()` can only be called on a dict of arrays/lists or an iterable of dict batches. "
                f"Received: dataset of type {type(dataset).__name__}"
            )
        for name in names:
            parts = columns[name]
            if not parts:
                raise ValueError(f"`adapt()` received no data for feature '{name}'.")
            whole = np.concatenate(parts, axis=0)
            preprocessor = self.preprocessors[name]
            if isinstance(preprocessor, IndexLookup):
                preprocessor.adapt(whole)
            else:
                preprocessor.adapt(torch.as_tensor(whole))
        self._is_adapted = True
        self._encoders_built = False
        self.built = True

    def _column(self, name: str, value: Any) -> np.ndarray:
        """One feature's values as a `(batch, 1)` NumPy array of the feature's dtype."""
        dtype = self.features[name].dtype
        array = host_array(value, string=dtype == "string")
        if array.ndim == 0:
            array = array.reshape(1, 1)
        elif array.ndim == 1:
            array = array[:, None]
        if dtype.startswith("float"):
            array = array.astype(dtype)
        elif dtype.startswith("int"):
            array = array.astype("int64")
        return array

    # ------------------------------------------------------------------------------ call

    def _check_if_adapted(self) -> None:
        if not self._is_adapted:
            if self._adaptable():
                raise ValueError(
                    "You need to call `.adapt(dataset)` on the FeatureSpace before you can start using it."
                )
            self._is_adapted = True
            self.built = True

    def _cardinality(self, name: str, preprocessor: Any) -> int:
        if isinstance(preprocessor, IndexLookup):
            return preprocessor.vocabulary_size()
        if isinstance(preprocessor, CategoryEncoding):
            return preprocessor.num_tokens
        if isinstance(preprocessor, Discretization) and preprocessor.num_bins is None:
            return len(preprocessor.bin_boundaries) + 1  # given boundaries (Keras fails here)
        if isinstance(preprocessor, (Discretization, Hashing, HashedCrossing)):
            return preprocessor.num_bins
        raise ValueError(
            f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard feature and the "
            "dimensionality of its output space is not known, thus it cannot be one-hot encoded. Try "
            "using `output_mode='int'`."
        )

    def _build_encoders(self) -> None:
        """One multi-hot encoder per one-hot feature, sized by its (adapted) preprocessor."""
        specs = {**self.features, **self.crosses_by_name}
        layers = {**self.preprocessors, **self.crossers}
        self.one_hot_encoders = {
            name: CategoryEncoding(num_tokens=self._cardinality(name, layers[name]), output_mode="multi_hot")
            for name, spec in specs.items()
            if spec.output_mode == "one_hot"
        }
        self._encoders_built = True

    def _preprocess(self, name: str, column: np.ndarray) -> Any:
        preprocessor = self.preprocessors[name]
        if isinstance(preprocessor, (IndexLookup, Hashing)) or self.features[name].dtype == "string":
            return preprocessor(column)
        return preprocessor(torch.as_tensor(column))

    def _encode(self, name: str, feature: Any) -> Any:
        encoder = self.one_hot_encoders.get(name)
        if encoder is not None:
            return encoder(torch.as_tensor(feature))
        floats = isinstance(feature, torch.Tensor) and feature.is_floating_point()
        if self.output_mode == "concat" and not floats:
            dtype = feature.dtype if isinstance(feature, (torch.Tensor, np.ndarray)) else type(feature)
            raise ValueError(
                f"Cannot concatenate features because feature '{name}' has not been encoded (it has "
                f"dtype {dtype}). Consider using `output_mode='dict'`."
            )
        return feature

    def __call__(self, data: dict) -> Any:
        self._check_if_adapted()
        if not self._encoders_built:
            self._build_encoders()
        if not isinstance(data, dict):
            raise ValueError(
                f"A FeatureSpace can only be called with a dict. Received: data of type {type(data)}"
            )
        missing = [name for name in self.features if name not in data]
        if missing:
            raise invalid("data", f"must hold every feature (missing {missing})", sorted(data))
        rebatched = all(np.ndim(data[name]) == 0 for name in self.features)
        columns = {name: self._column(name, data[name]) for name in self.features}
        preprocessed = {name: self._preprocess(name, columns[name]) for name in sorted(self.features)}
        crossed = {
            name: self.crossers[name]([preprocessed[key] for key in self.crosses_by_name[name].feature_names])
            for name in sorted(self.crossers)
        }
        encoded = {
            name: self._encode(name, value)
            for name, value in itertools.chain(preprocessed.items(), crossed.items())
        }
        if self.output_mode == "concat":
            dtype = config.torch_dtype(None)
            merged = torch.cat([torch.as_tensor(value).to(dtype) for value in encoded.values()], dim=-1)
            return merged[0] if rebatched else merged
        if rebatched:
            return {
                name: value[0] if value.ndim == 2 and value.shape[0] == 1 else value
                for name, value in encoded.items()
            }
        return encoded

    # ------------------------------------------------------------------------------ functional

    def get_inputs(self) -> dict[str, Any]:
        """One symbolic `Input` of shape `(1,)` per feature (strings as `dtype="string"`), to
        build a model that takes raw feature dicts."""
        self._check_if_adapted()
        if self._inputs is None:
            self._inputs = {
                name: Input(shape=(1,), dtype=feature.dtype, name=name)
                for name, feature in self.features.items()
            }
        return self._inputs

    def get_encoded_features(self) -> Any:
        """The encoded features of `get_inputs()`, symbolic: one tensor (`"concat"`) or a dict."""
        if self._encoded_features is None:
            inputs = self.get_inputs()
            if not self._encoders_built:
                self._build_encoders()
            preprocessed = {name: self.preprocessors[name](inputs[name]) for name in sorted(self.features)}
            crossed = {
                name: self.crossers[name](
                    [preprocessed[key] for key in self.crosses_by_name[name].feature_names]
                )
                for name in sorted(self.crossers)
            }
            encoded = {}
            for name, value in itertools.chain(preprocessed.items(), crossed.items()):
                encoder = self.one_hot_encoders.get(name)
                if encoder is not None:
                    value = encoder(value)
                elif self.output_mode == "concat" and not str(value.dtype).startswith(("float", "bfloat")):
                    raise ValueError(
                        f"Cannot concatenate features because feature '{name}' has not been encoded (it has "
                        f"dtype {value.dtype}). Consider using `output_mode='dict'`."
                    )
                encoded[name] = value
            if self.output_mode == "concat":
                values = list(encoded.values())
                self._encoded_features = Concatenate(axis=-1)(values) if len(values) > 1 else values[0]
            else:
                self._encoded_features = encoded
        return self._encoded_features

    # ------------------------------------------------------------------------------ saving

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "features": {name: _serialize(feature) for name, feature in self.features.items()},
            "output_mode": self.output_mode,
            "crosses": [_serialize(cross) for cross in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config: dict) -> FeatureSpace:
        return cls(**config)

    def get_build_config(self) -> dict:
        return {name: feature.preprocessor.get_build_config() for name, feature in self.features.items()}

    def build_from_config(self, config: dict) -> None:
        """Builds the preprocessors of a loaded FeatureSpace; their state is restored after."""
        for name, build_config in config.items():
            preprocessor = self.features[name].preprocessor
            if not preprocessor.built and build_config:
                preprocessor.build_from_config(build_config)
        self._is_adapted = True
        self._encoders_built = False
        self.built = True

    def save(self, filepath: str) -> None:
        """Saves the FeatureSpace (config and learned state) to a `.keras` file; reload it with
        `keras.models.load_model()`."""
        # `saving` sits above the layers (shared/STYLE.md), so it is looked up at call time.
        importlib.import_module("torchkeras.saving.saving_lib").save_model(self, filepath)
