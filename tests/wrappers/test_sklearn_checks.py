"""scikit-learn's estimator checks, with the failures Keras's own test expects (sklearn >= 1.6)."""

import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import torchkeras as tk  # noqa: E402
from torchkeras.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402


def dynamic_model(X, y, loss, out_activation_function="softmax", layers=(10,)):
    """Keras's test model: an MLP sized from the data, its one output given in a list."""
    inputs = tk.Input(shape=(X.shape[1],))
    hidden = inputs
    for units in layers:
        hidden = tk.layers.Dense(units, activation="relu")(hidden)
    n_outputs = y.shape[1] if len(y.shape) > 1 else 1
    model = tk.Model(inputs, [tk.layers.Dense(n_outputs, activation=out_activation_function)(hidden)])
    model.compile(loss=loss, optimizer="rmsprop")
    return model


# Keras 3.15's list (keras/src/wrappers/sklearn_test.py) without the checks it marks as failing
# only before scikit-learn 1.6.
EXPECTED_FAILED_CHECKS = {
    "SKLearnClassifier": {
        "check_classifiers_one_label_sample_weights": "0 sample weight is not ignored",
        "check_classifiers_classes": "small data: the model does not always predict every class",
        "check_classifier_data_not_an_array": "assumes a reproducible fit",
        "check_supervised_y_2d": "assumes a reproducible fit",
        "check_fit_idempotent": "assumes a reproducible fit",
        "check_classifiers_train": "decision_function returns probabilities or logits",
    },
    "SKLearnRegressor": {},
    "SKLearnTransformer": {},
}

# Keras's estimators exactly. Its regressor and transformer keep the softmax over one unit, a
# constant output: with a linear one, the checks that assume a reproducible fit fail for them too
# (`check_fit_idempotent`, `check_supervised_y_2d`, ...), as they do for the classifier.
ESTIMATORS = [
    SKLearnClassifier(
        model=dynamic_model,
        model_kwargs={"loss": "categorical_crossentropy", "layers": [20, 20, 20]},
        fit_kwargs={"epochs": 5, "verbose": 0},
    ),
    SKLearnRegressor(model=dynamic_model, model_kwargs={"loss": "mse"}, fit_kwargs={"verbose": 0}),
    SKLearnTransformer(model=dynamic_model, model_kwargs={"loss": "mse"}, fit_kwargs={"verbose": 0}),
]


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS[type(estimator).__name__],
)
@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1")
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
