"""SwapEMAWeights: evaluation and prediction see the moving averages; training keeps its weights."""

import numpy as np
import pytest
import torch

import torchkeras as tk


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-1.0], [2.0]], "float32")).astype("float32")
    return x, y


def _model():
    torch.manual_seed(0)
    model = tk.Sequential([tk.Input((3,)), tk.layers.Dense(1)])
    model.compile(tk.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.9), "mse")
    return model


def test_evaluate_and_predict_use_the_averages_then_restore():
    x, y = _data()
    model = _model()
    for start in range(0, 32, 8):  # `fit` would end by copying the averages into the model
        model.train_on_batch(x[start : start + 8], y[start : start + 8])
    trained = [w.copy() for w in model.get_weights()]
    averages = [a.detach().numpy().copy() for a in model.optimizer._model_variables_moving_average]
    assert not np.allclose(trained[0], averages[0])
    callback = tk.callbacks.SwapEMAWeights()
    ema_predictions = model.predict(x, verbose=0, callbacks=[callback])
    np.testing.assert_allclose(ema_predictions, x @ averages[0] + averages[1], rtol=1e-5, atol=1e-5)
    ema_loss = model.evaluate(x, y, verbose=0, callbacks=[callback])
    np.testing.assert_allclose(ema_loss, np.mean((x @ averages[0] + averages[1] - y) ** 2), rtol=1e-5)
    for now, before in zip(model.get_weights(), trained):
        np.testing.assert_array_equal(now, before)


def test_swap_on_epoch_leaves_the_averages_in_the_model():
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    expected = [a.detach().numpy().copy() for a in model.optimizer._model_variables_moving_average]
    again = _model()
    again.fit(
        x, y, epochs=2, batch_size=8, shuffle=False, verbose=0,
        callbacks=[tk.callbacks.SwapEMAWeights(swap_on_epoch=True)],
    )  # fmt: skip
    # Epoch 2 trains from the swapped-back weights, so the run equals the plain one.
    for weight, average in zip(again.get_weights(), expected):
        np.testing.assert_allclose(weight, average, rtol=1e-6)


def test_needs_an_ema_optimizer():
    x, y = _data()
    model = tk.Sequential([tk.Input((3,)), tk.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="use_ema"):
        model.evaluate(x, y, verbose=0, callbacks=[tk.callbacks.SwapEMAWeights()])
