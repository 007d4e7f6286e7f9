"""A small transformer block built functionally from MultiHeadAttention, LayerNormalization and
Dense learns, through `model.fit`, to tell whether each token already appeared earlier."""

import numpy as np

import torchkeras as tk
from torchkeras.layers.attention import MultiHeadAttention
from torchkeras.layers.core.dense import Dense
from torchkeras.layers.core.embedding import Embedding
from torchkeras.layers.merging import Add
from torchkeras.layers.normalization import LayerNormalization

VOCABULARY, LENGTH, WIDTH = 8, 8, 32


def repeated_tokens(samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Token sequences and, per position, whether that token occurred at an earlier position."""
    tokens = rng.integers(0, VOCABULARY, size=(samples, LENGTH))
    earlier = (tokens[:, :, None] == tokens[:, None, :]) & np.tri(LENGTH, k=-1, dtype=bool)
    return tokens, earlier.any(-1).astype("float32")[..., None]


def transformer_block(x, num_heads=4):
    attended = MultiHeadAttention(num_heads, WIDTH // num_heads)(x, x, use_causal_mask=True)
    x = LayerNormalization()(Add()([x, attended]))
    hidden = Dense(WIDTH)(Dense(2 * WIDTH, activation="relu")(x))
    return LayerNormalization()(Add()([x, hidden]))


def test_transformer_block_learns_repeated_tokens():
    rng = np.random.default_rng(0)
    tokens, labels = repeated_tokens(2048, rng)
    positions = np.broadcast_to(np.arange(LENGTH), tokens.shape).copy()

    token_ids, position_ids = tk.Input((LENGTH,), dtype="int32"), tk.Input((LENGTH,), dtype="int32")
    x = Add()([Embedding(VOCABULARY, WIDTH)(token_ids), Embedding(LENGTH, WIDTH)(position_ids)])
    outputs = Dense(1, activation="sigmoid")(transformer_block(x))
    model = tk.Model([token_ids, position_ids], outputs)
    model.compile(optimizer=tk.optimizers.Adam(3e-3), loss="binary_crossentropy", metrics=["accuracy"])

    history = model.fit([tokens, positions], labels, batch_size=64, epochs=10, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]

    test_tokens, test_labels = repeated_tokens(512, rng)
    test_positions = np.broadcast_to(np.arange(LENGTH), test_tokens.shape).copy()
    _, accuracy = model.evaluate([test_tokens, test_positions], test_labels, verbose=0)
    assert accuracy > 0.95  # always answering "new token" scores about 0.66
