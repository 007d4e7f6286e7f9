"""CTC loss: parity with Keras, reference to torch's kernel, shape errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from torchkeras import losses


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(1, 5, (3, 4)).astype("int32")
    y_true[1, 3:] = 0  # padding
    y_true[2, 2:] = 0
    return y_true, rng.normal(size=(3, 9, 5)).astype("float32")


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "none"])
def test_matches_keras(keras, assert_loss_parity, reduction):
    y_true, y_pred = _inputs()
    assert_loss_parity(losses.CTC(reduction=reduction), keras.losses.CTC(reduction=reduction), y_true, y_pred)


def test_reference():
    y_true, y_pred = (torch.tensor(a) for a in _inputs())
    log_probs = F.log_softmax(y_pred, -1).transpose(0, 1)
    expected = F.ctc_loss(
        log_probs, y_true.long(), torch.full((3,), 9), torch.tensor([4, 3, 2]), reduction="none"
    )
    torch.testing.assert_close(losses.ctc(y_true, y_pred), expected)


def test_shape_errors():
    with pytest.raises(ValueError, match="y_true"):
        losses.ctc(torch.zeros(3), torch.zeros(3, 4, 5))
    with pytest.raises(ValueError, match="y_pred"):
        losses.ctc(torch.zeros(3, 2), torch.zeros(3, 4))
