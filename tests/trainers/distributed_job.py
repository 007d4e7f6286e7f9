"""A fit() script run by tests/trainers/test_distributed.py, alone or under torchrun.

python distributed_job.py OUT MODE   (MODE: train, fail, interrupt, resume)
Every rank writes its own `rank<r>.json` / `predictions<r>.npy` with plain file writes; the
library's own writes (save, CSVLogger, ModelCheckpoint) must come from rank 0 only.
"""

import json
import os
import sys

import numpy as np

import torchkeras as keras


class RowCounter(keras.layers.Layer):
    """Counts the rows it sees while training (to check that each rank sees its share)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rows = 0

    def call(self, inputs, training=False):
        if training:
            self.rows += int(inputs.shape[0])
        return inputs


class Stop(keras.callbacks.Callback):
    def __init__(self, mode):
        super().__init__()
        self.mode = mode

    def on_epoch_end(self, epoch, logs=None):
        rank = int(os.environ.get("RANK", "0"))
        if self.mode == "fail" and epoch == 0 and rank == 1:
            raise RuntimeError("rank 1 fails on purpose")
        if self.mode == "interrupt" and epoch == 1:
            raise KeyboardInterrupt("interrupted on purpose")


def build(mode="train"):
    keras.utils.set_random_seed(3)
    inputs = keras.Input((5,))
    counter = RowCounter()
    x = keras.layers.Dense(7, activation="tanh")(counter(inputs))
    if mode == "batchnorm":  # statistics of the global batch, synchronized over the ranks
        x = keras.layers.BatchNormalization(synchronized=True)(x)
    outputs = keras.layers.Dense(2)(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    return model, counter


def main(out, mode):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(43, 5)).astype("float32")  # 43 rows, batch 8: a tail of 3 rows
    y = rng.normal(size=(43, 2)).astype("float32")
    model, counter = build(mode)
    rank = int(os.environ.get("RANK", "0"))
    callbacks = [
        Stop(mode),
        keras.callbacks.CSVLogger(os.path.join(out, f"log{rank}.csv")),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=10),
    ]
    if mode in ("interrupt", "resume"):
        callbacks.append(keras.callbacks.BackupAndRestore(os.path.join(out, "backup")))
    try:
        history = model.fit(
            x,
            y,
            batch_size=8,
            epochs=3,
            shuffle=mode not in ("train", "batchnorm"),
            validation_data=(x[:9], y[:9]),
            callbacks=callbacks,
            verbose=0,
        )
    except KeyboardInterrupt:
        return None
    predictions = model.predict(x, batch_size=8, verbose=0)
    evaluation = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    model.save(os.path.join(out, f"model{rank}.safetensors"))
    record = {
        "history": history.history,
        "rows": counter.rows,
        "evaluation": evaluation,
        "weights": [w.tolist() for w in model.get_weights()],
    }
    with open(os.path.join(out, f"rank{rank}.json"), "w") as handle:
        json.dump(record, handle)
    np.save(os.path.join(out, f"predictions{rank}.npy"), predictions)
    return record


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
