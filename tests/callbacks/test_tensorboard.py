"""TensorBoard writes Keras's tags into train/ and validation/ event files that TensorBoard reads."""

import numpy as np
import pytest

import torchkeras as keras

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def _events(folder):
    accumulator = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def _model():
    inputs = keras.Input((4,))
    hidden = keras.layers.Embedding(10, 3, name="embed")(
        keras.layers.Lambda(lambda t: t[:, 0].long())(inputs)
    )
    x = keras.layers.Dense(5, activation="relu", name="hidden")(inputs)
    x = keras.layers.Concatenate()([x, hidden])
    outputs = keras.layers.Dense(1, name="out")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", metrics=["mae"])
    return model


def _data(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, 4)).astype("float32")
    x[:, 0] = rng.integers(0, 10, 40)
    return x, rng.normal(size=(40, 1)).astype("float32")


def test_epoch_scalars_use_keras_tags_and_folders(tmp_path):
    keras.utils.set_random_seed(0)
    x, y = _data(0)
    model = _model()
    history = model.fit(
        x,
        y,
        epochs=3,
        batch_size=8,
        validation_split=0.25,
        verbose=0,
        callbacks=[keras.callbacks.TensorBoard(tmp_path, histogram_freq=1, write_images=True)],
    )
    train = _events(tmp_path / "train")
    validation = _events(tmp_path / "validation")
    tags = set(train.Tags()["scalars"])
    assert {"epoch_loss", "epoch_mae", "epoch_learning_rate"} <= tags
    assert not any(t.startswith("epoch_val_") for t in tags)
    assert {"epoch_loss", "epoch_mae"} <= set(validation.Tags()["scalars"])
    assert "evaluation_loss_vs_iterations" in validation.Tags()["scalars"]
    losses = [event.value for event in train.Scalars("epoch_loss")]
    np.testing.assert_allclose(losses, history.history["loss"], rtol=1e-6)
    val_losses = [event.value for event in validation.Scalars("epoch_loss")]
    np.testing.assert_allclose(val_losses, history.history["val_loss"], rtol=1e-6)
    assert [event.step for event in train.Scalars("epoch_loss")] == [0, 1, 2]
    np.testing.assert_allclose(train.Scalars("epoch_learning_rate")[0].value, 0.01, rtol=1e-6)
    histograms = set(train.Tags()["histograms"])
    assert any(tag.startswith("hidden") and tag.endswith("/histogram") for tag in histograms), histograms
    assert train.Tags()["images"], "write_images writes the weights as images"
    assert "keras" in "".join(train.Tags()["tensors"])  # the model config as text


@pytest.mark.parametrize("update_freq, expected_steps", [("batch", [1, 2, 3, 4, 5]), (2, [2, 4])])
def test_batch_level_scalars(tmp_path, update_freq, expected_steps):
    keras.utils.set_random_seed(1)
    x, y = _data(1)
    _model().fit(
        x[:40],
        y[:40],
        epochs=1,
        batch_size=8,
        verbose=0,
        callbacks=[keras.callbacks.TensorBoard(tmp_path, update_freq=update_freq, write_graph=False)],
    )
    train = _events(tmp_path / "train")
    assert [event.step for event in train.Scalars("batch_loss")] == expected_steps


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="profile_batch"):
        keras.callbacks.TensorBoard(profile_batch=2)
    with pytest.raises(ValueError, match="update_freq"):
        keras.callbacks.TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="histogram_freq"):
        keras.callbacks.TensorBoard(histogram_freq=-1)


def test_missing_tensorboard_names_the_extra(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    x, y = _data(2)
    model = _model()
    weights = [w.copy() for w in model.get_weights()]
    with pytest.raises(ImportError, match="tensorboard"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.TensorBoard(tmp_path)])
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)  # refused before the first step


def test_graph_of_a_traceable_model(tmp_path):
    keras.utils.set_random_seed(3)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data(3)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.TensorBoard(tmp_path)])
    graph = _events(tmp_path / "train").Graph()
    assert any("Linear" in node.op or "linear" in node.op or "addmm" in node.op for node in graph.node), [
        n.op for n in graph.node
    ]
