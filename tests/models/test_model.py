"""Subclassed models and `Model(torch_module)`."""

import numpy as np
import torch

import torchkeras as tk


class TwoTower(tk.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.left = tk.layers.Dense(4, activation="relu")
        self.right = tk.layers.Dense(4)
        self.head = tk.layers.Dense(1)

    def call(self, inputs, training=None):
        return self.head(self.left(inputs) + self.right(inputs))


def test_subclassed_model_builds_on_call_and_on_build():
    model = TwoTower()
    out = model(np.ones((3, 5), "float32"))
    assert tuple(out.shape) == (3, 1) and len(model.weights) == 6
    assert [layer.name for layer in model.layers] == [model.left.name, model.right.name, model.head.name]
    other = TwoTower()
    other.build((None, 5))
    assert other.count_params() == model.count_params()


class Pair(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(3, 2)
        self.b = torch.nn.Linear(4, 2)
        self.norm = torch.nn.BatchNorm1d(2)

    def forward(self, left, right):
        return {"sum": self.norm(self.a(left) + self.b(right)), "left": self.a(left)}


def test_wrapped_module_keeps_module_and_dispatches_inputs():
    module = Pair()
    before = {k: v.clone() for k, v in module.state_dict().items()}
    model = tk.Model(module)
    assert model.module is module and model.name == "pair"
    assert len(model.trainable_weights) == 6 and len(model.non_trainable_weights) == 2
    module.eval()
    left, right = torch.randn(5, 3), torch.randn(5, 4)
    torch.testing.assert_close(model((left, right))["sum"], module(left, right)["sum"])
    torch.testing.assert_close(model({"left": left, "right": right})["left"], module(left, right)["left"])
    for key, value in module.state_dict().items():
        torch.testing.assert_close(value, before[key])  # nothing about the module changed
    assert set(model.state_dict()) == {f"module.{k}" for k in module.state_dict()}


def test_wrapped_module_weights_round_trip():
    model = tk.Model(torch.nn.Linear(3, 2))
    weights = model.get_weights()
    model.set_weights([w * 0 for w in weights])
    assert all(np.all(w == 0) for w in model.get_weights())


class MeanActivation(tk.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tracker = tk.metrics.Mean(name="mean_activation")

    def call(self, inputs):
        self.tracker.update_state(inputs)
        return inputs


def test_sublayer_metrics_are_collected_into_metrics_and_logs(keras):
    x = np.full((8, 3), 2.0, "float32")
    y = np.ones((8, 1), "float32")

    def build(library, layer_class):
        inputs = library.Input((3,))
        nested = library.Sequential([library.Input((3,)), layer_class()])
        model = library.Model(inputs, library.layers.Dense(1)(nested(inputs)))
        model.compile("sgd", "mse")
        return model

    class KerasMeanActivation(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.tracker = keras.metrics.Mean(name="mean_activation")

        def call(self, inputs):
            self.tracker.update_state(inputs)
            return inputs

    ours, theirs = build(tk, MeanActivation), build(keras, KerasMeanActivation)
    assert ours.metrics_names == [m.name for m in theirs.metrics] == ["loss", "mean_activation"]
    history = ours.fit(x, y, epochs=2, batch_size=4, verbose=0).history
    reference = theirs.fit(x, y, epochs=2, batch_size=4, verbose=0).history
    assert sorted(history) == sorted(reference)
    assert history["mean_activation"] == [2.0, 2.0]  # reset each epoch with the model's metrics
    logs = ours.evaluate(x * 3, y, verbose=0, return_dict=True)
    assert logs["mean_activation"] == 6.0
