"""`keras.wrappers`: the scikit-learn estimators, against Keras's on the same data and in
scikit-learn's own tools (Pipeline, GridSearchCV, cross_val_score, clone, pickle)."""

import pickle
import subprocess
import sys

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import torchkeras as tk  # noqa: E402
from torchkeras.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402

QUIET = {"verbose": 0}


def mlp(library):
    """Keras's documented builder: an MLP sized from `X` and the processed `y`."""

    def build(X, y, loss, out_activation_function="softmax", layers=(10,)):
        inputs = library.Input(shape=(X.shape[1],))
        hidden = inputs
        for units in layers:
            hidden = library.layers.Dense(units, activation="relu")(hidden)
        n_outputs = y.shape[1] if len(y.shape) > 1 else 1
        outputs = library.layers.Dense(n_outputs, activation=out_activation_function)(hidden)
        model = library.Model(inputs, [outputs])
        model.compile(loss=loss, optimizer="rmsprop")
        return model

    return build


def picklable_mlp(X, y, **kwargs):
    """`mlp(tk)` at module level, so that a fitted estimator holding it pickles."""
    return mlp(tk)(X, y, **kwargs)


def linear(library):
    """One zero-initialized Dense layer trained by full-batch SGD: the same fit in both libraries."""

    def build(X, y, activation):
        inputs = library.Input(shape=(X.shape[1],))
        dense = library.layers.Dense(y.shape[1], activation=activation, kernel_initializer="zeros")
        model = library.Model(inputs, dense(inputs))
        loss = "categorical_crossentropy" if activation == "softmax" else "mse"
        model.compile(loss=loss, optimizer=library.optimizers.SGD(learning_rate=0.1))
        return model

    return build


def classification(n_classes=3, n_samples=60, seed=0):
    return make_classification(
        n_samples=n_samples, n_features=5, n_informative=3, n_classes=n_classes, random_state=seed
    )


def regression(n_samples=40, seed=0):
    X, y = make_regression(n_samples=n_samples, n_features=4, noise=0.1, random_state=seed)
    return X, y / np.abs(y).max()


def _estimators(library):
    return (
        library.wrappers.SKLearnClassifier(
            model=mlp(library),
            model_kwargs={"loss": "categorical_crossentropy"},
            fit_kwargs={"epochs": 2, **QUIET},
        ),
        library.wrappers.SKLearnRegressor(
            model=mlp(library),
            model_kwargs={"loss": "mse", "out_activation_function": "linear"},
            fit_kwargs={"epochs": 2, **QUIET},
        ),
        library.wrappers.SKLearnTransformer(
            model=mlp(library),
            model_kwargs={"loss": "mse", "out_activation_function": "linear", "layers": (6,)},
            fit_kwargs=QUIET,
        ),
    )


def _fitted_summary(library):
    """What Keras's estimators expose after a fit, comparable across the two libraries."""
    library.utils.set_random_seed(0)
    classifier, regressor, transformer = _estimators(library)
    X, y = classification()
    Xr, yr = regression()
    classifier.fit(X, y)
    regressor.fit(Xr, yr)
    transformer.fit(Xr, yr)
    predicted, scores = classifier.predict(X[:7]), classifier.decision_function(X[:7])
    transformed = transformer.transform(Xr[:5])
    tags = [sklearn.utils.get_tags(e) for e in (classifier, regressor, transformer)]
    return (
        sorted(classifier.get_params()),
        [type(e.history_).__name__ for e in (classifier, regressor, transformer)],
        classifier.classes_.tolist(),
        classifier.n_features_in_,
        (predicted.shape, predicted.dtype, set(predicted) <= {0, 1, 2}),
        (scores.shape, scores.dtype),
        (regressor.predict(Xr[:5]).shape, regressor.predict(Xr[:5]).dtype),
        (transformed.shape, transformed.dtype),
        type(classifier.score(X, y)).__name__,
        type(regressor.score(Xr, yr)).__name__,
        [t.non_deterministic for t in tags],
        (tags[0].classifier_tags.poor_score, tags[1].regressor_tags.poor_score),
        tags[2].transformer_tags.preserves_dtype,
    )


def test_fitted_estimators_match_keras(keras):
    assert _fitted_summary(tk) == _fitted_summary(keras)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_fit_matches_keras_numerically(keras, n_classes):
    X, y = classification(n_classes=n_classes)
    X = StandardScaler().fit_transform(X)
    results = []
    for library in (tk, keras):
        estimator = library.wrappers.SKLearnClassifier(
            model=linear(library),
            model_kwargs={"activation": "softmax"},
            fit_kwargs={"epochs": 3, "batch_size": len(X), "shuffle": False, **QUIET},
        )
        estimator.fit(X, y)
        results.append((estimator.decision_function(X), estimator.predict(X), estimator.score(X, y)))
    (ours, ours_labels, ours_score), (theirs, theirs_labels, theirs_score) = results
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours_labels, theirs_labels)
    assert ours_score == theirs_score


def test_regressor_fit_matches_keras_numerically(keras):
    X, y = regression()
    results = []
    for library in (tk, keras):
        estimator = library.wrappers.SKLearnRegressor(
            model=linear(library),
            model_kwargs={"activation": None},
            fit_kwargs={"epochs": 4, "batch_size": len(X), "shuffle": False, **QUIET},
        )
        estimator.fit(X, y)
        results.append((estimator.predict(X), estimator.score(X, y)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5)


def test_targets_are_one_dimensional_as_in_keras(keras):
    # scikit-learn's validation ravels a column target (with a warning) and refuses several columns.
    X, y = regression()
    outcomes = []
    for library in (tk, keras):
        estimator = library.wrappers.SKLearnRegressor(
            model=linear(library), model_kwargs={"activation": None}, fit_kwargs=QUIET
        )
        with pytest.warns(sklearn.exceptions.DataConversionWarning):
            estimator.fit(X, y[:, None])
        with pytest.raises(ValueError, match="1d array"):
            estimator.fit(X, np.stack([y, y], axis=1))
        outcomes.append(estimator.predict(X).shape)
    assert outcomes == [(len(X),), (len(X),)]


def test_decision_function_argmax_is_predict():
    # Keras's own check, for a probability output and for a logit output.
    X, y = classification(n_classes=2, n_samples=10)
    for activation in ("softmax", "linear"):
        estimator = SKLearnClassifier(
            model=mlp(tk),
            model_kwargs={"out_activation_function": activation, "loss": "binary_crossentropy"},
            fit_kwargs=QUIET,
        ).fit(X, y)
        np.testing.assert_array_equal(estimator.decision_function(X).argmax(axis=-1), estimator.predict(X))


def test_string_labels_come_back_as_labels():
    X, y = classification(n_classes=3)
    labels = np.array(["cat", "dog", "eel"])[y]
    estimator = SKLearnClassifier(
        model=mlp(tk), model_kwargs={"loss": "categorical_crossentropy"}, fit_kwargs=QUIET
    )
    estimator.fit(X, labels)
    assert estimator.classes_.tolist() == ["cat", "dog", "eel"]
    assert set(estimator.predict(X)) <= set(labels)


def test_pipeline_grid_search_and_cross_validation():
    X, y = classification()
    pipeline = make_pipeline(
        StandardScaler(),
        SKLearnClassifier(model=mlp(tk), model_kwargs={"loss": "categorical_crossentropy"}, fit_kwargs=QUIET),
    )
    grid = {
        "sklearnclassifier__model_kwargs": [
            {"loss": "categorical_crossentropy", "layers": (4,)},
            {"loss": "categorical_crossentropy", "layers": (8, 8)},
        ],
        "sklearnclassifier__fit_kwargs": [{"epochs": 1, **QUIET}, {"epochs": 2, **QUIET}],
    }
    search = GridSearchCV(pipeline, grid, cv=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.predict(X).shape == (len(X),)
    assert search.best_estimator_[-1].epoch_ == search.best_params_["sklearnclassifier__fit_kwargs"]["epochs"]
    Xr, yr = regression()
    regressor = SKLearnRegressor(
        model=mlp(tk), model_kwargs={"loss": "mse", "out_activation_function": "linear"}, fit_kwargs=QUIET
    )
    scores = cross_val_score(regressor, Xr, yr, cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_clone_keeps_every_parameter_and_no_fitted_state():
    # Keras 3.15's `__sklearn_clone__` drops `fit_kwargs`; here the clone keeps it.
    estimator = SKLearnClassifier(
        model=mlp(tk), warm_start=True, model_kwargs={"loss": "mse"}, fit_kwargs={"epochs": 3}
    )
    estimator.fit(*classification(), **QUIET)
    twin = clone(estimator)
    assert twin.get_params() == estimator.get_params()
    assert twin.model is estimator.model and twin.fit_kwargs is not estimator.fit_kwargs
    assert not hasattr(twin, "model_") and not hasattr(twin, "classes_")
    twin.set_params(fit_kwargs={"epochs": 1})
    assert estimator.fit_kwargs == {"epochs": 3}


def test_pickled_fitted_estimators_predict_the_same():
    classifier, regressor, transformer = _estimators(tk)
    for estimator in (classifier, regressor, transformer):
        estimator.set_params(model=picklable_mlp)
    X, y = classification()
    Xr, yr = regression()
    for estimator, (data, target), method in (
        (classifier, (X, y), "predict"),
        (regressor, (Xr, yr), "predict"),
        (transformer, (Xr, yr), "transform"),
    ):
        estimator.fit(data, target)
        restored = pickle.loads(pickle.dumps(estimator))
        expected = getattr(estimator, method)(data)
        np.testing.assert_array_equal(getattr(restored, method)(data), expected)


def test_a_model_instance_is_cloned_with_its_compile_state():
    X, y = classification()
    model = mlp(tk)(X, np.eye(3)[y], loss="categorical_crossentropy")
    model.compile(loss="categorical_crossentropy", optimizer=tk.optimizers.Adam(0.05), metrics=["accuracy"])
    before = [w.copy() for w in model.get_weights()]
    estimator = SKLearnClassifier(model=model, fit_kwargs=QUIET).fit(X, y)
    assert estimator.model_ is not model and estimator.model_.optimizer is not model.optimizer
    assert float(estimator.model_.optimizer.learning_rate) == pytest.approx(0.05)
    assert sorted(estimator.history_.history) == ["accuracy", "loss"]
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # the given model is never trained


def test_warm_start_continues_the_fitted_model():
    # Keras 3.15 documents `warm_start` but always starts from a new model.
    X, y = regression()
    kwargs = {"model": mlp(tk), "model_kwargs": {"loss": "mse", "out_activation_function": "linear"}}
    warm = SKLearnRegressor(warm_start=True, **kwargs).fit(X, y, **QUIET)
    first = warm.model_
    iterations = int(first.optimizer.iterations)
    warm.fit(X, y, **QUIET)
    assert warm.model_ is first and int(first.optimizer.iterations) == 2 * iterations
    cold = SKLearnRegressor(**kwargs).fit(X, y, **QUIET)
    first = cold.model_
    assert cold.fit(X, y, **QUIET).model_ is not first


def test_fit_arguments_take_precedence_and_fit_kwargs_is_left_alone():
    # Keras 3.15 writes the arguments of `fit` into the `fit_kwargs` parameter.
    fit_kwargs = {"epochs": 1, **QUIET}
    linear_output = {"loss": "mse", "out_activation_function": "linear"}
    estimator = SKLearnRegressor(model=mlp(tk), model_kwargs=linear_output, fit_kwargs=fit_kwargs)
    estimator.fit(*regression(), epochs=3)
    assert estimator.epoch_ == 3 and fit_kwargs == {"epochs": 1, **QUIET}


def test_epoch_counts_the_epochs_reached():
    # Keras 3.15's `epoch_` raises AttributeError once fitted (it reads `History` as a dict).
    estimator = SKLearnRegressor(
        model=mlp(tk), model_kwargs={"loss": "mse", "out_activation_function": "linear"}, fit_kwargs=QUIET
    )
    assert estimator.epoch_ == 0
    assert estimator.fit(*regression(), epochs=2).epoch_ == 2


def test_set_fit_request_routes_metadata_to_fit():
    # Keras 3.15 records the request for `score` instead of `fit`.
    X, y = regression()
    estimator = SKLearnRegressor(
        model=mlp(tk), model_kwargs={"loss": "mse", "out_activation_function": "linear"}, fit_kwargs=QUIET
    )
    with pytest.raises(RuntimeError, match="enable_metadata_routing"):
        estimator.set_fit_request(sample_weight=True)
    seen = []

    def recording_model(X, y, **kwargs):
        model = mlp(tk)(X, y, **kwargs)
        fit = model.fit
        model.fit = lambda *args, **fit_kwargs: seen.append(sorted(fit_kwargs)) or fit(*args, **fit_kwargs)
        return model

    estimator.set_params(model=recording_model)
    with sklearn.config_context(enable_metadata_routing=True):
        assert estimator.set_fit_request(sample_weight=True) is estimator
        routing = sklearn.utils.metadata_routing.get_routing_for_object(estimator)
        assert routing.fit.requests == {"sample_weight": True}
        cross_validate(estimator, X, y, cv=2, params={"sample_weight": np.ones(len(X))})
    assert seen == [["sample_weight", "verbose"]] * 2


def test_invalid_models_and_targets_raise_before_changing_anything():
    X, y = classification()
    uncompiled = tk.Sequential([tk.Input((5,)), tk.layers.Dense(3)])
    with pytest.raises(RuntimeError, match="compiled with a loss and an optimizer"):
        SKLearnClassifier(model=uncompiled).fit(X, y)
    with pytest.raises(TypeError, match="`model` must be a compiled `keras.Model`"):
        SKLearnClassifier(model=3).fit(X, y)
    with pytest.raises(TypeError, match="must return a `keras.Model`"):
        SKLearnClassifier(model=lambda X, y: "not a model").fit(X, y)
    estimator = SKLearnClassifier(
        model=mlp(tk), model_kwargs={"loss": "categorical_crossentropy"}, fit_kwargs=QUIET
    ).fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        estimator.fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="binary and multiclass"):
        estimator.fit(X, np.linspace(0, 1, len(X)))
    assert estimator.classes_.tolist() == [0, 1, 2]  # a failed fit leaves the fitted state as it was
    assert estimator.predict(X).shape == (len(X),)
    with pytest.raises(sklearn.exceptions.NotFittedError):
        SKLearnRegressor(model=mlp(tk)).predict(X)
    with pytest.raises(ValueError, match="features"):
        estimator.predict(X[:, :3])


def test_without_scikit_learn_the_namespace_imports_and_constructing_says_what_to_install():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import torchkeras as keras\n"
        "from torchkeras.wrappers import SKLearnClassifier\n"
        "try:\n"
        "    SKLearnClassifier(model=None)\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "SKLearnClassifier requires scikit-learn" in out.stdout


def test_transformer_in_a_pipeline():
    X, y = regression()
    embed = SKLearnTransformer(
        model=mlp(tk), model_kwargs={"loss": "mse", "out_activation_function": "linear", "layers": (3,)}
    )
    pipeline = make_pipeline(embed, StandardScaler()).fit(X, y, sklearntransformer__verbose=0)
    assert pipeline.transform(X).shape == (len(X), 1)
