"""fit time of torchkeras and its peers, each as a ratio to the hand-written PyTorch loop, same run.

The workloads (tiny MLP, MLP, CNN), their data and the hand-written loop are `bench_fit.py`'s.
Every framework trains the same architecture on the same data with the same batch size, loss
(cross-entropy on logits), Adam(1e-3) and per-epoch loss and accuracy:

- torchkeras: the `bench_fit` Keras definitions, `fit` on tensors (as `bench_fit`).
- Keras 3 (`KERAS_BACKEND=torch`): the same definitions built with `keras` (the Keras API is the
  same, so `bench_fit`'s builders run against it unchanged), `fit` on NumPy arrays.
- poutyne: `poutyne.Model` around `bench_fit`'s torch module, `fit` on NumPy arrays.
- Lightning: a `LightningModule` around the same torch module, a shuffled `DataLoader`, loss and
  accuracy logged per epoch; one `Trainer` reused (each timed call runs one more epoch), without
  progress bar, logger, checkpoints or model summary.

Each timed call is one epoch of a `fit` call. Frameworks take turns within each round (so a load
change on a shared machine touches all of them) and the best of the rounds after a warm-up epoch
is kept. Missing peers are skipped with a note. poutyne and Lightning live in a separate virtual
environment that sees the system packages (torch, keras):

    python -m venv --system-site-packages /work/venvs/peers
    /work/venvs/peers/bin/pip install poutyne lightning
    PYTHONPATH=. /work/venvs/peers/bin/python bench/bench_peers.py --quick --threads 1
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator

os.environ.setdefault("KERAS_BACKEND", "torch")

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_fit  # noqa: E402
from bench_fit import Workload, hand_written_epoch, timed  # noqa: E402

import torchkeras  # noqa: E402

WORKLOADS = ("tiny_mlp", "mlp", "cnn")
FRAMEWORKS = ("torchkeras", "Keras 3 (torch)", "poutyne", "Lightning")

EpochFunction = Callable[[], object]


def optional(module: str) -> object | None:
    """The module, or None with a printed note when it is not installed or fails to import."""
    try:
        return importlib.import_module(module)
    except Exception as error:  # a peer that cannot load is skipped, whatever the reason
        print(f"note: {module} skipped ({type(error).__name__}: {error})")
        return None


@contextlib.contextmanager
def keras_api(module: object) -> Iterator[None]:
    """Runs `bench_fit`'s Keras builders against `module` (they read the global `keras`)."""
    saved = bench_fit.keras
    bench_fit.keras = module
    try:
        yield
    finally:
        bench_fit.keras = saved


def hand_written(workload: Workload, x: torch.Tensor, y: torch.Tensor) -> EpochFunction:
    torch.manual_seed(0)
    network = workload.make_torch().to(x.device)
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3, eps=1e-7, foreach=True)
    return lambda: hand_written_epoch(network, optimizer, x, y, workload.batch_size)


def keras_like(api: object, workload: Workload, x: object, y: object, device: torch.device) -> EpochFunction:
    """torchkeras or Keras 3: build, compile with Adam and accuracy, one `fit` epoch per call."""
    torch.manual_seed(0)
    with keras_api(api):
        model = workload.make_keras()
    if api is torchkeras:
        model.to(device)
    model.compile(
        optimizer=api.optimizers.Adam(1e-3),
        loss=api.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit_compile=False,
    )
    return lambda: model.fit(x, y, batch_size=workload.batch_size, epochs=1, verbose=0)


def poutyne_epoch(poutyne: object, workload: Workload, device: torch.device) -> EpochFunction:
    torch.manual_seed(0)
    network = workload.make_torch()
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3, eps=1e-7)
    model = poutyne.Model(network, optimizer, "cross_entropy", batch_metrics=["accuracy"], device=device)
    return lambda: model.fit(workload.x, workload.y, batch_size=workload.batch_size, epochs=1, verbose=False)


def lightning_epoch(lightning: object, workload: Workload, device: torch.device) -> EpochFunction:
    """One more epoch of the same `Trainer` per call (its setup is paid once, as a user pays it)."""
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="lightning")
    warnings.filterwarnings("ignore", module="pytorch_lightning")

    class Classifier(lightning.LightningModule):
        def __init__(self, network: torch.nn.Module) -> None:
            super().__init__()
            self.network = network

        def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_index: int) -> torch.Tensor:
            x, y = batch
            logits = self.network(x)
            loss = torch.nn.functional.cross_entropy(logits, y)
            accuracy = (logits.argmax(-1) == y).float().mean()
            self.log("loss", loss, on_step=False, on_epoch=True)
            self.log("accuracy", accuracy, on_step=False, on_epoch=True)
            return loss

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.Adam(self.parameters(), lr=1e-3, eps=1e-7)

    torch.manual_seed(0)
    module = Classifier(workload.make_torch())
    data = torch.utils.data.TensorDataset(torch.as_tensor(workload.x), torch.as_tensor(workload.y))
    loader = torch.utils.data.DataLoader(data, batch_size=workload.batch_size, shuffle=True)
    trainer = lightning.Trainer(
        accelerator="gpu" if device.type == "cuda" else "cpu",
        devices=1,
        max_epochs=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )

    def epoch() -> None:
        trainer.fit_loop.max_epochs += 1
        trainer.fit(module, loader)

    return epoch


def epoch_functions(
    workload: Workload, peers: dict[str, object], device: torch.device
) -> dict[str, EpochFunction]:
    x = torch.as_tensor(workload.x, device=device)
    y = torch.as_tensor(workload.y, device=device)
    functions = {
        "torch loop": hand_written(workload, x, y),
        "torchkeras": keras_like(torchkeras, workload, x, y, device),
    }
    if peers["keras"] is not None:
        functions["Keras 3 (torch)"] = keras_like(peers["keras"], workload, workload.x, workload.y, device)
    if peers["poutyne"] is not None:
        functions["poutyne"] = poutyne_epoch(peers["poutyne"], workload, device)
    if peers["lightning"] is not None:
        functions["Lightning"] = lightning_epoch(peers["lightning"], workload, device)
    return functions


def best_epochs(functions: dict[str, EpochFunction], rounds: int) -> dict[str, float]:
    """Best epoch time per framework over `rounds` rounds in which every framework runs once."""
    for function in functions.values():
        function()  # warm-up epoch
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(rounds):
        for name, function in functions.items():
            best[name] = min(best[name], timed(function))
    return best


def table(results: dict[str, dict[str, float]]) -> str:
    """Markdown: the torch loop's seconds per epoch, then each framework's ratio to it."""
    lines = [
        "| workload | torch loop s/epoch | " + " | ".join(FRAMEWORKS) + " |",
        "|---|---:|" + "---:|" * len(FRAMEWORKS),
    ]
    for workload, best in results.items():
        torch_seconds = best["torch loop"]
        cells = [f"{best[name] / torch_seconds:.2f}x" if name in best else "n/a" for name in FRAMEWORKS]
        lines.append(f"| {workload} | {torch_seconds:.4f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="bench_fit's smaller data, fewer rounds")
    parser.add_argument("--rounds", type=int, default=None, help="timed epochs per framework")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--only", default=None, help="comma-separated workload names")
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 5)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    peers = {name: optional(name) for name in ("keras", "poutyne", "lightning")}
    versions = [f"torch {torch.__version__}", f"torchkeras {torchkeras.__version__}"]
    versions += [f"{name} {module.__version__}" for name, module in peers.items() if module is not None]
    print(", ".join(versions))
    print(f"{torch.get_num_threads()} threads, device {device}, best of {rounds} rounds, quick={args.quick}")
    print(f"load average at start: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    wanted = args.only.split(",") if args.only else WORKLOADS
    results = {}
    for workload in bench_fit.workloads(args.quick):
        if workload.name in wanted:
            results[workload.name] = best_epochs(epoch_functions(workload, peers, device), rounds)
            print(
                f"{workload.name}: " + ", ".join(f"{k} {v:.4f} s" for k, v in results[workload.name].items())
            )
    print(f"load average at end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    print(table(results))


if __name__ == "__main__":
    main()
