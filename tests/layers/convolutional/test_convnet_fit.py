"""A small convnet (Conv2D / BatchNormalization / MaxPooling2D / GlobalAveragePooling2D / Dense)
learns an image task through fit."""

import numpy as np

import torchkeras as tk


def _images(n=384, seed=0):
    """8x8 images: class 1 has a bright vertical bar, class 0 a horizontal one (plus noise)."""
    rng = np.random.default_rng(seed)
    images = rng.normal(0, 0.3, size=(n, 8, 8, 1)).astype("float32")
    labels = rng.integers(0, 2, n)
    for image, label in zip(images, labels):
        position = rng.integers(1, 7)
        if label:
            image[:, position, 0] += 2.0
        else:
            image[position, :, 0] += 2.0
    return images, labels


def test_convnet_learns_with_fit():
    tk.utils.set_random_seed(0)
    x, y = _images()
    L = tk.layers
    model = tk.Sequential(
        [
            tk.Input((8, 8, 1)),
            L.Conv2D(8, 3, padding="same", activation="relu"),
            L.BatchNormalization(),
            L.MaxPooling2D(),
            L.Conv2D(16, 3, padding="same", activation="relu"),
            L.GlobalAveragePooling2D(),
            L.Dense(2, activation="softmax"),
        ]
    )
    model.compile(tk.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=8, batch_size=32, validation_split=0.25, verbose=0)
    assert history.history["val_accuracy"][-1] > 0.9
    bn = model.layers[1]
    assert not np.allclose(bn.moving_mean.numpy(), 0)  # moving statistics were updated in fit
