"""MultiOptimizer / OptimizerMap: each variable updated by its optimizer, as Keras does."""

import numpy as np
import pytest
import torch

import torchkeras as tk
from tests.optimizers.optimizer_parity import to_numpy
from torchkeras.optimizers import SGD, Adam, MultiOptimizer, OptimizerMap


def _run(lib, steps=3):
    rng = np.random.default_rng(0)
    shapes = {"encoder_kernel": (3, 2), "encoder_bias": (2,), "head_kernel": (2, 1)}
    variables = [lib.Variable(rng.normal(size=s).astype("float32"), name=n) for n, s in shapes.items()]
    mapping = lib.optimizers.OptimizerMap(lib.optimizers.SGD(0.1), {"encoder_.*": lib.optimizers.Adam(0.01)})
    optimizer = lib.optimizers.MultiOptimizer(mapping)
    for _ in range(steps):
        grads = [rng.normal(size=s).astype("float32") for s in shapes.values()]
        optimizer.apply([lib.ops.convert_to_tensor(g) for g in grads], variables)
    return optimizer, variables


def test_matches_keras(keras):
    ours, our_vars = _run(tk)
    theirs, their_vars = _run(keras)
    for a, b in zip(our_vars, their_vars):
        np.testing.assert_allclose(a.detach().numpy(), to_numpy(keras, b), rtol=1e-5, atol=1e-6)
    assert [type(o).__name__ for o in ours.optimizers] == [type(o).__name__ for o in theirs.optimizers]
    assert len(ours.variables) == len(theirs.variables)
    assert int(ours.iterations) == int(keras.ops.convert_to_numpy(theirs.iterations)) == 3


def test_map_lookup_rules():
    adam, sgd, default = Adam(), SGD(), SGD()
    mapping = OptimizerMap(default, {"encoder/layer_0/dense": adam, "encoder/.*": sgd})
    assert mapping["encoder/layer_0/dense"] is adam
    assert mapping["encoder/layer_0/attention"] is sgd
    assert mapping["decoder/dense"] is default
    mapping["enc.*"] = Adam()
    with pytest.raises(ValueError, match="Multiple optimizers"):
        mapping["encoder/x"]  # noqa: B018
    with pytest.raises(ValueError, match="already exists"):
        mapping["enc.*"] = Adam()


def test_fit_with_a_selector_function_and_errors():
    torch.manual_seed(0)
    model = tk.Sequential([tk.Input((3,)), tk.layers.Dense(4, name="body"), tk.layers.Dense(1, name="head")])
    head_optimizer = SGD(0.0)  # frozen by a zero learning rate

    def select(variable):
        return head_optimizer if variable.path.startswith("head") else body_optimizer

    body_optimizer = Adam(0.01)
    model.compile(MultiOptimizer(select), "mse")
    head_before = [w.copy() for w in model.layers[1].get_weights()]
    body_before = [w.copy() for w in model.layers[0].get_weights()]
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    for now, before in zip(model.layers[1].get_weights(), head_before):
        np.testing.assert_array_equal(now, before)
    assert not np.allclose(model.layers[0].get_weights()[0], body_before[0])
    with pytest.raises(AttributeError, match="sub-optimizers"):
        MultiOptimizer(select).learning_rate  # noqa: B018
    with pytest.raises(ValueError, match="LossScaleOptimizer"):
        OptimizerMap(SGD(), {"a": tk.optimizers.LossScaleOptimizer(SGD())})


def test_config_round_trip():
    optimizer = MultiOptimizer(
        OptimizerMap(SGD(0.1, name="s"), {"enc.*": Adam(0.01, name="a")}), name="multi"
    )
    config = optimizer.get_config()
    again = MultiOptimizer.from_config(config)
    assert again.get_config() == config
    assert [o.name for o in again.optimizers] == ["a", "s"]
