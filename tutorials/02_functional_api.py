"""Tutorial 2 — The functional API: a model with two inputs and two outputs.

From an 8x8 digit image plus a "noisy pixel count" side input, the model predicts both the digit
(a classification head) and whether the digit is even (a binary head). Each output has its own
loss, loss weight and metrics, addressed by the output layer's name.

    python tutorials/02_functional_api.py [--quick] [--epochs N]
"""

from __future__ import annotations

import argparse

import numpy as np

import torchkeras as keras


def build_model() -> keras.Model:
    layers = keras.layers
    image = keras.Input(shape=(8, 8, 1), name="image")
    extra = keras.Input(shape=(1,), name="ink")  # a second input: the amount of ink

    x = layers.Rescaling(1.0 / 16)(image)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Concatenate()([x, layers.Rescaling(1.0 / 300)(extra)])  # join the two branches
    shared = layers.Dense(64, activation="relu")(x)

    # Two heads read the same features; their names are how compile() addresses them.
    digit = layers.Dense(10, activation="softmax", name="digit")(shared)
    even = layers.Dense(1, activation="sigmoid", name="even")(shared)
    return keras.Model(inputs={"image": image, "ink": extra}, outputs={"digit": digit, "even": even})


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    epochs = 2 if args.quick else args.epochs
    keras.utils.set_random_seed(0)

    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()

    def inputs(x: np.ndarray) -> dict:
        images = x[..., None].astype("float32")
        return {"image": images, "ink": images.sum(axis=(1, 2, 3))[:, None]}

    def targets(y: np.ndarray) -> dict:
        return {"digit": y, "even": (y % 2 == 0).astype("float32")[:, None]}

    model = build_model()
    model.summary()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss={"digit": "sparse_categorical_crossentropy", "even": "binary_crossentropy"},
        loss_weights={"digit": 1.0, "even": 0.5},  # the total loss is a weighted sum
        metrics={"digit": ["accuracy"], "even": [keras.metrics.BinaryAccuracy(name="acc")]},
    )
    history = model.fit(inputs(x_train), targets(y_train), batch_size=32, epochs=epochs, validation_split=0.1)
    print("logged per epoch:", sorted(history.history))

    # evaluate(return_dict=True) names every value: the total loss, each output's loss and metrics.
    results = model.evaluate(inputs(x_test), targets(y_test), verbose=0, return_dict=True)
    print({name: round(float(value), 4) for name, value in results.items()})

    predictions = model.predict(inputs(x_test[:4]), verbose=0)  # a dict, like the outputs
    print("digits:", predictions["digit"].argmax(-1), "even:", (predictions["even"][:, 0] > 0.5))
    return results


if __name__ == "__main__":
    main()
