"""ResNet50 inference: `keras.applications.ResNet50().predict` against plain PyTorch, same run.

The reference is torchvision's `resnet50` when torchvision is installed; otherwise a hand-written
torch ResNet50 below (the same bottleneck network, NCHW like torchvision), which also receives our
model's weights so that both compute the same function. Reported: seconds per batch (best of
`--repeats` after a warm-up) and the ratio torchkeras / torch.

    python bench/bench_applications.py                 # batch 8, 224x224, CPU or CUDA
    python bench/bench_applications.py --quick         # 64x64, for a smoke run
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

import torchkeras as keras


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
    """Keras's ResNet50 (biased convolutions, epsilon 1.001e-5) written directly in torch."""

    def __init__(self, classes: int = 1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, padding=3)
        self.bn1 = nn.BatchNorm2d(64, eps=1.001e-5)
        blocks, width = [], 64
        for filters, depth, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
            for i in range(depth):
                blocks.append(Bottleneck(width, filters, stride if i == 0 else 1, i == 0))
                width = 4 * filters
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(2048, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = nn.functional.max_pool2d(x, 3, 2, padding=1)
        x = self.blocks(x).mean(dim=(2, 3))
        return torch.softmax(self.fc(x), dim=-1)

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


def best_time(fn: Callable[[], object], repeats: int, sync: Callable[[], None]) -> float:
    fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    size = 64 if args.quick else 224
    classes = 10 if args.quick else 1000
    model = keras.applications.ResNet50(weights=None, input_shape=(size, size, 3), classes=classes)
    images = np.random.default_rng(0).uniform(0, 255, size=(args.batch, size, size, 3)).astype("float32")
    try:
        import torchvision

        reference = torchvision.models.resnet50(num_classes=classes)
        label = "torchvision resnet50"
    except ImportError:
        reference = TorchResNet50(classes)
        reference.copy_from(model)
        label = "hand-written torch ResNet50 (torchvision not installed)"
    reference = reference.to(device).eval()
    model.to(device)
    nchw = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous().to(device)

    def run_reference() -> torch.Tensor:
        with torch.inference_mode():
            return reference(nchw)

    def run_predict() -> np.ndarray:
        return model.predict(images, batch_size=args.batch, verbose=0)

    if isinstance(reference, TorchResNet50):
        difference = np.abs(run_predict() - run_reference().cpu().numpy()).max()
        print(f"max |ours - reference| on the same weights: {difference:.2e}")
    ours = best_time(run_predict, args.repeats, sync)
    theirs = best_time(run_reference, args.repeats, sync)
    print(f"ResNet50 predict, batch {args.batch}, {size}x{size}, {device}; reference: {label}")
    print(f"  torchkeras {ours * 1000:.1f} ms   torch {theirs * 1000:.1f} ms   ratio {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()
