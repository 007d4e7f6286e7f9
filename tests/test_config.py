"""keras.config: the settings Keras exposes, with Keras's defaults and effects."""

import numpy as np
import pytest
import torch

import torchkeras as tk
from torchkeras import config


@pytest.fixture
def restore_config():
    yield
    config.set_max_epochs(None)
    config.set_max_steps_per_epoch(None)
    config.enable_flash_attention()
    config.enable_interactive_logging()
    config.enable_traceback_filtering()
    config.set_dtype_policy(None)


def test_defaults_equal_keras(keras):
    for name in [
        "backend",
        "epsilon",
        "floatx",
        "image_data_format",
        "is_flash_attention_enabled",
        "is_interactive_logging_enabled",
        "is_traceback_filtering_enabled",
        "max_epochs",
        "max_steps_per_epoch",
    ]:
        assert getattr(config, name)() == getattr(keras.config, name)(), name
    assert config.dtype_policy().name == keras.config.dtype_policy().name


def _model():
    model = tk.Sequential([tk.Input((3,)), tk.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


class _CountBatches(tk.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.train, self.test, self.predict = 0, 0, 0

    def on_train_batch_end(self, batch, logs=None):
        self.train += 1

    def on_test_batch_end(self, batch, logs=None):
        self.test += 1

    def on_predict_batch_end(self, batch, logs=None):
        self.predict += 1


def test_max_epochs_and_steps_cap_fit_evaluate_predict(restore_config):
    x, y = np.zeros((40, 3), "float32"), np.zeros((40, 1), "float32")
    config.set_max_epochs(2)
    config.set_max_steps_per_epoch(3)
    assert (config.max_epochs(), config.max_steps_per_epoch()) == (2, 3)
    model, counter = _model(), _CountBatches()
    with pytest.warns(UserWarning, match="Limiting epochs to 2"):
        history = model.fit(x, y, epochs=5, batch_size=4, verbose=0, callbacks=[counter])
    assert len(history.history["loss"]) == 2 and counter.train == 6
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[counter])
    model.predict(x, batch_size=4, verbose=0, callbacks=[counter])
    assert (counter.test, counter.predict) == (3, 3)
    config.set_max_epochs(None)
    config.set_max_steps_per_epoch(None)
    assert len(_model().fit(x, y, epochs=3, batch_size=20, verbose=0).history["loss"]) == 3
    with pytest.raises(ValueError, match="max_epochs"):
        config.set_max_epochs(0)


def test_flash_attention_switch_reaches_attention_layers(restore_config):
    assert config.is_flash_attention_enabled() is None
    config.disable_flash_attention()
    assert config.is_flash_attention_enabled() is False
    layer = tk.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    assert layer._flash_attention is False
    x = torch.randn(2, 5, 8)
    assert tuple(layer(x, x).shape) == (2, 5, 8)
    explicit_none = tk.layers.MultiHeadAttention(num_heads=2, key_dim=4, flash_attention=None)
    assert explicit_none._flash_attention is False
    config.enable_flash_attention()
    assert config.is_flash_attention_enabled() is None
    assert tk.layers.MultiHeadAttention(num_heads=2, key_dim=4)._flash_attention is None


def test_switches_and_backend(restore_config):
    config.disable_interactive_logging()
    assert config.is_interactive_logging_enabled() is False
    config.enable_interactive_logging()
    assert config.is_interactive_logging_enabled() is True
    config.disable_traceback_filtering()
    assert config.is_traceback_filtering_enabled() is False
    config.enable_unsafe_deserialization()  # accepted: nothing is ever deserialized as code
    assert config.backend() == "torch"
    config.set_backend("torch")
    with pytest.raises(ValueError, match="backend"):
        config.set_backend("jax")
    config.set_dtype_policy("mixed_bfloat16")
    assert config.dtype_policy().name == "mixed_bfloat16"
    assert tk.mixed_precision.global_policy().compute_dtype == "bfloat16"
