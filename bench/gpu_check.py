"""CUDA checks for a machine with a GPU: device placement, mixed precision, no host syncs.

python bench/gpu_check.py
"""

from __future__ import annotations

import numpy as np
import torch

import torchkeras as keras


def classifier() -> keras.Model:
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((16,)),
            layers.Dense(64, activation="relu"),
            layers.BatchNormalization(),
            layers.Dropout(0.1),
            layers.Dense(3),
        ]
    )


def data(n: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 16)).astype("float32")
    return x, (x[:, 0] > -0.5).astype("int64") + (x[:, 0] > 0.5).astype("int64")


FAILURES: list[str] = []


def check(name: str, condition: bool) -> None:
    print(f"{'ok  ' if condition else 'FAIL'} {name}", flush=True)
    if not condition:
        FAILURES.append(name)


def main() -> None:
    assert torch.cuda.is_available(), "no CUDA device"
    x, y = data()
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    model = classifier()  # unplaced: fit moves it to CUDA
    model.compile(keras.optimizers.Adam(0.01), loss, metrics=["accuracy"])
    history = model.fit(x, y, epochs=5, batch_size=64, validation_split=0.2, verbose=0)
    check("unplaced model trains on cuda", model.device.type == "cuda")
    check("learns on cuda", history.history["val_accuracy"][-1] > 0.8)

    class NoSyncInSteps(keras.callbacks.Callback):
        """Any host sync between a batch's begin and end hooks (the step) raises."""

        _handles_tensor_logs = True

        def on_train_batch_begin(self, batch, logs=None):
            torch.cuda.set_sync_debug_mode("error")

        def on_train_batch_end(self, batch, logs=None):
            torch.cuda.set_sync_debug_mode("default")

    try:
        model.fit(x, y, epochs=1, batch_size=64, verbose=0, callbacks=[NoSyncInSteps()])
        check("no host sync inside train steps", True)
    except RuntimeError as error:
        check(f"no host sync inside train steps: {error}", False)
    finally:
        torch.cuda.set_sync_debug_mode("default")

    for policy in ("mixed_float16", "mixed_bfloat16"):
        keras.mixed_precision.set_global_policy(policy)
        try:
            mixed = classifier()
            mixed.compile(keras.optimizers.Adam(0.01), loss, metrics=["accuracy"])
            h = mixed.fit(x, y, epochs=5, batch_size=64, verbose=0)
            check(
                f"{policy}: finite and learning",
                np.isfinite(h.history["loss"]).all() and h.history["accuracy"][-1] > 0.75,
            )
            check(f"{policy}: float32 weights", mixed.layers[0].kernel.dtype == torch.float32)
        finally:
            keras.mixed_precision.set_global_policy(None)

    on_cpu = classifier()
    on_cpu.to("cpu")
    on_cpu.compile("adam", loss)
    on_cpu.fit(x[:256], y[:256], verbose=0)
    check("explicit model.to('cpu') is respected", on_cpu.device.type == "cpu")

    net = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3))
    wrapped = keras.Model(net)
    wrapped.compile(torch.optim.Adam(net.parameters(), 1e-2), loss, metrics=["accuracy"])
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.as_tensor(x), torch.as_tensor(y)), batch_size=64, shuffle=True
    )
    h = wrapped.fit(loader, epochs=5, verbose=0)
    check(
        "wrapped module + DataLoader on cuda",
        next(net.parameters()).is_cuda and h.history["accuracy"][-1] > 0.8,
    )
    predictions = wrapped.predict(x[:10], verbose=0)
    check(
        "predict returns numpy from cuda",
        isinstance(predictions, np.ndarray) and predictions.shape == (10, 3),
    )

    if hasattr(keras.layers, "LSTM"):
        tokens = np.random.default_rng(1).integers(1, 50, size=(512, 20))
        labels = (tokens[:, 14] > 25).astype("int64")  # the last real token decides
        tokens[:, 15:] = 0  # right padding, masked: the packed-sequence kernel path
        rnn = keras.Sequential(
            [
                keras.Input((20,), dtype="int64"),
                keras.layers.Embedding(50, 16, mask_zero=True),
                keras.layers.LSTM(32),
                keras.layers.Dense(2),
            ]
        )
        rnn.compile(keras.optimizers.Adam(0.01), loss, metrics=["accuracy"])
        h = rnn.fit(tokens, labels, epochs=4, verbose=0)
        check("LSTM (masked, right-padded) trains on cuda", h.history["accuracy"][-1] > 0.9)
    if FAILURES:
        raise SystemExit(f"{len(FAILURES)} CUDA check(s) failed: {FAILURES}")
    print("all CUDA checks passed")


if __name__ == "__main__":
    main()
