"""TimeDistributed: Keras parity, masks, batch statistics per timestep, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from tests.layers.rnn.rnn_checks import assert_all_close, sequences
from torchkeras.layers.core.dense import Dense
from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn import LSTM, TimeDistributed


def test_dense_parity(keras):
    check_layer(
        lambda: TimeDistributed(Dense(3)),
        sequences(),
        lambda: keras.layers.TimeDistributed(keras.layers.Dense(3)),
    )
    check_layer(
        lambda: TimeDistributed(Dense(2, activation="relu")),
        sequences(shape=(2, 3, 4, 5)),
        lambda: keras.layers.TimeDistributed(keras.layers.Dense(2, activation="relu")),
    )


def test_wrapping_an_rnn(keras):
    check_layer(
        lambda: TimeDistributed(LSTM(3)),
        sequences(shape=(2, 3, 4, 5)),
        lambda: keras.layers.TimeDistributed(keras.layers.LSTM(3)),
    )


class MaskRecorder(Layer):
    def call(self, inputs, mask=None):
        return inputs if mask is None else inputs * mask[..., None].to(inputs.dtype)


def test_mask_is_passed_per_timestep():
    x = torch.as_tensor(sequences())
    mask = torch.as_tensor(np.random.default_rng(0).random((3, 6)) > 0.5)
    outputs = TimeDistributed(MaskRecorder())(x, mask=mask)
    assert_all_close(outputs, x * mask[..., None])


class BatchCentering(Layer):
    """Subtracts the batch mean in training, like BatchNormalization's batch statistics."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.norm = torch.nn.BatchNorm1d(4, affine=False)

    def call(self, inputs, training=False):
        self.norm.train(bool(training))
        return self.norm(inputs)


def test_batch_statistics_are_per_timestep():
    x = torch.as_tensor(sequences(shape=(8, 3, 4)))
    outputs = TimeDistributed(BatchCentering())(x, training=True)
    expected = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + 1e-5)
    assert_all_close(outputs, expected, rtol=1e-4, atol=1e-5)


def test_output_shape_and_config():
    layer = TimeDistributed(Dense(7))
    assert layer.compute_output_shape((None, 5, 3)) == (None, 5, 7)
    layer(sequences())
    config = layer.get_config()
    assert config["layer"]["class_name"] == "Dense" and config["layer"]["module"] == "keras.layers"
    assert config["layer"]["build_config"] == {"input_shape": [3, 4]}


def test_errors():
    with pytest.raises(ValueError, match="`layer` must be a keras Layer instance"):
        TimeDistributed(torch.nn.Linear(2, 3))
    with pytest.raises(ValueError, match="`input_shape` must have at least 3 dimensions"):
        TimeDistributed(Dense(2))(np.zeros((2, 3), "float32"))
    with pytest.raises(
        ValueError, match=r"`mask` must start with the inputs' \(batch, timesteps\) = \(3, 6\)"
    ):
        TimeDistributed(MaskRecorder())(sequences(), mask=np.ones((3, 5), bool))
