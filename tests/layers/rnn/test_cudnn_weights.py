"""cuDNN weight flattening: a no-op off CUDA; the placement key follows the weights."""

import torch

from tests.layers.rnn.rnn_checks import sequences
from torchkeras.layers.rnn import LSTM
from torchkeras.layers.rnn.cudnn_weights import flat_copies, weights_key


def test_cpu_weights_stay_separate():
    layer = LSTM(3)
    layer(sequences())
    weights = layer.cell._torch_weights()
    assert flat_copies(weights, "LSTM", 4, 3) is None
    assert len({w.untyped_storage().data_ptr() for w in layer.cell.weights}) == 3


def test_key_changes_when_weights_move():
    weights = [torch.zeros(2), torch.ones(3)]
    key = weights_key(weights)
    assert weights_key([w.clone() for w in weights]) != key
    assert weights_key(weights) == key
