"""Tutorial 10 — Distributed training with torchrun: the same fit() script on several processes.

Nothing in the model code changes. Launched by torchrun, `fit` / `evaluate` / `predict` see the
environment torchrun sets (WORLD_SIZE, RANK, LOCAL_RANK), start the process group (nccl on GPUs,
gloo on CPUs), train through DistributedDataParallel and give each process its share of every
batch. `batch_size` is the *global* batch: with 2 processes and batch_size=64, each process runs
32 rows per step. Logs, History and `evaluate` are reduced over processes, `predict` returns the
whole result on every process, and only rank 0 prints and writes files.

    python tutorials/10_distributed_training.py                 # one process
    torchrun --nproc_per_node=2 tutorials/10_distributed_training.py
    # two machines (run one line on each; the address is node 0's):
    torchrun --nnodes=2 --node_rank=0 --nproc_per_node=1 --master_addr=10.0.0.1 --master_port=29500 \\
        tutorials/10_distributed_training.py
    torchrun --nnodes=2 --node_rank=1 --nproc_per_node=1 --master_addr=10.0.0.1 --master_port=29500 \\
        tutorials/10_distributed_training.py
    python tutorials/10_distributed_training.py --quick         # CI: launches 2 CPU processes itself
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import torchkeras as keras


def build_model() -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Rescaling(1.0 / 16),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train(epochs: int, out: str | None) -> dict:
    # Every process seeds the same way, so they all start from the same weights
    # (DistributedDataParallel also copies rank 0's weights to the others when training starts).
    keras.utils.set_random_seed(10)
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train, x_test = x_train.reshape(-1, 64).astype("float32"), x_test.reshape(-1, 64).astype("float32")

    model = build_model()
    rank = int(os.environ.get("RANK", "0"))
    if rank == 0:
        model.summary()  # print once, not once per process
    model.fit(x_train, y_train, batch_size=64, epochs=epochs, validation_split=0.1)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)  # the same numbers on every rank
    predictions = model.predict(x_test, verbose=0)  # all rows, in order, on every rank
    result = {
        "rank": rank,
        "world_size": int(os.environ.get("WORLD_SIZE", "1")),
        "accuracy": accuracy,
        "rows_predicted": len(predictions),
    }
    print(f"rank {rank}: test accuracy {accuracy:.4f} on {len(predictions)} rows")
    if out is not None:  # each process reports to the launcher (plain file writes, one per rank)
        with open(os.path.join(out, f"rank{rank}.json"), "w") as handle:
            json.dump(result, handle)
    return result


def launch_two_processes(epochs: int) -> dict:
    """What `torchrun --standalone --nproc_per_node=2` does, started from Python (CPU, gloo)."""
    out = tempfile.mkdtemp()
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        os.path.abspath(__file__),
        "--epochs",
        str(epochs),
        "--out",
        out,
    ]
    # The workers import the same torchkeras as this process, installed or not.
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(keras.__file__)))
    python_path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=python_path)
    completed = subprocess.run(command, env=env, timeout=600, capture_output=True, text=True)
    print(completed.stdout)
    if completed.returncode != 0:
        raise RuntimeError(f"the distributed job failed:\n{completed.stderr[-3000:]}")
    ranks = []
    for rank in (0, 1):
        with open(os.path.join(out, f"rank{rank}.json")) as handle:
            ranks.append(json.load(handle))
    return {"ranks": ranks}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="2 epochs on 2 CPU processes")
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick and "WORLD_SIZE" not in os.environ:
        build_model().summary()
        return launch_two_processes(epochs=2)
    return train(args.epochs, args.out)


if __name__ == "__main__":
    main()
