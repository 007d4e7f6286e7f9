"""Tutorial 7 — Callbacks: stop early, keep the best model, lower the rate, resume, and watch it.

`fit(callbacks=[...])` hooks objects into training. This tutorial uses the everyday ones:
EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, CSVLogger, TensorBoard (with the
`tensorboard` extra) and BackupAndRestore, which lets an interrupted run continue exactly where
it stopped. The interruption is simulated by a small custom callback.

    python tutorials/07_callbacks.py [--quick] [--epochs N]
    tensorboard --logdir <the printed folder>/logs      # to look at the curves
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile

import torchkeras as keras


def build_model() -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Rescaling(1.0 / 16),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


class InterruptAt(keras.callbacks.Callback):
    """Raises at the end of one epoch, like a crash or a preempted machine would stop a job."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt(f"simulated interruption after epoch {epoch + 1}")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    epochs = 4 if args.quick else args.epochs
    keras.utils.set_random_seed(7)
    folder = tempfile.mkdtemp()
    print("writing into", folder)

    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train, x_test = x_train.reshape(-1, 64).astype("float32"), x_test.reshape(-1, 64).astype("float32")

    callbacks = [
        # Stop when val_loss has not improved for 5 epochs; go back to the best weights.
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True),
        # Keep the best model seen so far on disk (written atomically: never a half file).
        keras.callbacks.ModelCheckpoint(os.path.join(folder, "best.safetensors"), save_best_only=True),
        # Divide the learning rate by 5 when val_loss stalls for 2 epochs.
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=2, min_lr=1e-5),
        # One CSV row per epoch.
        keras.callbacks.CSVLogger(os.path.join(folder, "log.csv")),
        # A backup at each epoch end; after a crash, the same fit() call resumes from it.
        keras.callbacks.BackupAndRestore(os.path.join(folder, "backup")),
    ]
    if importlib.util.find_spec("tensorboard") is not None:
        callbacks.append(keras.callbacks.TensorBoard(os.path.join(folder, "logs"), histogram_freq=1))
    else:
        print("(install the tensorboard extra to also write TensorBoard logs)")

    model = build_model()
    model.summary()
    try:
        model.fit(
            x_train,
            y_train,
            epochs=epochs,
            batch_size=32,
            validation_split=0.2,
            callbacks=callbacks + [InterruptAt(epoch=1)],
        )
    except KeyboardInterrupt as interruption:
        print(f"training stopped: {interruption}")

    # A new process would build the model again and call fit() with the same callbacks:
    # BackupAndRestore restores the weights, optimizer state and epoch counter, then goes on.
    model = build_model()
    history = model.fit(
        x_train, y_train, epochs=epochs, batch_size=32, validation_split=0.2, callbacks=callbacks
    )
    print("epochs run after resuming:", [epoch + 1 for epoch in history.epoch])
    print("learning rate at the end:", float(model.optimizer.learning_rate))

    best = keras.saving.load_model(os.path.join(folder, "best.safetensors"))
    loss, accuracy = best.evaluate(x_test, y_test, verbose=0)
    print(f"best checkpoint: test accuracy {accuracy:.4f}")
    with open(os.path.join(folder, "log.csv")) as handle:
        print("CSV log:", handle.read().splitlines()[0])
    return {"resumed_epochs": history.epoch, "accuracy": accuracy, "folder": folder}


if __name__ == "__main__":
    main()
