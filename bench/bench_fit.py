"""fit / evaluate / predict time of torchkeras against a hand-written PyTorch loop, same run.

Each workload trains the same architecture on the same data with the same batch size, loss,
optimizer update and per-epoch loss/accuracy tracking, once through `model.fit` and once
through a plain loop. Reported: seconds per epoch for both and the ratio torchkeras / torch
(best of `--repeats`, after a warm-up epoch), plus peak memory (CUDA) where available.

    python bench/bench_fit.py            # all workloads
    python bench/bench_fit.py --quick    # smaller, for CI smoke runs
    python bench/bench_fit.py --jit      # also `jit_compile=True` (torch.compile) fit / evaluate / predict
    python bench/bench_fit.py --cpu-time --only tiny_mlp   # CPU time: steadier on a loaded machine

Also reported: what `import torchkeras` adds to `import torch` (fresh subprocesses, bytecode
cached) and the cost of one layer call against the same torch module call. On a shared machine
single timings are noisy: ratios are of the same run, and `--jit` prints the range of the ratios
of interleaved repeats.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

import torchkeras as keras


@dataclass
class Workload:
    name: str
    make_keras: Callable[[], keras.Model] | None  # None: the torch module is only run wrapped
    make_torch: Callable[[], torch.nn.Module]
    x: np.ndarray
    y: np.ndarray
    batch_size: int


def mlp_layers(features: int, hidden: int, classes: int, depth: int) -> list:
    layers = [keras.Input((features,))]
    layers += [keras.layers.Dense(hidden, activation="relu") for _ in range(depth)]
    return [*layers, keras.layers.Dense(classes)]


def torch_mlp(features: int, hidden: int, classes: int, depth: int) -> torch.nn.Module:
    modules: list[torch.nn.Module] = []
    width = features
    for _ in range(depth):
        modules += [torch.nn.Linear(width, hidden), torch.nn.ReLU()]
        width = hidden
    return torch.nn.Sequential(*modules, torch.nn.Linear(width, classes))


def cnn_keras() -> keras.Model:
    L = keras.layers
    return keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            L.Conv2D(32, 3, padding="same", activation="relu"),
            L.BatchNormalization(),
            L.MaxPooling2D(),
            L.Conv2D(64, 3, padding="same", activation="relu"),
            L.GlobalAveragePooling2D(),
            L.Dense(10),
        ]
    )


def cnn_torch() -> torch.nn.Module:
    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 32, 3, padding=1)
            self.bn = torch.nn.BatchNorm2d(32, eps=1e-3, momentum=0.01)
            self.conv2 = torch.nn.Conv2d(32, 64, 3, padding=1)
            self.head = torch.nn.Linear(64, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = x.permute(0, 3, 1, 2)  # NHWC data as a channels_last NCHW view
            x = self.bn(torch.relu(self.conv1(x)))
            x = torch.nn.functional.max_pool2d(x, 2)
            x = torch.relu(self.conv2(x))
            return self.head(x.mean((2, 3)))

    return Net()


def cnn_torch_nchw() -> torch.nn.Module:
    """The same network as `cnn_torch`, written the PyTorch way: NCHW data, no permute."""

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 32, 3, padding=1)
            self.bn = torch.nn.BatchNorm2d(32, eps=1e-3, momentum=0.01)
            self.conv2 = torch.nn.Conv2d(32, 64, 3, padding=1)
            self.head = torch.nn.Linear(64, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.bn(torch.relu(self.conv1(x)))
            x = torch.nn.functional.max_pool2d(x, 2)
            x = torch.relu(self.conv2(x))
            return self.head(x.mean((2, 3)))

    return Net()


def lstm_keras(vocab: int, steps: int) -> keras.Model:
    L = keras.layers
    return keras.Sequential(
        [keras.Input((steps,), dtype="int64"), L.Embedding(vocab, 32), L.LSTM(64), L.Dense(2)]
    )


def lstm_torch(vocab: int) -> torch.nn.Module:
    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(vocab, 32)
            self.lstm = torch.nn.LSTM(32, 64, batch_first=True)
            self.head = torch.nn.Linear(64, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            _, (h, _) = self.lstm(self.embedding(x))
            return self.head(h[-1])

    return Net()


def encoder_keras(vocab: int, steps: int) -> keras.Model:
    """A one-block transformer encoder (post-norm, as `torch.nn.TransformerEncoderLayer`)."""
    L = keras.layers
    tokens = keras.Input((steps,), dtype="int64")
    x = L.Embedding(vocab, 64)(tokens)
    x = L.LayerNormalization(epsilon=1e-5)(L.Add()([x, L.MultiHeadAttention(4, 16)(x, x)]))
    ffn = L.Dense(64)(L.Dense(128, activation="relu")(x))
    x = L.LayerNormalization(epsilon=1e-5)(L.Add()([x, ffn]))
    return keras.Model(tokens, L.Dense(2)(L.GlobalAveragePooling1D()(x)))


def encoder_torch(vocab: int) -> torch.nn.Module:
    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(vocab, 64)
            self.block = torch.nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0, batch_first=True)
            self.head = torch.nn.Linear(64, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.block(self.embedding(x)).mean(1))

    return Net()


def hand_written_epoch(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
) -> tuple[float, float]:
    """The loop a PyTorch user writes: shuffled batches, CE loss, Adam, on-device running stats."""
    model.train()
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device)
    permutation = torch.randperm(x.shape[0], device=x.device)
    for start in range(0, x.shape[0], batch_size):
        index = permutation[start : start + batch_size]
        xb, yb = x.index_select(0, index), y.index_select(0, index)
        logits = model(xb)
        loss = torch.nn.functional.cross_entropy(logits, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * yb.shape[0]
        correct += (logits.argmax(-1) == yb).sum()
    return float(loss_sum) / x.shape[0], float(correct) / x.shape[0]


def hand_written_evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> tuple:
    model.eval()
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device)
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            xb, yb = x[start : start + batch_size], y[start : start + batch_size]
            logits = model(xb)
            loss_sum += torch.nn.functional.cross_entropy(logits, yb) * yb.shape[0]
            correct += (logits.argmax(-1) == yb).sum()
    return float(loss_sum) / x.shape[0], float(correct) / x.shape[0]


def hand_written_predict(model: torch.nn.Module, x: torch.Tensor, batch_size: int) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return (
            torch.cat([model(x[s : s + batch_size]) for s in range(0, x.shape[0], batch_size)]).cpu().numpy()
        )


# The clock `timed` reads: wall time by default; `--cpu-time` switches to this process's CPU
# time, steadier on a shared, loaded machine (CPU runs only: device work is not counted).
_clock = time.perf_counter


def timed(function: Callable[[], object]) -> float:
    _synchronize()
    start = _clock()
    function()
    _synchronize()
    return _clock() - start


def seconds(function: Callable[[], object]) -> float:
    """Wall time of one call (device work included)."""
    return timed(function)


def best_time(function: Callable[[], object], repeats: int) -> float:
    return first_and_best_time(function, repeats)[1]


def first_and_best_time(function: Callable[[], object], repeats: int) -> tuple[float, float]:
    """The first (warm-up) run's time and the best of `repeats` later runs."""
    first = timed(function)
    return first, min(timed(function) for _ in range(repeats))


def _reset_peak_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def _peak_memory_mib() -> float | None:
    """Peak CUDA memory since the last reset (not measured on CPU, where torch keeps no stats)."""
    return torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None


def _synchronize() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def ratio_range(
    ours: Callable[[], object], theirs: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """(min, max) over `repeats` interleaved pairs of the ratio ours / theirs (after a warm-up)."""
    ours()
    theirs()
    ratios = []
    for _ in range(repeats):
        ratios.append(seconds(ours) / seconds(theirs))
    return min(ratios), max(ratios)


def jit_ratios(workload: Workload, repeats: int, device: torch.device) -> dict[str, tuple[float, float]]:
    """`fit`, `evaluate` and `predict` with `jit_compile=True` against the eager hand-written
    loops: the range of ratios of interleaved repeats, after the compiling first calls."""
    x = torch.as_tensor(workload.x, device=device)
    y = torch.as_tensor(workload.y, device=device)
    size = workload.batch_size
    torch.manual_seed(0)
    reference = workload.make_torch().to(device)
    optimizer = torch.optim.Adam(reference.parameters(), lr=1e-3, eps=1e-7, foreach=True)
    model = workload.make_keras()
    model.to(device)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit_compile=True,
    )
    return {
        "fit": ratio_range(
            lambda: model.fit(x, y, batch_size=size, epochs=1, verbose=0),
            lambda: hand_written_epoch(reference, optimizer, x, y, size),
            repeats,
        ),
        "evaluate": ratio_range(
            lambda: model.evaluate(x, y, batch_size=size, verbose=0),
            lambda: hand_written_evaluate(reference, x, y, size),
            repeats,
        ),
        "predict": ratio_range(
            lambda: model.predict(x, batch_size=size, verbose=0),
            lambda: hand_written_predict(reference, x, size),
            repeats,
        ),
    }


def import_seconds(repeats: int) -> tuple[float, float]:
    """(import torch, then what import torchkeras adds) in fresh interpreters, best of `repeats`, with
    the bytecode cached (as in an installed package) in a private folder."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=tempfile.mkdtemp(prefix="tk-bench-pyc-"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    code = (
        "import time; s = time.perf_counter(); import torch; t = time.perf_counter(); "
        "import torchkeras; print(t - s, time.perf_counter() - t)"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runs = []
    for _ in range(repeats + 1):  # the first run writes the bytecode cache
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True)
        runs.append(tuple(float(v) for v in out.stdout.split()))
    return min(r[0] for r in runs[1:]), min(r[1] for r in runs[1:])


def layer_call_microseconds(device: torch.device, calls: int = 2000) -> tuple[float, float]:
    """One call of a built `Dense` against one call of the same `torch.nn.Linear` (microseconds):
    the fixed cost of the layer call (per-thread context, training flag, dtype check)."""
    dense = keras.layers.Dense(16)
    x = torch.ones(8, 16, device=device)
    dense(x)
    dense.to(device)
    linear = torch.nn.Linear(16, 16).to(device)

    def loop(function: Callable[[torch.Tensor], object]) -> Callable[[], None]:
        def run_calls() -> None:
            with torch.no_grad():
                for _ in range(calls):
                    function(x)

        return run_calls

    return best_time(loop(dense), 3) / calls * 1e6, best_time(loop(linear), 3) / calls * 1e6


def run(workload: Workload, repeats: int, wrapped: bool, device: torch.device) -> dict[str, object]:
    x = torch.as_tensor(workload.x, device=device)
    y = torch.as_tensor(workload.y, device=device)
    size = workload.batch_size
    torch.manual_seed(0)
    reference = workload.make_torch().to(device)
    optimizer = torch.optim.Adam(reference.parameters(), lr=1e-3, eps=1e-7, foreach=True)
    _reset_peak_memory()
    torch_first, torch_fit = first_and_best_time(
        lambda: hand_written_epoch(reference, optimizer, x, y, size), repeats
    )
    torch_peak = _peak_memory_mib()
    torch_evaluate = best_time(lambda: hand_written_evaluate(reference, x, y, size), repeats)
    torch_predict = best_time(lambda: hand_written_predict(reference, x, size), repeats)

    torch.manual_seed(0)
    model = keras.Model(workload.make_torch()) if wrapped else workload.make_keras()
    model.to(device)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    _reset_peak_memory()
    ours_first, ours_fit = first_and_best_time(
        lambda: model.fit(x, y, batch_size=size, epochs=1, verbose=0), repeats
    )
    ours_peak = _peak_memory_mib()
    ours_evaluate = best_time(lambda: model.evaluate(x, y, batch_size=size, verbose=0), repeats)
    ours_predict = best_time(lambda: model.predict(x, batch_size=size, verbose=0), repeats)
    return {
        "torch_fit": torch_fit,
        "fit": ours_fit,
        "fit_ratio": ours_fit / torch_fit,
        # What the first epoch costs beyond a steady one, ours minus the hand-written loop's.
        "first_epoch_extra": (ours_first - ours_fit) - (torch_first - torch_fit),
        "evaluate_ratio": ours_evaluate / torch_evaluate,
        "predict_ratio": ours_predict / torch_predict,
        "peak_memory": (ours_peak, torch_peak),
    }


def workloads(quick: bool) -> list[Workload]:
    rng = np.random.default_rng(0)
    scale = 4 if quick else 1
    n = 8192 // scale
    x_tab = rng.normal(size=(n, 32)).astype("float32")
    y_tab = rng.integers(0, 10, n)
    tiny_x = rng.normal(size=(n, 8)).astype("float32")
    tiny_y = rng.integers(0, 2, n)
    images = rng.normal(size=(1024 // scale, 32, 32, 3)).astype("float32")
    images_nchw = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    image_labels = rng.integers(0, 10, images.shape[0])
    vocab, steps = 1000, 50
    tokens = rng.integers(1, vocab, size=(2048 // scale, steps))
    token_labels = rng.integers(0, 2, tokens.shape[0])
    found = [
        Workload(
            "tiny_mlp",
            lambda: keras.Sequential(mlp_layers(8, 16, 2, 1)),
            lambda: torch_mlp(8, 16, 2, 1),
            tiny_x,
            tiny_y,
            32,
        ),
        Workload(
            "mlp",
            lambda: keras.Sequential(mlp_layers(32, 256, 10, 3)),
            lambda: torch_mlp(32, 256, 10, 3),
            x_tab,
            y_tab,
            128,
        ),
    ]
    if hasattr(keras.layers, "Conv2D") and hasattr(keras.layers, "BatchNormalization"):
        found.append(Workload("cnn", cnn_keras, cnn_torch, images, image_labels, 64))
        found.append(Workload("cnn_nchw", None, cnn_torch_nchw, images_nchw, image_labels, 64))
    if hasattr(keras.layers, "LSTM"):
        found.append(
            Workload(
                "lstm", lambda: lstm_keras(vocab, steps), lambda: lstm_torch(vocab), tokens, token_labels, 64
            )
        )
    found.append(
        Workload(
            "transformer",
            lambda: encoder_keras(vocab, 32),
            lambda: encoder_torch(vocab),
            tokens[:, :32],
            token_labels,
            64,
        )
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data and fewer repeats")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--only", default=None, help="comma-separated workload names")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--jit", action="store_true", help="also time jit_compile=True (fit, evaluate, predict)"
    )
    parser.add_argument(
        "--cpu-time", action="store_true", help="time with process CPU time (CPU device; shared machines)"
    )
    parser.add_argument("--no-import", action="store_true", help="skip the import-time measurement")
    args = parser.parse_args()
    if args.cpu_time:
        if args.device != "cpu":
            parser.error("--cpu-time measures CPU runs only: use it with --device cpu")
        global _clock
        _clock = time.process_time
    repeats = args.repeats or (2 if args.quick else 5)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {device}")
    if not args.no_import:
        torch_import, with_torchkeras = import_seconds(repeats)
        print(f"import torch {torch_import:.3f} s; import torchkeras adds {with_torchkeras:.3f} s")
    ours_call, torch_call = layer_call_microseconds(device)
    print(f"layer call {ours_call:.1f} us (Dense) vs {torch_call:.1f} us (torch.nn.Linear)")
    header = f"{'workload':<22}{'torch fit s':>12}{'ours fit s':>12}{'fit ratio':>11}{'eval ratio':>12}"
    print(header + f"{'predict ratio':>15}{'1st epoch +s':>14}{'peak MiB ours/torch':>22}")
    for workload in workloads(args.quick):
        if args.only and workload.name not in args.only.split(","):
            continue
        for wrapped in (False, True):
            if not wrapped and workload.make_keras is None:
                continue
            result = run(workload, repeats, wrapped, device)
            label = workload.name + (" (wrapped)" if wrapped else "")
            ours_peak, torch_peak = result["peak_memory"]
            peak = "n/a (cpu)" if ours_peak is None else f"{ours_peak:.1f}/{torch_peak:.1f}"
            print(
                f"{label:<22}{result['torch_fit']:>12.4f}{result['fit']:>12.4f}{result['fit_ratio']:>11.3f}"
                f"{result['evaluate_ratio']:>12.3f}{result['predict_ratio']:>15.3f}"
                f"{result['first_epoch_extra']:>14.3f}{peak:>22}",
                flush=True,
            )
        if args.jit and workload.name in ("mlp", "cnn", "transformer"):
            ranges = jit_ratios(workload, repeats, device)
            shown = "  ".join(f"{kind} {low:.3f}-{high:.3f}" for kind, (low, high) in ranges.items())
            print(f"{workload.name + ' (jit)':<22}{shown}  (jit_compile=True / eager torch)", flush=True)


if __name__ == "__main__":
    main()
