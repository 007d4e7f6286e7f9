"""`keras.wrappers`: Keras models as scikit-learn estimators (scikit-learn is an optional extra)."""

from torchkeras.wrappers.sklearn_wrapper import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
