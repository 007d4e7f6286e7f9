"""Fixtures for callback tests: a tiny fake model (ours) and a tiny Keras model (the reference)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch


class FakeOptimizer:
    """Holds the learning rate in float32, as a Keras optimizer variable does."""

    def __init__(self, learning_rate: float = 0.01):
        self._learning_rate = torch.tensor(learning_rate, dtype=torch.float32)

    @property
    def learning_rate(self) -> torch.Tensor:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self._learning_rate.fill_(float(value))


class FakeMetric:
    def __init__(self, name: str, direction: str | None = None):
        self.name = name
        if direction is not None:
            self._direction = direction


class FakeMetricContainer:
    """Like Keras's `CompileMetrics`: a metric-like object holding the compiled metrics."""

    def __init__(self, metrics: list):
        self.name = "compile_metrics"
        self.metrics = metrics


class FakeModel:
    """Just the public surface callbacks use: stop_training, optimizer, weights, save, metrics."""

    def __init__(self, learning_rate: float = 0.01, metrics: list | None = None):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.metrics = metrics or []
        self.weights = [np.zeros((2, 1), "float32"), np.zeros((1,), "float32")]
        self.saved: list[tuple[str, str]] = []

    def get_weights(self) -> list[np.ndarray]:
        return [w.copy() for w in self.weights]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        self.weights = [np.array(w) for w in weights]

    def save(self, filepath: str, overwrite: bool = True) -> None:
        self._write(filepath, "model")

    def save_weights(self, filepath: str, overwrite: bool = True) -> None:
        self._write(filepath, "weights")

    def _write(self, filepath: str, kind: str) -> None:
        with open(filepath, "w") as f:
            json.dump({"kind": kind, "weights": float(self.weights[0].flat[0])}, f)
        self.saved.append((kind, filepath))


@pytest.fixture
def fake_model():
    return FakeModel()


@pytest.fixture
def make_fake_model():
    return FakeModel


@pytest.fixture
def fake_metrics():
    """Metrics as a compiled model lists them: a loss tracker, then a container of compiled metrics."""
    return [
        FakeMetric("loss"),
        FakeMetricContainer([FakeMetric("accuracy", "up"), FakeMetric("mae", "down")]),
    ]


@pytest.fixture
def keras_model():
    """A compiled one-Dense Keras model (SGD, learning rate 0.01)."""
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    return model


def set_epoch_weights(model, value: float) -> None:
    """Fills every weight of `model` (ours or Keras's) with `value`, to track which epoch is restored."""
    model.set_weights([np.full(np.shape(w), value, "float32") for w in model.get_weights()])


@pytest.fixture
def fill_weights():
    return set_epoch_weights
