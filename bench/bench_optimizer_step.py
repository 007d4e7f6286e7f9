"""Benchmark, not a test: an MLP training step with our Adam vs `torch.optim.Adam(foreach=True)`.

Run: `python tests/optimizers/bench_optimizer_step.py [cpu|cuda]`; prints medians and ratios.
"""

import statistics
import sys
import time

import torch

import torchkeras.optimizers as optimizers


def make_model(width, device):
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(width, width),
        torch.nn.ReLU(),
        torch.nn.Linear(width, width),
        torch.nn.ReLU(),
        torch.nn.Linear(width, 10),
    ).to(device)


def run(kind, width, batch, steps, device, step_only=False):
    model = make_model(width, device)
    params = list(model.parameters())
    if kind == "torch":
        opt = torch.optim.Adam(params, lr=1e-3, eps=1e-7, foreach=True)
    else:
        opt = optimizers.Adam(1e-3)
        opt.build(params)
    x = torch.randn(batch, width, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    loss_fn = torch.nn.CrossEntropyLoss()

    def one():
        if step_only:
            for p in params:
                p.grad = torch.ones_like(p) if p.grad is None else p.grad
            opt.step()
            return
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    for _ in range(20):
        one()
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        one()
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def main():
    device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
    if device == "cpu":
        configs = [(64, 32, 400), (512, 256, 200)]
    else:
        configs = [(64, 32, 2000), (1024, 512, 2000), (4096, 1024, 500)]
    for step_only in (False, True):
        for width, batch, steps in configs:
            times = {"torch": [], "torchkeras": []}
            for _ in range(7):
                for kind in times:
                    times[kind].append(run(kind, width, batch, steps, device, step_only))
            t, k = statistics.median(times["torch"]), statistics.median(times["torchkeras"])
            what = "optimizer.step only" if step_only else "fwd+bwd+step"
            print(
                f"{device} {what:20s} width={width:5d} batch={batch:5d}: torch {t * 1e6:8.1f} us  "
                f"torchkeras {k * 1e6:8.1f} us  ratio {k / t:.3f}"
            )


if __name__ == "__main__":
    main()
