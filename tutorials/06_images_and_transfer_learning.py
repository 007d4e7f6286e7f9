"""Tutorial 6 — Image classification with augmentation layers, then transfer learning.

Part 1 trains a small convnet on the shipped digits with Keras's augmentation layers in the
model: they transform each training batch randomly and pass images through unchanged at
inference, so the saved model needs no separate preprocessing code.

Part 2 is Keras's transfer-learning recipe with a model from `keras.applications`:

1. take a pretrained base without its classifier (`include_top=False`),
2. freeze it (`base.trainable = False`; its BatchNormalization layers then run in inference
   mode, also inside `fit`), add a new head and train only the head,
3. unfreeze the base, recompile with a small learning rate and fine-tune everything.

`weights="imagenet"` downloads Keras's published weight file into the Keras cache
(`~/.keras/models`, or `$KERAS_HOME/models`) once; the files Keras itself downloaded are reused.
The quick run (and any run without `--imagenet`) starts from random weights, so it works
offline: the recipe is the same, only the starting point differs.

    python tutorials/06_images_and_transfer_learning.py --imagenet   # full run, pretrained base
    python tutorials/06_images_and_transfer_learning.py --quick      # a fast smoke run (what CI runs)
"""

from __future__ import annotations

import argparse

import numpy as np

import torchkeras as keras


def augmented_convnet() -> keras.Sequential:
    """Augmentation runs only while training: `model.predict` sees the images unchanged."""
    augmentation = [
        keras.layers.RandomRotation(0.05, fill_mode="constant"),  # up to +-18 degrees
        keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),  # up to 10% each way
        keras.layers.RandomZoom(0.1, fill_mode="constant"),
    ]
    return keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            keras.layers.Rescaling(1.0 / 16),
            *augmentation,
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="augmented_convnet",
    )


def transfer_model(weights: str | None) -> tuple[keras.Model, keras.Model]:
    """A MobileNetV2 base (frozen) under a new 10-class head, for 8x8 digits resized to 32x32 RGB."""
    base = keras.applications.MobileNetV2(
        input_shape=(32, 32, 3), alpha=0.35, include_top=False, weights=weights
    )
    base.trainable = False  # step 2: only the head trains

    inputs = keras.Input(shape=(8, 8, 1))
    x = keras.layers.Resizing(32, 32)(inputs)  # the base needs at least 32x32
    x = keras.layers.Concatenate()([x, x, x])  # gray to RGB
    # MobileNetV2 expects pixels in [-1, 1]; the digits are counts in 0..16.
    x = keras.layers.Rescaling(2.0 / 16, offset=-1.0)(x)
    # training=False keeps the base's BatchNormalization in inference mode even after unfreezing,
    # as Keras's guide recommends for fine-tuning.
    x = base(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="transfer"), base


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="2 epochs and a data subset, for smoke runs")
    parser.add_argument("--imagenet", action="store_true", help="start from Keras's ImageNet weights")
    args = parser.parse_args(argv)
    epochs = 2 if args.quick else args.epochs
    keras.utils.set_random_seed(6)

    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train = x_train[..., None].astype("float32")
    x_test = x_test[..., None].astype("float32")
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:512], y_train[:512], x_test[:256], y_test[:256]

    # Part 1: augmentation layers inside the model.
    print("== Part 1: a convnet with augmentation layers")
    model = augmented_convnet()
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, verbose=2)
    _, augmented_accuracy = model.evaluate(x_test, y_test, verbose=0)
    # Inference is deterministic: the augmentation layers are identities outside training.
    same = np.array_equal(model.predict(x_test[:4], verbose=0), model.predict(x_test[:4], verbose=0))
    print(f"test accuracy {augmented_accuracy:.3f}; predictions repeat exactly: {same}")

    # Part 2: transfer learning.
    print("== Part 2: transfer learning from keras.applications.MobileNetV2")
    if args.quick:  # the base is ~150x the convnet's compute: a smaller subset for smoke runs
        x_train, y_train, x_test, y_test = x_train[:128], y_train[:128], x_test[:64], y_test[:64]
    model, base = transfer_model("imagenet" if args.imagenet else None)
    model.summary()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    frozen_before = [w.numpy().copy() for w in base.weights]
    model.fit(x_train, y_train, batch_size=32, epochs=1 if args.quick else epochs, verbose=2)
    base_unchanged = all(np.array_equal(a, w.numpy()) for a, w in zip(frozen_before, base.weights))
    print(f"the frozen base (moving statistics included) did not change: {base_unchanged}")

    # Step 3: fine-tune everything with a small learning rate. Recompiling is what makes the new
    # `trainable` flags take effect, as in Keras.
    base.trainable = True
    model.compile(
        optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(x_train, y_train, batch_size=32, epochs=1 if args.quick else max(1, epochs // 3), verbose=2)
    _, transfer_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"fine-tuned test accuracy {transfer_accuracy:.3f}")
    return {
        "augmented_accuracy": augmented_accuracy,
        "deterministic_inference": same,
        "frozen_base_unchanged": base_unchanged,
        "transfer_accuracy": transfer_accuracy,
    }


if __name__ == "__main__":
    main()
