"""LossScaleOptimizer: the dynamic scale as Keras moves it, skipped non-finite steps, fit."""

import numpy as np
import pytest
import torch

import torchkeras as tk
from torchkeras.optimizers import SGD, LossScaleOptimizer


def _run(lib, grads):
    optimizer = lib.optimizers.LossScaleOptimizer(
        lib.optimizers.SGD(0.1), initial_scale=4.0, dynamic_growth_steps=2
    )
    variable = lib.Variable(np.ones(2, "float32"))
    history = []
    for g in grads:
        optimizer.apply([lib.ops.convert_to_tensor(np.asarray(g, "float32"))], [variable])
        history.append(
            (
                np.asarray(variable.numpy()).tolist(),
                float(np.asarray(optimizer.dynamic_scale.numpy())),
                int(np.asarray(optimizer.step_counter.numpy())),
                int(np.asarray(optimizer.iterations.numpy())),
            )
        )
    return history


def test_matches_keras(keras):
    grads = [[4.0, 8.0], [4.0, 8.0], [np.inf, 0.0], [8.0, 8.0], [np.nan, 1.0], [2.0, 2.0]]
    assert _run(tk, grads) == _run(keras, grads)


def test_scale_loss_config_and_learning_rate(keras):
    optimizer = LossScaleOptimizer(SGD(0.1), initial_scale=8.0)
    assert float(optimizer.scale_loss(torch.tensor(2.0))) == 16.0
    optimizer.learning_rate = 0.05
    assert float(optimizer.inner_optimizer.learning_rate) == pytest.approx(0.05)
    theirs = keras.optimizers.LossScaleOptimizer(
        keras.optimizers.SGD(0.1, name="inner"), initial_scale=8.0
    ).get_config()
    ours = LossScaleOptimizer(SGD(0.1, name="inner"), initial_scale=8.0).get_config()
    assert ours["initial_scale"] == theirs["initial_scale"] and ours["dynamic_growth_steps"] == 2000
    assert ours["inner_optimizer"]["config"] == {
        k: v for k, v in theirs["inner_optimizer"]["config"].items() if k in ours["inner_optimizer"]["config"]
    }
    again = LossScaleOptimizer.from_config(ours)
    assert isinstance(again.inner_optimizer, SGD) and again.initial_scale == 8.0
    assert tk.mixed_precision.LossScaleOptimizer is LossScaleOptimizer


def test_fit_scales_the_loss_and_trains():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")
    torch.manual_seed(0)
    model = tk.Sequential([tk.Input((3,)), tk.layers.Dense(1)])
    model.compile(LossScaleOptimizer(SGD(0.1), initial_scale=1024.0), "mse")
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]


def test_errors():
    with pytest.raises(ValueError, match="dynamic=False"):
        LossScaleOptimizer(SGD(), dynamic=False)
    with pytest.raises(ValueError, match="clipnorm"):
        LossScaleOptimizer(SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="inner_optimizer"):
        LossScaleOptimizer(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1))
