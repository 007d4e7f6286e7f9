"""fit / evaluate / predict against Keras 3: same weights and data -> same History and weights."""

import numpy as np
import pytest

import torchkeras as tk


def _data(n=96, features=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = rng.integers(0, classes, n)
    return x, y


def _twins(
    keras, optimizer_ours, optimizer_theirs, loss="sparse_categorical_crossentropy", metrics=("accuracy",)
):
    def build(k):
        return k.Sequential(
            [k.Input((5,)), k.layers.Dense(8, activation="relu"), k.layers.Dense(3, activation="softmax")]
        )

    theirs = build(keras)
    ours = build(tk)
    ours.set_weights(theirs.get_weights())
    theirs.compile(optimizer=optimizer_theirs, loss=loss, metrics=list(metrics))
    ours.compile(optimizer=optimizer_ours, loss=loss, metrics=list(metrics))
    return ours, theirs


@pytest.mark.parametrize("batch_size", [32, 20])  # 20: the last partial batch is kept
def test_one_epoch_sgd_matches_keras(keras, batch_size):
    x, y = _data()
    ours, theirs = _twins(keras, tk.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    h_ours = ours.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0)
    assert set(h_ours.history) == set(h_theirs.history)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-5, atol=1e-6)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_validation_split_sample_weight_and_evaluate_match_keras(keras):
    x, y = _data(n=100)
    weights = np.linspace(0.5, 1.5, 100).astype("float32")
    ours, theirs = _twins(keras, tk.optimizers.Adam(0.01), keras.optimizers.Adam(0.01))
    kwargs = dict(
        batch_size=16, epochs=2, shuffle=False, validation_split=0.25, sample_weight=weights, verbose=0
    )
    h_ours, h_theirs = ours.fit(x, y, **kwargs), theirs.fit(x, y, **kwargs)
    assert set(h_ours.history) == {"loss", "accuracy", "val_loss", "val_accuracy"} == set(h_theirs.history)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-5)
    assert (
        ours.evaluate(x, y, verbose=0, return_dict=True).keys()
        == theirs.evaluate(x, y, verbose=0, return_dict=True).keys()
    )
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_class_weight_matches_keras(keras):
    x, y = _data(n=64)
    ours, theirs = _twins(keras, tk.optimizers.SGD(0.05), keras.optimizers.SGD(0.05))
    class_weight = {0: 1.0, 1: 2.0, 2: 0.5}
    h_ours = ours.fit(x, y, batch_size=16, shuffle=False, class_weight=class_weight, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=16, shuffle=False, class_weight=class_weight, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=1e-5)


def test_multi_output_history_names_and_values_match_keras(keras):
    x, y = _data(n=64)
    y_reg = x.sum(-1, keepdims=True)

    def build(k):
        inputs = k.Input((5,), name="inp")
        hidden = k.layers.Dense(6, activation="relu", name="hidden")(inputs)
        return k.Model(
            inputs,
            [
                k.layers.Dense(1, name="reg")(hidden),
                k.layers.Dense(3, activation="softmax", name="cls")(hidden),
            ],
        )

    theirs, ours = build(keras), build(tk)
    ours.set_weights(theirs.get_weights())
    compile_args = dict(
        loss=["mse", "sparse_categorical_crossentropy"],
        metrics=[["mae"], ["accuracy"]],
        loss_weights=[1.0, 0.5],
    )
    theirs.compile(optimizer=keras.optimizers.SGD(0.01), **compile_args)
    ours.compile(optimizer=tk.optimizers.SGD(0.01), **compile_args)
    h_theirs = theirs.fit(x, [y_reg, y], batch_size=16, shuffle=False, verbose=0)
    h_ours = ours.fit(x, [y_reg, y], batch_size=16, shuffle=False, verbose=0)
    assert set(h_ours.history) == set(h_theirs.history)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        ours.evaluate(x, [y_reg, y], verbose=0), theirs.evaluate(x, [y_reg, y], verbose=0), rtol=1e-5
    )


def test_train_and_test_on_batch_match_keras(keras):
    x, y = _data(n=16)
    ours, theirs = _twins(keras, tk.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    np.testing.assert_allclose(ours.train_on_batch(x, y), theirs.train_on_batch(x, y), rtol=1e-5)
    np.testing.assert_allclose(ours.test_on_batch(x, y), theirs.test_on_batch(x, y), rtol=1e-5)
    np.testing.assert_allclose(
        ours.predict_on_batch(x), np.asarray(theirs.predict_on_batch(x)), rtol=1e-5, atol=1e-6
    )


def test_batch_normalization_in_fit_matches_keras(keras):
    """Weights order (gamma, beta, moving mean / variance per layer) and BN training in fit."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 16)).astype("float32")
    y = (x[:, 0] > -0.5).astype("int64") + (x[:, 0] > 0.5).astype("int64")

    def build(k):
        L = k.layers
        return k.Sequential(
            [k.Input((16,)), L.Dense(32, activation="relu"), L.BatchNormalization(), L.Dense(3)]
        )

    theirs, ours = build(keras), build(tk)
    ours.set_weights(theirs.get_weights())
    theirs.compile(
        keras.optimizers.Adam(),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    ours.compile(
        tk.optimizers.Adam(), tk.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    kwargs = dict(epochs=2, batch_size=32, validation_split=0.25, shuffle=False, verbose=0)
    h_theirs, h_ours = theirs.fit(x, y, **kwargs).history, ours.fit(x, y, **kwargs).history
    for key in h_theirs:
        np.testing.assert_allclose(h_ours[key], h_theirs[key], rtol=1e-4, atol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("metrics", [[["mae", "mse"]], [["mae"], ["mse"]], ["mae", ["mse"]]])
def test_nested_metric_lists_of_a_one_output_model_match_keras(keras, metrics):
    """Keras flattens nested metric lists for a model with one output."""
    x, y = _data()
    x, y = x[:40], (y[:40, None] / 2).astype("float32")

    def build(k):
        return k.Sequential([k.Input((5,)), k.layers.Dense(1)])

    theirs, ours = build(keras), build(tk)
    ours.set_weights(theirs.get_weights())
    theirs.compile(loss="mse", metrics=metrics)
    ours.compile(loss="mse", metrics=metrics)
    expected = theirs.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    got = ours.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, err_msg=key)
