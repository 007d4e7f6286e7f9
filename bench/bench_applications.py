"""ResNet50 through torchkeras against plain PyTorch on the same input, same run.

Two workloads, each run in both data formats unless `--data-format` picks one:

* `predict`: `keras.applications.ResNet50().predict` on one batch (8 images of 224x224 by
  default) against the torch model's forward under `torch.inference_mode()`.
* `finetune`: one epoch of `fit` on a frozen-backbone classifier, as Keras's transfer-learning
  guide builds it (`base.trainable = False`, the base called with `training=False`, a new Dense
  head, Adam), against the loop a PyTorch user writes for the same model (frozen backbone in
  eval mode, shuffled batches, cross-entropy, Adam on the head, loss and accuracy on the device).

The references, both in the same memory format as ours (channels_last: torch's channels-last
memory format, which is the very NHWC array ours reads; channels_first: contiguous NCHW):

* torchvision's `resnet50`, when torchvision can be imported. It is ResNet v1.5 (the stride on
  the 3x3 convolution, convolutions without bias), so it does not compute the same function as
  Keras's ResNet50 (v1: the stride on the first 1x1 convolution, biased convolutions).
* `TorchResNet50` below: Keras's ResNet50 written directly in torch, holding our model's
  weights, so both sides compute the same numbers (the maximum difference is printed).

Timings are the best of `--repeats`, ours and the references interleaved, after a warm-up.
torchvision is no dependency of torchkeras: install it only where the bench runs, the release
that matches the installed torch, beside it (e.g. `python -m venv --system-site-packages tv &&
tv/bin/pip install --no-deps torchvision==0.28.0` for torch 2.13).

    python bench/bench_applications.py                        # both workloads, both formats
    python bench/bench_applications.py --cpu-time --threads 1 --repeats 7   # a shared machine
    python bench/bench_applications.py --only predict --data-format channels_last
    python bench/bench_applications.py --quick                # 64x64, for a smoke run
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

import torchkeras as keras

FORMATS = ("channels_last", "channels_first")
WORKLOADS = ("predict", "finetune")


class Bottleneck(nn.Module):
    def __init__(self, inputs: int, filters: int, stride: int, project: bool):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, filters, 1, stride)
        self.bn1 = nn.BatchNorm2d(filters, eps=1.001e-5)
        self.conv2 = nn.Conv2d(filters, filters, 3, 1, padding=1)
        self.bn2 = nn.BatchNorm2d(filters, eps=1.001e-5)
        self.conv3 = nn.Conv2d(filters, 4 * filters, 1)
        self.bn3 = nn.BatchNorm2d(4 * filters, eps=1.001e-5)
        self.project = (
            nn.Sequential(
                nn.Conv2d(inputs, 4 * filters, 1, stride), nn.BatchNorm2d(4 * filters, eps=1.001e-5)
            )
            if project
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.project(x) if self.project is not None else x
        y = torch.relu(self.bn1(self.conv1(x)))
        y = torch.relu(self.bn2(self.conv2(y)))
        return torch.relu(shortcut + self.bn3(self.conv3(y)))


class TorchResNet50(nn.Module):
    """Keras's ResNet50 (biased convolutions, epsilon 1.001e-5) written directly in torch.

    With `classes=None` it is the pooled backbone (`include_top=False, pooling="avg"`).
    """

    def __init__(self, classes: int | None = 1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, padding=3)
        self.bn1 = nn.BatchNorm2d(64, eps=1.001e-5)
        blocks, width = [], 64
        for filters, depth, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
            for i in range(depth):
                blocks.append(Bottleneck(width, filters, stride if i == 0 else 1, i == 0))
                width = 4 * filters
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(2048, classes) if classes else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = nn.functional.max_pool2d(x, 3, 2, padding=1)
        x = self.blocks(x).mean(dim=(2, 3))
        return x if self.fc is None else torch.softmax(self.fc(x), dim=-1)

    def copy_from(self, model: keras.Model) -> None:
        """Takes the Keras-layout weights of `keras.applications.ResNet50` (same layer order)."""
        convs = [m for m in self.modules() if isinstance(m, nn.Conv2d)]
        norms = [m for m in self.modules() if isinstance(m, nn.BatchNorm2d)]
        ours_convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        ours_norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
        # Keras builds a block's projection first; torch registers it last: reorder by name.
        ours_convs.sort(key=_block_order)
        ours_norms.sort(key=_block_order)
        with torch.no_grad():
            for conv, layer in zip(convs, ours_convs, strict=True):
                kernel, bias = layer.get_weights()
                conv.weight.copy_(torch.from_numpy(kernel).permute(3, 2, 0, 1))
                conv.bias.copy_(torch.from_numpy(bias))
            for norm, layer in zip(norms, ours_norms, strict=True):
                gamma, beta, mean, variance = (torch.from_numpy(w) for w in layer.get_weights())
                norm.weight.copy_(gamma), norm.bias.copy_(beta)
                norm.running_mean.copy_(mean), norm.running_var.copy_(variance)
            if self.fc is not None:
                kernel, bias = model.get_layer("predictions").get_weights()
                self.fc.weight.copy_(torch.from_numpy(kernel).T)
                self.fc.bias.copy_(torch.from_numpy(bias))


def _block_order(layer: keras.layers.Layer) -> tuple:
    """conv1 first, then per block 1, 2, 3, then the projection 0 (torch's registration order)."""
    name = layer.name
    if name.startswith("conv1"):
        return (0, "", 0)
    stage_block, index = name.rsplit("_", 2)[0], int(name.rsplit("_", 2)[1])
    return (1, stage_block, index if index else 9)


_torchvision_schemas: list = []  # keeps the operator declarations below alive


def import_torchvision():
    """torchvision, or None where it is not installed.

    A torchvision wheel built for CUDA beside a CPU-only torch cannot load its compiled operators,
    and its import then stops while registering shapes for two of them (`nms`, `qnms`). Declaring
    those two operators lets the pure-torch model code load; the bench never calls them.
    """
    try:
        import torchvision
    except ImportError:
        return None
    except RuntimeError as error:
        if "torchvision::" not in str(error):
            raise
        for name in [name for name in sys.modules if name.split(".")[0] == "torchvision"]:
            del sys.modules[name]
        library = torch.library.Library("torchvision", "FRAGMENT")
        for op in ("nms", "qnms"):
            library.define(f"{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _torchvision_schemas.append(library)
        import torchvision
    return torchvision


@dataclass
class Row:
    workload: str
    data_format: str
    ours: float
    references: dict[str, float]


class Clock:
    """Wall time by default; `--cpu-time`: this process's CPU time (steadier on a shared machine)."""

    def __init__(self, cpu_time: bool, device: str):
        self.read = time.process_time if cpu_time else time.perf_counter
        self.sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def __call__(self, function: Callable[[], object]) -> float:
        self.sync()
        start = self.read()
        function()
        self.sync()
        return self.read() - start


def interleaved_best(clock: Clock, functions: dict[str, Callable[[], object]], repeats: int) -> dict:
    """Best time of each function over `repeats` rounds that run them all in turn, after a warm-up."""
    for function in functions.values():
        function()
    best = {name: float("inf") for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            best[name] = min(best[name], clock(function))
    return best


def torch_references(
    torchvision, classes: int | None, ours: keras.Model, device: str, data_format: str
) -> dict[str, nn.Module]:
    """The torch models to compare with, in eval mode and in `data_format`'s memory format."""
    same = TorchResNet50(classes)
    same.copy_from(ours)
    references = {"same network in torch": same}
    if torchvision is not None:
        resnet = torchvision.models.resnet50(num_classes=classes or 1000)
        if classes is None:
            resnet.fc = nn.Identity()
        references = {"torchvision resnet50": resnet, **references}
    memory_format = torch.channels_last if data_format == "channels_last" else torch.contiguous_format
    return {name: m.to(device, memory_format=memory_format).eval() for name, m in references.items()}


def as_torch_input(images: np.ndarray, data_format: str, device: str) -> torch.Tensor:
    """The same images as an NCHW tensor; channels_last ones are the NHWC array itself (no copy)."""
    tensor = torch.from_numpy(images).to(device)
    return tensor.permute(0, 3, 1, 2) if data_format == "channels_last" else tensor


def predict_row(args: argparse.Namespace, data_format: str, torchvision, clock: Clock) -> Row:
    size, classes = args.size, args.classes
    shape = (size, size, 3) if data_format == "channels_last" else (3, size, size)
    keras.config.set_image_data_format(data_format)
    model = keras.applications.ResNet50(weights=None, input_shape=shape, classes=classes)
    model.to(args.device)
    images = np.random.default_rng(0).uniform(0, 255, size=(args.batch, *shape)).astype("float32")
    x = as_torch_input(images, data_format, args.device)
    references = torch_references(torchvision, classes, model, args.device, data_format)

    def forward(reference: nn.Module) -> Callable[[], torch.Tensor]:
        def run() -> torch.Tensor:
            with torch.inference_mode():
                return reference(x)

        return run

    def ours() -> np.ndarray:
        return model.predict(images, batch_size=args.batch, verbose=0)

    difference = np.abs(ours() - forward(references["same network in torch"])().cpu().numpy()).max()
    print(f"  predict {data_format}: max |ours - same network in torch| = {difference:.1e}")
    functions = {"ours": ours, **{name: forward(m) for name, m in references.items()}}
    best = interleaved_best(clock, functions, args.repeats)
    return Row("predict", data_format, best.pop("ours"), best)


def finetune_row(args: argparse.Namespace, data_format: str, torchvision, clock: Clock) -> Row:
    size, classes, steps = args.size, 10, args.steps
    shape = (size, size, 3) if data_format == "channels_last" else (3, size, size)
    keras.config.set_image_data_format(data_format)
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, size=(args.batch * steps, *shape)).astype("float32")
    labels = rng.integers(0, classes, size=(args.batch * steps,))
    base = keras.applications.ResNet50(weights=None, include_top=False, input_shape=shape, pooling="avg")
    base.trainable = False
    inputs = keras.Input(shape)
    outputs = keras.layers.Dense(classes)(base(inputs, training=False))
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.to(args.device)
    x = as_torch_input(images, data_format, args.device)
    y = torch.from_numpy(labels).to(args.device)
    backbones = torch_references(torchvision, None, base, args.device, data_format)

    def ours() -> None:
        model.fit(images, labels, batch_size=args.batch, epochs=1, verbose=0)

    def loop(backbone: nn.Module) -> Callable[[], tuple[float, float]]:
        backbone.requires_grad_(False)
        head = nn.Linear(2048, classes).to(args.device)
        optimizer = torch.optim.Adam(head.parameters(), lr=1e-3)

        def epoch() -> tuple[float, float]:
            loss_sum = torch.zeros((), device=args.device)
            correct = torch.zeros((), device=args.device)
            permutation = torch.randperm(x.shape[0], device=args.device)
            for start in range(0, x.shape[0], args.batch):
                index = permutation[start : start + args.batch]
                xb, yb = x.index_select(0, index), y.index_select(0, index)
                logits = head(backbone(xb))
                loss = nn.functional.cross_entropy(logits, yb)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                loss_sum += loss.detach() * yb.shape[0]
                correct += (logits.argmax(-1) == yb).sum()
            return float(loss_sum) / x.shape[0], float(correct) / x.shape[0]

        return epoch

    functions = {"ours": ours, **{name: loop(m) for name, m in backbones.items()}}
    best = interleaved_best(clock, functions, args.repeats)
    return Row("finetune", data_format, best.pop("ours"), best)


def print_table(rows: list[Row], args: argparse.Namespace, clock_name: str) -> None:
    names = list(rows[0].references)
    print(
        f"\nResNet50, batch {args.batch}, {args.size}x{args.size}, {args.device}, "
        f"{torch.get_num_threads()} thread(s), torch {torch.__version__}, {clock_name}; "
        f"finetune: one epoch of {args.steps} steps; ms, best of {args.repeats}"
    )
    header = "| workload | data format | torchkeras |"
    for name in names:
        header += f" {name} | ratio |"
    print(header)
    print("|---" * (3 + 2 * len(names)) + "|")
    for row in rows:
        line = f"| {row.workload} | {row.data_format} | {row.ours * 1000:.0f} |"
        for name in names:
            line += f" {row.references[name] * 1000:.0f} | {row.ours / row.references[name]:.2f}x |"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="64x64 images, 10 classes, 2 repeats")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (5; 2 with --quick)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=4, help="batches in the finetune epoch")
    parser.add_argument("--only", choices=WORKLOADS, default=None, help="one workload")
    parser.add_argument("--data-format", choices=FORMATS, default=None, help="one data format")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--cpu-time", action="store_true", help="process CPU time (CPU runs only)")
    args = parser.parse_args()
    if args.cpu_time and args.device != "cpu":
        parser.error("--cpu-time measures CPU runs only: use it with --device cpu")
    if args.threads:
        torch.set_num_threads(args.threads)
    args.repeats = args.repeats or (2 if args.quick else 5)
    args.size, args.classes = (64, 10) if args.quick else (224, 1000)
    clock = Clock(args.cpu_time, args.device)
    torchvision = import_torchvision()
    if torchvision is None:
        print("torchvision is not installed: comparing with the same network written in torch only")
    rows = []
    for workload in [args.only] if args.only else WORKLOADS:
        for data_format in [args.data_format] if args.data_format else FORMATS:
            make_row = predict_row if workload == "predict" else finetune_row
            rows.append(make_row(args, data_format, torchvision, clock))
    print_table(rows, args, "process CPU time" if args.cpu_time else "wall time")


if __name__ == "__main__":
    main()
