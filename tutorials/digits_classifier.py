"""Train a small convnet on the bundled handwritten digits, the Keras way, on PyTorch.

python tutorials/digits_classifier.py            # full run
python tutorials/digits_classifier.py --quick    # a fast smoke run (CI)
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

import torchkeras as keras


def build_model() -> keras.Model:
    """A functional convnet for 8x8 grayscale images."""
    layers = keras.layers
    inputs = keras.Input(shape=(8, 8, 1), name="image")
    x = layers.Rescaling(1.0 / 16)(inputs)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(10, activation="softmax", name="digit")(x)
    return keras.Model(inputs, outputs, name="digits_convnet")


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="2 epochs, for smoke runs")
    args = parser.parse_args(argv)
    epochs = 2 if args.quick else args.epochs

    keras.utils.set_random_seed(42)
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train = x_train[..., None].astype("float32")
    x_test = x_test[..., None].astype("float32")

    model = build_model()
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)]
    model.fit(
        x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, callbacks=callbacks, verbose=2
    )

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f}")
    predictions = model.predict(x_test[:5], verbose=0)
    print("predicted:", np.argmax(predictions, axis=-1), "true:", y_test[:5])

    # One safetensors file: config + weights, no extra needed ("digits.keras", Keras's own format,
    # needs the h5 extra: pip install -e ".[h5]").
    path = os.path.join(tempfile.mkdtemp(), "digits.safetensors")
    model.save(path)
    restored = keras.saving.load_model(path)
    same = np.allclose(restored.predict(x_test[:5], verbose=0), predictions, atol=1e-6)
    print(f"saved to {path}; the reloaded model predicts the same: {same}")
    return accuracy


if __name__ == "__main__":
    main()
