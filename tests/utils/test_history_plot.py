"""plot_history draws one panel per metric, train against validation."""

import numpy as np
import pytest

import torchkeras as keras

pytest.importorskip("matplotlib")


def test_plot_history_from_fit(tmp_path):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0)
    figure = keras.utils.plot_history(history)
    axes = figure.get_axes()
    assert [axis.get_title() for axis in axes] == ["loss", "mae"]
    train_line, validation_line = axes[0].get_lines()
    np.testing.assert_allclose(train_line.get_ydata(), history.history["loss"])
    np.testing.assert_allclose(validation_line.get_ydata(), history.history["val_loss"])
    assert list(train_line.get_xdata()) == [1, 2, 3]
    figure.savefig(tmp_path / "history.png")
    assert (tmp_path / "history.png").stat().st_size > 1000


def test_plot_history_selects_and_checks_metrics():
    logs = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.7]}
    figure = keras.utils.plot_history(logs, metrics=["accuracy"])
    assert [axis.get_title() for axis in figure.get_axes()] == ["accuracy"]
    assert len(figure.get_axes()[0].get_lines()) == 1
    with pytest.raises(ValueError, match="metrics"):
        keras.utils.plot_history(logs, metrics=["auc"])
    with pytest.raises(ValueError, match="history"):
        keras.utils.plot_history({})


def test_missing_matplotlib_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="plot"):
        keras.utils.plot_history({"loss": [1.0]})
