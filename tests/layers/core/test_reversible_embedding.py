"""ReversibleEmbedding: parity with Keras forward and reverse (tied and untied, soft cap), the
forward mask, config and errors."""

import numpy as np
import pytest

from tests.layer_checks import check_layer
from torchkeras import layers


@pytest.mark.parametrize("tie_weights", [True, False])
def test_forward_and_reverse_parity(keras, tie_weights):
    ids = np.array([[0, 3, 5], [2, 1, 0]], dtype="int32")
    check_layer(
        lambda: layers.ReversibleEmbedding(7, 4, tie_weights=tie_weights, mask_zero=True),
        ids,
        lambda: keras.layers.ReversibleEmbedding(7, 4, tie_weights=tie_weights, mask_zero=True),
    )
    hidden = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    ours = layers.ReversibleEmbedding(7, 4, tie_weights=tie_weights, logit_soft_cap=2.0)
    theirs = keras.layers.ReversibleEmbedding(7, 4, tie_weights=tie_weights, logit_soft_cap=2.0)
    ours.build()
    theirs.build()
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(
        ours(hidden, reverse=True).detach().numpy(),
        np.asarray(theirs(hidden, reverse=True).detach().cpu()),
        rtol=1e-5,
        atol=1e-6,
    )


def test_reverse_reference_formula_mask_and_symbolic_shapes():
    layer = layers.ReversibleEmbedding(5, 3)
    assert getattr(layer(np.array([[0, 2]])), "_keras_mask", None) is None
    hidden = np.ones((1, 2, 3), "float32")
    expected = hidden @ layer.embeddings.detach().numpy().T
    np.testing.assert_allclose(layer(hidden, reverse=True).detach().numpy(), expected, rtol=1e-6)
    masked = layers.ReversibleEmbedding(5, 3, mask_zero=True)
    assert masked(np.array([[0, 2]]))._keras_mask.tolist() == [[False, True]]
    symbolic = layers.Input((6, 3))
    assert layer(symbolic, reverse=True).shape == (None, 6, 5)
    with pytest.raises(ValueError, match="logit_soft_cap"):
        layers.ReversibleEmbedding(5, 3, logit_soft_cap=-1.0)
