"""Data-parallel training on `torch.distributed`: the same `fit()` script under `torchrun`.

When a script runs under `torchrun --nproc_per_node=N` (the environment holds `WORLD_SIZE`,
`RANK` and `LOCAL_RANK`), `fit`, `evaluate` and `predict` initialise the process group (nccl
on CUDA, gloo on the CPU) unless the script already did, put each rank on its device and:

- **train** through `DistributedDataParallel` (the user's model object stays the one they hold:
  the wrapper lives beside it and the model's own `__call__` routes through it during `fit`);
- **shard the data**: `batch_size` is the *global* batch. Each global batch of arrays is split
  into `N` contiguous row blocks, one per rank, drawn from one permutation shared by all ranks;
  a dataset, DataLoader or generator is dealt out batch by batch (rank `r` takes batches
  `r, r + N, ...`), so there its batch size is per rank. Ranks that run out of batches early
  join DDP's `Join`, so uneven tails never hang; a rank's loss is scaled by its share of the
  global batch, so gradients equal those of one process on the same global batch;
- **reduce logs**: metric states are summed over ranks when an epoch's (or an evaluation's)
  results are read, so History and the epoch line show what one process would;
- **gather predictions** in order on every rank;
- **write once**: only rank 0 prints progress and writes files (`utils.io.atomic_write` skips
  other ranks; CSVLogger, TensorBoard and ModelCheckpoint run on rank 0 only). Decisions taken
  from the reduced logs (EarlyStopping, ReduceLROnPlateau, TerminateOnNaN) agree on all ranks.
"""

from __future__ import annotations

import atexit
import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.distributed as dist

from torchkeras.utils.nest import flatten, map_structure, pack_like

__all__ = [
    "ShardedData",
    "data_parallel",
    "gather_predictions",
    "initialize",
    "is_active",
    "is_chief",
    "launched_by_torchrun",
    "local_device",
    "rank",
    "reduce_metric_results",
    "world_size",
]


def launched_by_torchrun() -> bool:
    """True when the environment is that of a multi-process `torchrun` launch."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ and "LOCAL_RANK" in os.environ


def is_active() -> bool:
    """True inside an initialised process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def initialize() -> bool:
    """Initialises the process group for a torchrun launch (once); returns `is_active()`."""
    if dist.is_available() and not dist.is_initialized() and launched_by_torchrun():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
        dist.init_process_group(backend=backend)
        atexit.register(_destroy_process_group)
    return is_active()


def _destroy_process_group() -> None:
    """Tears down the group `initialize` made, before the interpreter exits: a gloo group left to
    the C++ destructors at exit can abort the process ("terminate called without an active
    exception"), which torchrun reports as a failed job."""
    if dist.is_initialized():
        dist.destroy_process_group()


def data_parallel(model: Any) -> bool:
    """Whether `fit` / `evaluate` / `predict` of `model` run data-parallel (DDP, sharded data,
    logs reduced over ranks): inside a process group, unless the distribution set with
    `torchkeras.distribution.set_distribution` says otherwise (`ModelParallel` shards the
    weights instead, and every rank runs the global batches). Applies that distribution; a
    model whose weights a `ModelParallel` sharded stays under it."""
    from torchkeras.distribution import distribution_lib

    current = model.__dict__.get("_sharded_by") or distribution_lib.distribution()
    if current is None:
        return is_active()
    return current._apply(model)


def rank() -> int:
    return dist.get_rank() if is_active() else 0


def world_size() -> int:
    return dist.get_world_size() if is_active() else 1


def is_chief() -> bool:
    """Whether this process prints and writes files (rank 0, or a single process)."""
    return rank() == 0


def local_device() -> torch.device:
    """This rank's device: `cuda:LOCAL_RANK` when CUDA is available, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", torch.cuda.current_device())))
    return torch.device("cpu")


def _shared_seed() -> int:
    """A seed drawn from rank 0's torch generator and sent to every rank (the epoch's shuffle
    order); drawn from torch's generator, it resumes with the state BackupAndRestore restores."""
    seed = (
        torch.randint(0, 2**62, (1,), dtype=torch.int64) if is_chief() else torch.zeros(1, dtype=torch.int64)
    )
    if dist.get_backend() == "nccl":
        seed = seed.to(local_device())
    dist.broadcast(seed, src=0)
    return int(seed.item())


def _split_bounds(rows: int, parts: int) -> list[int]:
    """Bounds of `parts` contiguous blocks of `rows` rows (the first blocks one row longer)."""
    base, extra = divmod(rows, parts)
    bounds = [0]
    for part in range(parts):
        bounds.append(bounds[-1] + base + (1 if part < extra else 0))
    return bounds


def _rows(batch: Any) -> int:
    for leaf in flatten(batch):
        if isinstance(leaf, torch.Tensor) and leaf.ndim:
            return int(leaf.shape[0])
    return 0


class ShardedData:
    """This rank's share of a data source (see the module docstring for the rules).

    Iterating yields `(piece, batch)`-ordered batches and records, for each batch, which global
    batch it came from and how many rows, so `gather_predictions` can restore the order.

    Args:
        data: an `ArrayData` (split per global batch) or any other source (dealt round-robin).
        set_loss_scale: called before each yielded training batch with this rank's share of
            the global batch times the world size (1.0 when shares are equal).
        keep_empty: yield a 0-row piece when a global batch has fewer rows than ranks (predict
            needs one output per global batch on every rank); otherwise that rank skips it.
    """

    def __init__(
        self, data: Any, set_loss_scale: Callable[[float], None] | None = None, keep_empty: bool = False
    ) -> None:
        self.data = data
        self.keep_empty = keep_empty
        self.split_rows = type(data).__name__ == "ArrayData"
        self.set_loss_scale = set_loss_scale
        self.world, self.rank = world_size(), rank()
        self.pieces: list[tuple[int, int]] = []  # (global batch index, rows) of each local batch
        total = getattr(data, "num_batches", None)
        if total is None or self.split_rows:
            self.num_batches = total
        else:
            self.num_batches = len(range(self.rank, total, self.world))

    def __getattr__(self, name: str) -> Any:  # exhausted, on_epoch_end, ... of the source
        return getattr(self.data, name)

    def __iter__(self) -> Iterator[Any]:
        self.pieces = []
        if self.split_rows:
            yield from self._split_batches()
        else:
            for index, batch in enumerate(self.data):
                if index % self.world == self.rank:
                    self.pieces.append((index, _rows(batch)))
                    yield batch

    def _split_batches(self) -> Iterator[Any]:
        seed = _shared_seed()
        batches = iter(self.data)
        for index in range(self.data.num_batches):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed + index)  # the same shuffle order on every rank
                try:
                    batch = next(batches)
                except StopIteration:
                    return
            rows = _rows(batch)
            bounds = _split_bounds(rows, self.world)
            start, stop = bounds[self.rank], bounds[self.rank + 1]
            if stop == start and not self.keep_empty:
                continue  # fewer rows than ranks in this batch: this rank sits it out (Join)
            if self.set_loss_scale is not None:
                self.set_loss_scale((stop - start) * self.world / rows)
            self.pieces.append((index, stop - start))
            yield map_structure(lambda leaf, a=start, b=stop: _slice_rows(leaf, a, b), batch)


def _slice_rows(leaf: Any, start: int, stop: int) -> Any:
    if isinstance(leaf, torch.Tensor) and leaf.ndim:
        return leaf[start:stop]
    return leaf


def _state_of(metric: Any) -> list[torch.Tensor]:
    """A metric's state tensors; a container (the compiled metrics) gives its members' states."""
    variables = getattr(metric, "variables", None)
    if variables is not None:
        return list(variables)
    return [v for member in getattr(metric, "metrics", []) for v in _state_of(member)]


def reduce_metric_results(metrics: list[Any], read: Callable[[], Any]) -> Any:
    """Reads `read()` with every metric state summed over the ranks, then restores local states."""
    variables = [v for metric in metrics for v in _state_of(metric)]
    if not variables:
        return read()
    saved = [v.detach().clone() for v in variables]
    device = variables[0].device
    flat = torch.cat([v.detach().reshape(-1).to(device, torch.float64) for v in variables])
    dist.all_reduce(flat)
    offset = 0
    with torch.no_grad():
        for variable in variables:
            size = variable.numel()
            variable.copy_(flat[offset : offset + size].reshape(variable.shape).to(variable.dtype))
            offset += size
    try:
        return read()
    finally:
        with torch.no_grad():
            for variable, value in zip(variables, saved):
                variable.copy_(value)


def _all_gather_rows(tensor: torch.Tensor) -> list[torch.Tensor]:
    """Every rank's `tensor` (same trailing shape, any number of rows), in rank order."""
    device = local_device() if dist.get_backend() == "nccl" else torch.device("cpu")
    tensor = tensor.to(device)
    count = torch.tensor([tensor.shape[0]], device=device)
    counts = [torch.zeros_like(count) for _ in range(world_size())]
    dist.all_gather(counts, count)
    longest = int(max(c.item() for c in counts))
    padded = torch.zeros((longest, *tensor.shape[1:]), dtype=tensor.dtype, device=device)
    padded[: tensor.shape[0]] = tensor
    gathered = [torch.zeros_like(padded) for _ in range(world_size())]
    dist.all_gather(gathered, padded)
    return [part[: int(c.item())] for part, c in zip(gathered, counts)]


def gather_predictions(pieces: list[tuple[int, int]], outputs: list[Any]) -> list[Any]:
    """Every rank's predicted batches, put back in the order of the global batches."""
    have = torch.tensor([len(outputs)], dtype=torch.int64)
    if dist.get_backend() == "nccl":
        have = have.to(local_device())
    dist.all_reduce(have, op=dist.ReduceOp.MIN)
    if int(have.item()) == 0:
        raise ValueError(
            "`predict()` under torchrun needs at least one batch per rank: this source gave "
            f"fewer batches than the {world_size()} ranks. Pass arrays, or more batches."
        )
    layout = torch.tensor(pieces, dtype=torch.int64).reshape(-1, 2)
    layouts = _all_gather_rows(layout)
    template = outputs[0]
    leaves = [list(parts) for parts in zip(*(flatten(out) for out in outputs))]
    joined_per_rank = [_all_gather_rows(torch.cat(parts).detach()) for parts in leaves]
    order = sorted(
        (int(index), source, position)
        for source, table in enumerate(layouts)
        for position, (index, _) in enumerate(table.tolist())
    )
    offsets = [[0] + torch.cumsum(table[:, 1], 0).tolist() for table in layouts]
    batches = []
    for _, source, position in order:
        start, stop = offsets[source][position], offsets[source][position + 1]
        batches.append([per_rank[source][start:stop] for per_rank in joined_per_rank])
    return [pack_like(template, leaf_list) for leaf_list in batches]


class _RestoreOnly:
    """Another rank's view of `BackupAndRestore`: it restores from rank 0's backup, never writes
    or deletes it."""

    def __init__(self, callback: Any) -> None:
        self._callback = callback

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._callback, name)
        if name == "on_train_end":
            return lambda *args, **kwargs: None
        return attribute


def callbacks_for_other_ranks(callbacks: Any, model: Any = None) -> list:
    """The callbacks a rank other than 0 runs: not the ones whose only job is printing or
    writing files, and `BackupAndRestore` for restoring only. `ModelCheckpoint` stays when
    `model`'s weights are sharded (`ModelParallel`): saving gathers them, a collective every
    rank joins (only rank 0 writes the file)."""
    from torchkeras import callbacks as callbacks_module

    names = ["ProgbarLogger", "CSVLogger", "TensorBoard"]
    if model is None or "_sharded_by" not in model.__dict__:
        names.append("ModelCheckpoint")
    writers = tuple(getattr(callbacks_module, name) for name in names if hasattr(callbacks_module, name))
    kept = []
    for callback in flatten(callbacks or []):
        if isinstance(callback, writers):
            continue
        if isinstance(callback, callbacks_module.BackupAndRestore):
            callback = _RestoreOnly(callback)
        kept.append(callback)
    return kept


@contextlib.contextmanager
def joined(ddp: Any) -> Iterator[None]:
    """DDP's `Join` for one epoch: ranks that run out of batches shadow the others' collectives."""
    if ddp is None:
        yield
        return
    from torch.distributed.algorithms.join import Join

    with Join([ddp]):
        yield
