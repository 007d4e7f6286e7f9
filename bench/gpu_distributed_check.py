"""2-GPU check of `keras.distribution` on nccl: DataParallel and ModelParallel against one process.

python bench/gpu_distributed_check.py

With fewer than 2 CUDA devices it prints a SKIP line and exits 0. Otherwise it trains a small
model in this process on one GPU (the reference), launches itself under
`torchrun --standalone --nproc_per_node=2`, and checks that both distributions end with the
reference's weights and losses, that ModelParallel keeps half of each sharded weight per GPU,
and that its saved file (written by rank 0 only) loads in one process with the same weights.
Prints `ok` / `FAIL` per check and exits 1 on any failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

import torchkeras as keras

TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 32)).astype("float32")
    return x, rng.normal(size=(256, 4)).astype("float32")


def build(dropout: bool) -> keras.Model:
    keras.utils.set_random_seed(7)
    inputs = keras.Input((32,))
    x = keras.layers.Dense(64, activation="relu", name="hidden")(inputs)
    if dropout:
        x = keras.layers.Dropout(0.1)(x)
    outputs = keras.layers.Dense(4, name="head")(x)
    return keras.Model(inputs, outputs)


def train(model: keras.Model, optimizer: keras.optimizers.Optimizer) -> dict:
    x, y = data()
    model.compile(optimizer=optimizer, loss="mse")
    history = model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    return {
        "loss": history.history["loss"],
        "weights": [w.tolist() for w in model.get_weights()],
        "device": model.device.type,
    }


def run(out: str) -> dict:
    """The script itself: the same in one process and under torchrun."""
    distribution = keras.distribution
    distribution.initialize()
    devices = distribution.list_devices()
    record: dict = {"devices": devices}
    if "RANK" not in os.environ:  # the one-process reference: a mesh of one GPU
        devices = devices[:1]
    with distribution.DataParallel(devices=devices).scope():
        record["data_parallel"] = train(build(dropout=False), keras.optimizers.SGD(0.05))
    mesh = distribution.DeviceMesh((len(devices),), ["model"], devices)
    layout_map = distribution.LayoutMap(mesh)
    layout_map["hidden/kernel"] = (None, "model")
    layout_map["hidden/bias"] = ("model",)
    layout_map["head/kernel"] = ("model", None)
    with distribution.ModelParallel(layout_map=layout_map).scope():
        model = build(dropout=True)
        record["model_parallel"] = train(model, keras.optimizers.Adam(1e-3))
        record["hidden_kernel_stored"] = list(model.get_layer("hidden").kernel.shape)
        model.save(os.path.join(out, "model_parallel.safetensors"))
    rank = int(os.environ.get("RANK", "0"))
    with open(os.path.join(out, f"rank{rank}.json"), "w") as handle:
        json.dump(record, handle)
    return record


FAILURES: list[str] = []


def check(name: str, condition: bool) -> None:
    print(f"{'ok  ' if condition else 'FAIL'} {name}", flush=True)
    if not condition:
        FAILURES.append(name)


def close(a: list, b: list) -> bool:
    return all(np.allclose(np.asarray(x), np.asarray(y), **TOLERANCE) for x, y in zip(a, b, strict=True))


def main() -> int:
    count = torch.cuda.device_count()
    if count < 2:
        print(f"SKIP gpu_distributed_check: needs 2 CUDA devices, found {count}.")
        return 0
    with tempfile.TemporaryDirectory() as single_out, tempfile.TemporaryDirectory() as out:
        single = run(single_out)
        env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
        result = subprocess.run(
            [*command, __file__, "--worker", out], env=env, timeout=600, capture_output=True, text=True
        )
        check("torchrun --nproc_per_node=2 (nccl) exits 0", result.returncode == 0)
        if result.returncode != 0:
            print(result.stderr[-4000:])
            return 1
        ranks = [json.loads(Path(out, f"rank{r}.json").read_text()) for r in (0, 1)]
        check(
            "list_devices() gives one gpu per process", all(r["devices"] == ["gpu:0", "gpu:1"] for r in ranks)
        )
        for part in ("data_parallel", "model_parallel"):
            for r, record in enumerate(ranks):
                check(f"{part}: rank {r} trained on cuda", record[part]["device"] == "cuda")
                check(
                    f"{part}: rank {r} loss as one process", close(single[part]["loss"], record[part]["loss"])
                )
                check(
                    f"{part}: rank {r} weights as one process",
                    close(single[part]["weights"], record[part]["weights"]),
                )
        check(
            "model_parallel: each GPU stores half of hidden/kernel",
            all(r["hidden_kernel_stored"] == [32, 32] for r in ranks)
            and single["hidden_kernel_stored"] == [32, 64],
        )
        loaded = keras.saving.load_model(os.path.join(out, "model_parallel.safetensors"))
        check(
            "model_parallel: the saved file loads in one process",
            close(single["model_parallel"]["weights"], loaded.get_weights()),
        )
    print("FAILED: " + ", ".join(FAILURES) if FAILURES else "all distributed GPU checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        run(sys.argv[2])
    else:
        sys.exit(main())
