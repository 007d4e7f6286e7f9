"""Tutorial 4 — fit() on a plain PyTorch module, with a torch loss and a torch optimizer.

The network below is ordinary PyTorch (a small ResNet in NCHW layout). `keras.Model(net)` adds
compile / fit / evaluate / predict / callbacks without changing it: the loss is
`torch.nn.CrossEntropyLoss`, the optimizer `torch.optim.SGD`, the schedule
`torch.optim.lr_scheduler.OneCycleLR`, and data can come from a torch `DataLoader`.

    python tutorials/04_fit_a_torch_module.py [--quick] [--epochs N]
"""

from __future__ import annotations

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import torchkeras as keras


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(y)))  # the skip connection


class SmallResNet(nn.Module):
    def __init__(self, classes: int = 10, width: int = 32) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU())
        self.blocks = nn.Sequential(ResidualBlock(width), ResidualBlock(width))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))  # logits


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    epochs = 2 if args.quick else args.epochs
    keras.utils.set_random_seed(2)

    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    # torch layout: (n, channels, height, width), float pixels in 0..1, int64 class indices.
    x_train = torch.tensor(x_train[:, None] / 16.0, dtype=torch.float32)
    x_test = torch.tensor(x_test[:, None] / 16.0, dtype=torch.float32)
    y_train, y_test = torch.tensor(y_train).long(), torch.tensor(y_test).long()

    net = SmallResNet()
    model = keras.Model(net)  # the module is used as is: model.module is net
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=epochs * len(loader))

    # A torch loss is called torch's way, loss(logits, targets).
    model.compile(optimizer=optimizer, loss=nn.CrossEntropyLoss(), metrics=["sparse_categorical_accuracy"])
    model.fit(
        loader,
        epochs=epochs,
        validation_data=(x_test, y_test),
        callbacks=[keras.callbacks.TorchLRScheduler(schedule, interval="batch")],
    )
    model.summary()

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f}")
    logits = model.predict(x_test[:8], verbose=0)  # NumPy logits
    print("predicted:", logits.argmax(-1), "true:", y_test[:8].numpy())
    return accuracy


if __name__ == "__main__":
    main()
