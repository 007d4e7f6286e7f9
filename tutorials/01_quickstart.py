"""Tutorial 1 — Quickstart: a Sequential classifier on the handwritten digits shipped with torchkeras.

Everything here is plain Keras 3 code; only the import differs. It runs on PyTorch.

    python tutorials/01_quickstart.py            # full run (about a minute on a laptop CPU)
    python tutorials/01_quickstart.py --quick    # a fast smoke run (what CI runs)
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

import torchkeras as keras  # the one line that differs from a Keras script


def build_model() -> keras.Sequential:
    """A small convnet for 8x8 grayscale images, written as a stack of layers."""
    return keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),  # images of 8x8 pixels, one channel
            keras.layers.Rescaling(1.0 / 16),  # pixel values are counts in 0..16: scale to 0..1
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.MaxPooling2D(),  # 8x8 -> 4x4
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dropout(0.2),  # active only while training
            keras.layers.Dense(10, activation="softmax"),  # one probability per digit
        ],
        name="digits",
    )


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="2 epochs, for smoke runs")
    args = parser.parse_args(argv)
    epochs = 2 if args.quick else args.epochs

    # Seeds Python, NumPy and torch at once, so two runs give the same numbers.
    keras.utils.set_random_seed(42)

    # 1,797 images of 8x8 pixels; labels are the digits 0..9.
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train = x_train[..., None].astype("float32")  # add the channel axis: (n, 8, 8, 1)
    x_test = x_test[..., None].astype("float32")

    model = build_model()
    model.summary()

    # Integer labels + softmax outputs: sparse categorical cross-entropy.
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    # 10% of the training set is held out to watch for overfitting; EarlyStopping keeps the
    # weights of the best validation epoch.
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=4, restore_best_weights=True)]
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, callbacks=callbacks)

    # evaluate() returns the loss followed by the compiled metrics.
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f}")

    # predict() returns NumPy arrays: one row of 10 probabilities per image.
    probabilities = model.predict(x_test[:8], verbose=0)
    print("predicted:", np.argmax(probabilities, axis=-1), "true:", y_test[:8])

    # Save to a single file in our own format and load it back without any of this code.
    path = os.path.join(tempfile.mkdtemp(), "digits.safetensors")
    model.save(path)
    restored = keras.saving.load_model(path)
    same = np.allclose(restored.predict(x_test[:8], verbose=0), probabilities, atol=1e-6)
    print(f"saved to {path}; the reloaded model predicts the same: {same}")
    return accuracy


if __name__ == "__main__":
    main()
