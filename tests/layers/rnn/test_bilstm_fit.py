"""A bidirectional-LSTM text classifier learns a synthetic task through fit (masked padding)."""

import numpy as np

import torchkeras as tk


def _sequences(n=512, length=12, vocab=20, seed=0):
    """Label 1 when token 7 appears anywhere in the (right-padded) sequence."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, vocab, size=(n, length))
    tokens[tokens == 7] = 8
    labels = rng.integers(0, 2, n)
    for row, label in zip(tokens, labels):
        size = rng.integers(4, length + 1)
        row[size:] = 0
        if label:
            row[rng.integers(0, size)] = 7
    return tokens, labels


def test_bidirectional_lstm_classifier_learns():
    tk.utils.set_random_seed(0)
    x, y = _sequences()
    L = tk.layers
    inputs = tk.Input((None,), dtype="int64")
    embedded = L.Embedding(20, 16, mask_zero=True)(inputs)
    encoded = L.Bidirectional(L.LSTM(16))(embedded)
    model = tk.Model(inputs, L.Dense(1, activation="sigmoid")(encoded))
    model.compile(tk.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=10, batch_size=32, validation_split=0.2, verbose=0)
    assert history.history["val_accuracy"][-1] > 0.9
