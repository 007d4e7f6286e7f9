"""Tutorial 3 — Custom layers, a subclassed model, and a custom `train_step`.

A layer is a `torch.nn.Module` that creates its weights in `build()` with `add_weight`, and a
model can override `train_step` to change what one training step does while keeping `fit()`
(callbacks, progress bar, validation). Here the step adds gradient clipping by hand, the way
Keras's torch-backend guide writes it.

    python tutorials/03_custom_layers_and_train_step.py [--quick] [--epochs N]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

import torchkeras as keras


@keras.saving.register_keras_serializable(package="tutorial")
class ScaledDense(keras.layers.Layer):
    """A dense layer with a learned output scale: `scale * (x @ kernel + bias)`."""

    def __init__(self, units: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape) -> None:
        # Weights are created once the input size is known (on the first call).
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros")
        self.scale = self.add_weight(shape=(), initializer="ones")

    def call(self, inputs):
        return self.scale * (inputs @ self.kernel + self.bias)  # plain torch arithmetic

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units}  # what saving needs to rebuild it


class Classifier(keras.Model):
    """A subclassed model: layers in `__init__`, the forward pass in `call`."""

    def __init__(self, classes: int = 10, **kwargs) -> None:
        super().__init__(**kwargs)
        self.flatten = keras.layers.Flatten()
        self.hidden = ScaledDense(64)
        self.dropout = keras.layers.Dropout(0.1)
        self.out = keras.layers.Dense(classes, activation="softmax")

    def call(self, inputs, training=False):
        x = self.flatten(inputs) / 16.0
        x = torch.relu(self.hidden(x))
        x = self.dropout(x, training=training)
        return self.out(x)

    def train_step(self, data):
        x, y = data
        self.zero_grad()  # torch accumulates gradients: clear them first
        y_pred = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred)  # the compiled loss (+ layer losses)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.trainable_weights, max_norm=1.0)
        gradients = [weight.grad for weight in self.trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, self.trainable_weights)
        # self.metrics holds the loss tracker and the compiled metrics.
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {metric.name: metric.result() for metric in self.metrics}


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    epochs = 2 if args.quick else args.epochs
    keras.utils.set_random_seed(1)

    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train, x_test = x_train.astype("float32"), x_test.astype("float32")

    model = Classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1)
    model.summary()  # a subclassed model knows its layers once it has been called

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy {accuracy:.4f}; learned scale of ScaledDense: {float(model.hidden.scale):.3f}")

    # The custom layer alone round-trips through its config, as saving relies on.
    clone = ScaledDense.from_config(model.hidden.get_config())
    print("ScaledDense config round trip:", clone.units == model.hidden.units)
    probabilities = model.predict(x_test[:5], verbose=0)
    print("predicted:", np.argmax(probabilities, -1), "true:", y_test[:5])
    return accuracy


if __name__ == "__main__":
    main()
