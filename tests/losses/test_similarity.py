"""Circle loss: parity with Keras, including its mask of zero-loss entries."""

import numpy as np
import pytest
import torch

from torchkeras import losses


def _embeddings(n=8, dim=5, seed=0):
    rng = np.random.default_rng(seed)
    y_pred = rng.normal(size=(n, dim)).astype("float32")
    return rng.integers(0, 3, (n,)).astype("float32"), y_pred / np.linalg.norm(y_pred, axis=1, keepdims=True)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "none"])
@pytest.mark.parametrize("kwargs", [{}, {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}])
def test_matches_keras(keras, assert_loss_parity, kwargs, reduction):
    y_true, y_pred = _embeddings()
    assert_loss_parity(
        losses.Circle(reduction=reduction, **kwargs),
        keras.losses.Circle(reduction=reduction, **kwargs),
        y_true,
        y_pred,
    )


def test_function_with_references_matches_keras(keras):
    y_true, y_pred = _embeddings()
    ref_labels, ref_embeddings = _embeddings(seed=1)
    expected = keras.losses.circle(
        y_true, y_pred, ref_labels=ref_labels, ref_embeddings=ref_embeddings, gamma=20
    )
    result = losses.circle(y_true, y_pred, ref_labels=ref_labels, ref_embeddings=ref_embeddings, gamma=20)
    np.testing.assert_allclose(result.numpy(), keras.ops.convert_to_numpy(expected), rtol=1e-5, atol=1e-5)
    assert torch.equal(result._keras_mask, result > 0)
