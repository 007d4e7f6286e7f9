"""scikit-learn estimators around a compiled Keras model: `SKLearnClassifier`, `SKLearnRegressor`,
`SKLearnTransformer` (`keras.wrappers`).

scikit-learn is optional (`pip install -e .[sklearn]`): this module imports without it, and
constructing an estimator then says what to install.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from torchkeras.models.cloning import clone_model
from torchkeras.models.model import Model

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # the names still exist; `SKLBase.__init__` raises
    sklearn = None

    class BaseEstimator:  # type: ignore[no-redef]
        pass

    class ClassifierMixin:  # type: ignore[no-redef]
        pass

    class RegressorMixin:  # type: ignore[no-redef]
        pass

    class TransformerMixin:  # type: ignore[no-redef]
        pass


__all__ = ["SKLBase", "SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def _require_sklearn(name: str) -> None:
    if sklearn is None:
        raise ImportError(
            f"{name} requires scikit-learn. Install it with `pip install scikit-learn` "
            "(or torchkeras's `sklearn` extra)."
        )


def _type_of_target(y: Any) -> str:
    """sklearn's `type_of_target`, raising for targets it cannot classify (as Keras does)."""
    from sklearn.utils.multiclass import type_of_target

    target_type = type_of_target(y)
    if target_type == "unknown":
        raise ValueError(f"Unknown label type for data: {y!r}")
    return target_type


def _routing_enabled() -> bool:
    return bool(sklearn is not None and sklearn.get_config().get("enable_metadata_routing", False))


class _TargetReshaper(TransformerMixin, BaseEstimator):
    """Makes a 1D target a column for the model, and squeezes the model's column back to 1D."""

    def fit(self, y: np.ndarray) -> _TargetReshaper:
        self.ndim_ = y.ndim
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y: np.ndarray) -> np.ndarray:
        if self.ndim_ == 1 and y.ndim == 2:
            return np.squeeze(y, axis=1)
        return y


class SKLBase(BaseEstimator):
    """The scikit-learn estimator API around a compiled Keras model.

    Training has sources of randomness (initial weights, shuffling): seed them with
    `keras.utils.set_random_seed` for repeatable fits.

    Args:
        model: a compiled `Model`, or a callable `model(X=X, y=y, **model_kwargs)` returning one,
            called at each `fit` with the validated inputs and the processed targets (one-hot
            for a classifier, a column for a 1D target). A `Model` is cloned with
            `keras.models.clone_model` (compile state included) at each `fit`.
        warm_start: whether a `fit` after the first continues training the fitted `model_`
            instead of starting from a new clone.
        model_kwargs: keyword arguments for `model` when it is a callable.
        fit_kwargs: keyword arguments for `model.fit`; those given to `fit` take precedence.

    Attributes:
        model_: the fitted `Model`.
        history_: the `History` returned by `model.fit`.
        n_features_in_: the number of features seen in `fit`.
    """

    def __init__(
        self,
        model: Any,
        warm_start: bool = False,
        model_kwargs: dict | None = None,
        fit_kwargs: dict | None = None,
    ):
        _require_sklearn(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self) -> SKLBase:
        """An unfitted copy with the same parameters; the `model` itself is shared (a `Model` is
        cloned at `fit` anyway), the keyword dicts are copied."""
        return type(self)(
            model=self.model,
            warm_start=self.warm_start,
            model_kwargs=copy.deepcopy(self.model_kwargs),
            fit_kwargs=copy.deepcopy(self.fit_kwargs),
        )

    @property
    def epoch_(self) -> int:
        """The number of epochs the fitted model has reached (0 before `fit`)."""
        history = getattr(self, "history_", None)
        return history.epoch[-1] + 1 if history is not None and history.epoch else 0

    def set_fit_request(self, **kwargs: Any) -> SKLBase:
        """Requests metadata for `fit` (scikit-learn's metadata routing must be enabled:
        `sklearn.set_config(enable_metadata_routing=True)`).

        Args:
            **kwargs: `param_name=alias`, the alias one of `True`, `False`, `None` or a string.

        Returns:
            The estimator.
        """
        if not _routing_enabled():
            raise RuntimeError(
                "`set_fit_request` is only available when metadata routing is enabled: call "
                "`sklearn.set_config(enable_metadata_routing=True)` first."
            )
        from sklearn.utils.metadata_routing import MetadataRequest

        if "_metadata_request" not in self.__dict__:
            self._metadata_request = MetadataRequest(owner=type(self).__name__)
        for param, alias in kwargs.items():
            self._metadata_request.fit.add_request(param=param, alias=alias)
        return self

    def fit(self, X: Any, y: Any, **kwargs: Any) -> SKLBase:
        """Fits the model.

        Args:
            X: array-like of shape `(n_samples, n_features)`.
            y: array-like of shape `(n_samples,)` or `(n_samples, n_outputs)`.
            **kwargs: keyword arguments for `model.fit`, over `fit_kwargs`.

        Returns:
            The fitted estimator.
        """
        from sklearn.utils.validation import validate_data

        X, y = validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        self.history_ = model.fit(X, y, **{**(self.fit_kwargs or {}), **kwargs})
        self.model_ = model
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The model's predictions, in the targets' form (class labels for a classifier)."""
        return self._reverse_process_target(self._raw_predict(X))

    def _raw_predict(self, X: Any) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X)

    def _get_model(self, X: np.ndarray, y: np.ndarray) -> Model:
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            model = clone_model(self.model)
        elif callable(self.model):
            model = self.model(X=X, y=y, **(self.model_kwargs or {}))
        else:
            raise TypeError(
                "`model` must be a compiled `keras.Model` or a callable returning one. "
                f"Received: model={self.model!r}"
            )
        if not isinstance(model, Model):
            raise TypeError(f"`model` must return a `keras.Model`. Received: {model!r}")
        if not model.compiled or model.loss is None or model.optimizer is None:
            raise RuntimeError(
                "The model needs to be compiled with a loss and an optimizer. "
                f"Received: compiled={model.compiled}, loss={model.loss!r}"
            )
        return model

    def _process_target(self, y: np.ndarray, reset: bool = False) -> np.ndarray:
        """Regressors and transformers: a 1D target becomes a column."""
        _type_of_target(y)
        if reset:
            self._target_encoder = _TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y: np.ndarray) -> np.ndarray:
        return self._target_encoder.inverse_transform(y)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A scikit-learn classifier around a compiled Keras model.

    The targets are one-hot encoded for the model (its last layer has one unit per class, e.g. a
    softmax), and `predict` returns the label of the largest output.

    Args:
        model: a compiled `Model`, or a callable `model(X=X, y=y, **model_kwargs)` returning one
            (`y` is the one-hot target, so `y.shape[1]` is the number of classes). A `Model` is
            cloned with `keras.models.clone_model` at each `fit`.
        warm_start: whether a `fit` after the first continues training the fitted `model_`.
        model_kwargs: keyword arguments for `model` when it is a callable.
        fit_kwargs: keyword arguments for `model.fit`; those given to `fit` take precedence.

    Attributes:
        model_: the fitted `Model`.
        history_: the `History` returned by `model.fit`.
        classes_: the class labels, sorted.

    Example:

    ```python
    def build(X, y, loss, layers=(10,)):
        inputs = keras.Input((X.shape[1],))
        x = inputs
        for units in layers:
            x = keras.layers.Dense(units, activation="relu")(x)
        model = keras.Model(inputs, keras.layers.Dense(y.shape[1], activation="softmax")(x))
        model.compile(loss=loss, optimizer="rmsprop")
        return model

    X, y = sklearn.datasets.make_classification(n_samples=100, n_features=10)
    est = keras.wrappers.SKLearnClassifier(
        model=build, model_kwargs={"loss": "categorical_crossentropy"}, fit_kwargs={"epochs": 5}
    )
    est.fit(X, y).predict(X[:3])
    ```
    """

    def decision_function(self, X: Any) -> np.ndarray:
        """The model's raw outputs (one column per class)."""
        return self._raw_predict(X)

    def _process_target(self, y: np.ndarray, reset: bool = False) -> np.ndarray:
        """One-hot encodes binary and multiclass targets."""
        target_type = _type_of_target(y)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(
                f"Only binary and multiclass target types are supported. Target type: {target_type}"
            )
        if reset:
            classes = np.unique(y)
            if len(classes) == 1:
                raise ValueError(f"Classifier can't train when only one class is present: {classes}.")
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import OneHotEncoder

            encoder = make_pipeline(_TargetReshaper(), OneHotEncoder(sparse_output=False))
            self._target_encoder = encoder.fit(y)
            self.classes_ = classes
        return self._target_encoder.transform(y)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A scikit-learn regressor around a compiled Keras model.

    Args:
        model: a compiled `Model`, or a callable `model(X=X, y=y, **model_kwargs)` returning one
            (a 1D `y` arrives as a column). A `Model` is cloned with `keras.models.clone_model`
            at each `fit`.
        warm_start: whether a `fit` after the first continues training the fitted `model_`.
        model_kwargs: keyword arguments for `model` when it is a callable.
        fit_kwargs: keyword arguments for `model.fit`; those given to `fit` take precedence.

    Attributes:
        model_: the fitted `Model`.
        history_: the `History` returned by `model.fit`.

    Example:

    ```python
    def build(X, y):
        inputs = keras.Input((X.shape[1],))
        model = keras.Model(inputs, keras.layers.Dense(y.shape[1])(inputs))
        model.compile(loss="mse", optimizer="rmsprop")
        return model

    X, y = sklearn.datasets.make_regression(n_samples=100, n_features=10)
    est = keras.wrappers.SKLearnRegressor(model=build, fit_kwargs={"epochs": 5})
    est.fit(X, y).score(X, y)
    ```
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A scikit-learn transformer around a compiled Keras model: `transform` returns the model's
    outputs (an embedding, say). A transformer in scikit-learn's sense, not an attention model.

    Args:
        model: a compiled `Model`, or a callable `model(X=X, y=y, **model_kwargs)` returning one.
            A `Model` is cloned with `keras.models.clone_model` at each `fit`.
        warm_start: whether a `fit` after the first continues training the fitted `model_`.
        model_kwargs: keyword arguments for `model` when it is a callable.
        fit_kwargs: keyword arguments for `model.fit`; those given to `fit` take precedence.

    Attributes:
        model_: the fitted `Model`.
        history_: the `History` returned by `model.fit`.

    Example:

    ```python
    # A trained embedding model as a pipeline step that the pipeline's `fit` leaves alone.
    embed = keras.wrappers.SKLearnTransformer(model=embedder).fit(X, y)
    pipe = sklearn.pipeline.make_pipeline(
        sklearn.frozen.FrozenEstimator(embed), sklearn.linear_model.LogisticRegression()
    )
    pipe.fit(X, y)
    ```
    """

    def transform(self, X: Any) -> np.ndarray:
        """The model's outputs for `X` of shape `(n_samples, n_features)`."""
        return self._raw_predict(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
