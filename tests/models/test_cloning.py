"""`clone_model` compiles the clone of a compiled model from its compile config, as Keras does."""

import numpy as np
import pytest
import torch

import torchkeras as tk


def _functional(library, outputs_in_list=False):
    inputs = library.Input((3,))
    outputs = library.layers.Dense(2)(library.layers.Dense(4, activation="relu")(inputs))
    return library.Model(inputs, [outputs] if outputs_in_list else outputs)


def _sequential(library):
    return library.Sequential([library.Input((3,)), library.layers.Dense(2)])


class _Subclassed(tk.Model):
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = tk.layers.Dense(units)

    def call(self, x):
        return self.dense(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _summary(model):
    """What compile set, comparable across torchkeras and Keras."""
    config = model.get_compile_config()
    optimizer = config["optimizer"]["config"]
    return (
        model.compiled,
        config["loss"],
        config["metrics"],
        config["optimizer"]["class_name"],
        round(float(optimizer["learning_rate"]), 6),
        optimizer["rho"],
    )


@pytest.mark.parametrize("build", [_functional, _sequential])
def test_clone_of_a_compiled_model_is_compiled_as_in_keras(keras, build):
    summaries = []
    for library in (tk, keras):
        model = build(library)
        optimizer = library.optimizers.RMSprop(learning_rate=0.05, rho=0.8)
        model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
        clone = library.models.clone_model(model)
        assert clone.optimizer is not model.optimizer  # a fresh optimizer with the same settings
        summaries.append(_summary(clone))
    assert summaries[0] == summaries[1]


def test_clone_trains_with_its_own_optimizer_and_metrics():
    model = _functional(tk, outputs_in_list=True)
    model.compile(optimizer=tk.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    clone = tk.models.clone_model(model)
    x, y = np.random.rand(8, 3).astype("float32"), np.random.rand(8, 2).astype("float32")
    history = clone.fit(x, y, epochs=2, verbose=0).history
    assert sorted(history) == ["loss", "mae"]
    assert int(clone.optimizer.iterations) == 2 and int(model.optimizer.iterations) == 0


def test_clone_of_an_uncompiled_model_is_not_compiled():
    assert not tk.models.clone_model(_functional(tk)).compiled


def test_clone_resolves_the_users_unregistered_loss_and_metric():
    # Keras 3.15 cannot clone this model ("Could not locate function"): its compile config names
    # objects that are not registered. The clone resolves them from the original's compile call.
    def squared(y_true, y_pred):
        return tk.ops.mean((y_true - y_pred) ** 2, axis=-1)

    class PredictionMean(tk.metrics.Mean):
        def update_state(self, y_true, y_pred, sample_weight=None):
            return super().update_state(y_pred)

    model = _sequential(tk)
    model.compile(optimizer="sgd", loss=squared, metrics=[PredictionMean(name="mean_prediction")])
    clone = tk.models.clone_model(model)
    assert clone.loss is squared
    x, y = np.random.rand(4, 3).astype("float32"), np.random.rand(4, 2).astype("float32")
    assert sorted(clone.fit(x, y, verbose=0).history) == ["loss", "mean_prediction"]


def test_clone_of_a_subclassed_model_is_built_and_compiled_as_in_keras():
    model = _Subclassed(units=3)
    model(np.zeros((1, 4), "float32"))
    model.compile(optimizer="adam", loss="mse")
    clone = tk.models.clone_model(model)
    assert isinstance(clone, _Subclassed) and clone.units == 3
    assert clone.built and [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    assert clone.compiled and clone.optimizer is not model.optimizer


def test_clone_of_a_model_with_a_torch_optimizer_is_not_compiled():
    # A torch optimizer holds the original's parameters: there is nothing to carry over.
    model = _functional(tk)
    model.compile(torch.optim.SGD(model.parameters(), lr=0.1), loss="mse")
    assert not tk.models.clone_model(model).compiled


def test_clone_of_a_model_with_a_torch_loss_module_warns_and_is_not_compiled():
    model = _functional(tk)
    model.compile("sgd", loss=torch.nn.MSELoss())
    with pytest.warns(UserWarning, match="not compiled"):
        assert not tk.models.clone_model(model).compiled
