"""What a config read from a file may make the loader allocate, checked before allocating.

A config is small; the sizes it declares are not: `Dense(units=30_000_000)` fits in a few bytes
and asks for gigabytes. While a file's config is turned into objects, a `torch` function mode
counts the elements of every tensor the factory functions (`torch.empty`, `zeros`, `rand`, ...,
which every initializer and metric variable goes through) are asked for, and refuses the call
that would go over the budget, before it allocates. Sizes that are not tensors (a metric's
thresholds list) or that only allocate when called (a preprocessing layer's output width) are
capped in the config itself (`check_declared_sizes`), before anything is built.

Limits (elements count whatever the dtype):

| limit | value | where |
|---|---|---|
| tensors built from a model file | 4 x its stored elements + 2**24 | `load_model` |
| tensors built from a config alone | 2**27 (`MAX_ELEMENTS_WITHOUT_WEIGHTS`) | `model_from_json` |
| `num_thresholds` | 100,000 | every config read from a file |
| `num_classes` | 65,536 (an IoU matrix is its square: in the budget) | every config read from a file |
| `num_tokens`, `max_tokens`, `vocabulary_size`, `num_bins`, `output_sequence_length` | 2**24 | idem |

`MAX_ELEMENTS_WITHOUT_WEIGHTS` may be raised (`build_budget.MAX_ELEMENTS_WITHOUT_WEIGHTS = ...`) to
rebuild a larger model from its JSON config.
"""

from __future__ import annotations

import contextlib
import math
import operator
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

__all__ = [
    "DECLARED_SIZE_CAPS",
    "MAX_ELEMENTS_WITHOUT_WEIGHTS",
    "STORED_FACTOR",
    "UNSTORED_ELEMENTS",
    "bounded_build",
    "budget_for_store",
    "check_declared_sizes",
    "stored_elements",
]

UNSTORED_ELEMENTS = 2**24  # built beyond the file's tensors: metric state, weights not saved, scratch
STORED_FACTOR = 4  # initializers draw scratch tensors as large as the weight (e.g. truncated normal)
MAX_ELEMENTS_WITHOUT_WEIGHTS = 2**27  # a config with no stored tensors (512 MiB of float32)
DECLARED_SIZE_CAPS = {
    "num_thresholds": 100_000,  # a Python list and four accumulators of this length
    "num_classes": 65_536,
    "num_tokens": 2**24,  # the width of a preprocessing layer's output, allocated per call
    "max_tokens": 2**24,
    "vocabulary_size": 2**24,
    "num_bins": 2**24,
    "output_sequence_length": 2**24,
}


def check_declared_sizes(config: Any, source: str = "config") -> None:
    """Refuses a config holding a size in `DECLARED_SIZE_CAPS` over its cap (one linear walk).

    Raises:
        ValueError: naming `source`, the argument, its value, the cap and the object declaring it.
    """
    stack = [(config, "")]
    while stack:
        value, owner = stack.pop()
        if isinstance(value, Mapping):
            owner = value.get("class_name", owner) if isinstance(value.get("class_name"), str) else owner
            for key, item in value.items():
                cap = DECLARED_SIZE_CAPS.get(key)
                if cap is not None and _number(item) and item > cap:
                    where = f" of {owner}" if owner else ""
                    raise ValueError(
                        f"{source} declares `{key}={item}`{where}, over the limit of {cap} for a config "
                        "read from a file; refusing to load it."
                    )
                stack.append((item, owner))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, owner) for item in value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def stored_elements(store: Mapping[str, Mapping[str, Any]]) -> int:
    """The elements of all tensors in a store (`{path: {key: entry}}`), from their declared shapes."""
    return sum(math.prod(entry.shape) for group in store.values() for entry in group.values())


@contextlib.contextmanager
def bounded_build(budget: int, source: str) -> Iterator[None]:
    """Refuses, before allocating, any tensor that would take the elements built inside over `budget`.

    Once over, every later factory call inside fails too (code that catches the first error
    cannot build on), and leaving the block raises again.
    """
    mode = _Budget(budget, source)
    try:
        with mode:
            yield
    except Exception as error:
        if mode.refusal is not None and mode.refusal not in str(error):
            raise ValueError(mode.refusal) from error  # whatever the builder made of it
        raise
    if mode.refusal is not None:
        raise ValueError(mode.refusal)


def budget_for_store(store: Mapping[str, Mapping[str, Any]]) -> int:
    """The budget of a model file: `STORED_FACTOR` x its stored elements + `UNSTORED_ELEMENTS`."""
    return STORED_FACTOR * stored_elements(store) + UNSTORED_ELEMENTS


def _count(size: Any) -> int | None:
    """Elements of a size given as ints, a sequence of ints or a `torch.Size`; None if symbolic."""
    try:
        if isinstance(size, (list, tuple, torch.Size)):
            dims = [operator.index(d) for d in size]
        else:
            dims = [operator.index(size)]
    except TypeError:
        return None
    return math.prod(max(d, 0) for d in dims)


def _size_args(args: tuple, kwargs: Mapping[str, Any], skip: int = 0) -> int | None:
    if "size" in kwargs:
        return _count(kwargs["size"])
    rest = args[skip:]
    if len(rest) == 1:
        return _count(rest[0])
    return _count(rest) if rest else None


def _full(args: tuple, kwargs: Mapping[str, Any], skip: int = 0) -> int | None:
    size = kwargs.get("size", args[skip] if len(args) > skip else None)
    return None if size is None else _count(size)


def _eye(args: tuple, kwargs: Mapping[str, Any]) -> int | None:
    n = kwargs.get("n", args[0] if args else None)
    m = kwargs.get("m", args[1] if len(args) > 1 and not isinstance(args[1], torch.Tensor) else n)
    return _count((n, m)) if n is not None and m is not None else None


def _randint(args: tuple, kwargs: Mapping[str, Any]) -> int | None:
    size = kwargs.get("size", next((a for a in args if isinstance(a, (list, tuple, torch.Size))), None))
    return None if size is None else _count(size)


def _normal(args: tuple, kwargs: Mapping[str, Any]) -> int | None:
    size = kwargs.get("size", args[2] if len(args) > 2 else None)
    return None if size is None else _count(size)


def _linspace(args: tuple, kwargs: Mapping[str, Any]) -> int | None:
    steps = kwargs.get("steps", args[2] if len(args) > 2 else None)
    return None if steps is None else _count(steps)


def _arange(args: tuple, kwargs: Mapping[str, Any]) -> int | None:
    """`arange(end)`, `arange(start, end)`, `arange(start, end, step)` (or as keywords)."""
    numbers = [a for a in args if _number(a)]
    start, end, step = (
        ([0] + numbers + [1])[:3] if len(numbers) == 1 else (numbers + [1])[:3] if numbers else (0, None, 1)
    )
    start, end, step = kwargs.get("start", start), kwargs.get("end", end), kwargs.get("step", step)
    if not all(_number(v) for v in (start, end, step)) or step == 0:
        return None
    return max(0, math.ceil((end - start) / step))


_FACTORIES = {
    torch.empty: _size_args,
    torch.zeros: _size_args,
    torch.ones: _size_args,
    torch.rand: _size_args,
    torch.randn: _size_args,
    torch.full: _full,
    torch.empty_strided: _full,
    torch.eye: _eye,
    torch.randint: _randint,
    torch.normal: _normal,
    torch.linspace: _linspace,
    torch.arange: _arange,
    torch.Tensor.new_empty: lambda a, k: _size_args(a, k, 1),
    torch.Tensor.new_zeros: lambda a, k: _size_args(a, k, 1),
    torch.Tensor.new_ones: lambda a, k: _size_args(a, k, 1),
    torch.Tensor.new_full: lambda a, k: _full(a, k, 1),
}


class _Budget(TorchFunctionMode):
    def __init__(self, budget: int, source: str):
        super().__init__()
        self.budget = budget
        self.source = source
        self.used = 0
        self.refusal: str | None = None

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        sizer = _FACTORIES.get(func)
        if sizer is not None and str(kwargs.get("device", "")) != "meta":
            count = sizer(args, kwargs)
            if self.refusal is not None or (count is not None and self.used + count > self.budget):
                if self.refusal is None:
                    self.refusal = (
                        f"{self.source} declares more than it holds: building it asks for a tensor of "
                        f"{count:,} elements, which would take the total past the budget of "
                        f"{self.budget:,} elements for this file; refusing to load it "
                        "(see torchkeras.saving.build_budget)."
                    )
                raise ValueError(self.refusal)
            self.used += count or 0
        return func(*args, **kwargs)
