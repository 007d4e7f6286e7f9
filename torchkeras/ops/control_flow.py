"""Control flow and gradient control (`keras.ops`): conditionals, loops, scans, maps, vectorization,
custom gradients.

These run eagerly, as Python loops over torch ops (so gradients flow through every step and
`torch.compile` can unroll or trace them). Structures of tensors (tuples, lists, dicts) are
accepted wherever Keras takes a "pytree". On `KerasTensor`s in a functional model they become one
graph node each (the functions they call run on fake tensors for shape inference); such a model
runs but cannot be saved, as its node calls arbitrary Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import torch

from torchkeras.ops._convert import tensor
from torchkeras.ops._symbolic import symbolic_op
from torchkeras.utils.nest import flatten, map_structure, pack_like

__all__ = [
    "associative_scan",
    "cond",
    "custom_gradient",
    "fori_loop",
    "map",
    "scan",
    "stop_gradient",
    "switch",
    "vectorize",
    "vectorized_map",
    "while_loop",
]


def _check_callable(value: Any, argument: str) -> None:
    if not callable(value):
        raise TypeError(f"`{argument}` must be callable. Received: {argument}={value!r}")


def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """Returns `true_fn()` if `pred` else `false_fn()` (a tensor `pred` is read on the host)."""
    return true_fn() if pred else false_fn()


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """Calls `branches[index](*operands)`; `index` is clamped to `[0, len(branches) - 1]`."""
    if not branches:
        raise ValueError("`branches` must hold at least one function. Received: branches=[]")
    for branch in branches:
        _check_callable(branch, "branches")
    chosen = min(max(int(index), 0), len(branches) - 1)
    return branches[chosen](*operands)


def fori_loop(lower: int, upper: int, body_fun: Callable[[int, Any], Any], init_val: Any) -> Any:
    """Runs `val = body_fun(i, val)` for `i` in `range(lower, upper)`, returns the final `val`."""
    value = init_val
    for i in range(int(lower), int(upper)):
        value = body_fun(i, value)
    return value


def while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    maximum_iterations: int | None = None,
) -> Any:
    """Runs `loop_vars = body(*loop_vars)` while `cond(*loop_vars)` (and fewer than
    `maximum_iterations` steps); returns the final `loop_vars` in the structure given.

    Args:
        cond: returns a bool (or a one-element tensor) from the loop variables.
        body: returns new loop variables of the same structure.
        loop_vars: a tensor, or a tuple/list of them.
        maximum_iterations: an optional cap on the number of steps.
    """
    _check_callable(cond, "cond")
    _check_callable(body, "body")
    packed = isinstance(loop_vars, (tuple, list))
    values = tuple(loop_vars) if packed else (loop_vars,)
    steps = 0
    while (maximum_iterations is None or steps < maximum_iterations) and bool(cond(*values)):
        values = body(*values)
        values = tuple(values) if isinstance(values, (tuple, list)) else (values,)
        steps += 1
    if not packed:
        return values[0]
    return type(loop_vars)(values) if isinstance(loop_vars, list) else values


def _stack(items: list, structure: Any) -> Any:
    """Stacks a list of like structures leaf by leaf."""
    if not items:
        return structure
    leaves = [flatten(item) for item in items]
    return pack_like(
        items[0], [torch.stack([tensor(leaf[i]) for leaf in leaves]) for i in range(len(leaves[0]))]
    )


def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """Loops `carry, y = f(carry, x)` over the leading axis of `xs`, as `jax.lax.scan`.

    Args:
        f: `(carry, x) -> (carry, y)`; `carry` keeps its structure.
        init: the first carry.
        xs: a tensor or structure of tensors scanned along axis 0; None with `length`.
        length: the number of steps when `xs` is None (then `x` is None).
        reverse: scan from the end (the stacked `ys` stay in input order).
        unroll: accepted for Keras compatibility (a positive int or bool).

    Returns:
        `(final_carry, ys)` with the `y`s stacked along a new axis 0.
    """
    _check_callable(f, "f")
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"`unroll` must be a positive integer or a bool. Received: unroll={unroll!r}")
    if xs is None and length is None:
        raise ValueError("`scan` needs `xs` to scan over or a `length`. Received: xs=None, length=None")
    leaves = [] if xs is None else [tensor(leaf) for leaf in flatten(xs)]
    steps = leaves[0].shape[0] if leaves else int(length)
    if length is not None and leaves and int(length) != steps:
        raise ValueError(f"`length` ({length}) must equal the leading size of `xs` ({steps}).")
    carry, ys = init, []
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for i in order:
        x = None if xs is None else pack_like(xs, [leaf[i] for leaf in leaves])
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys:
        return carry, None
    return carry, _stack(ys, ys[0])


def map(f: Callable[[Any], Any], xs: Any) -> Any:
    """Applies `f` to each slice of `xs` along axis 0 and stacks the results (a loop; see
    `vectorized_map` for a batched version)."""
    _check_callable(f, "f")
    _, ys = scan(lambda carry, x: (carry, f(x)), (), xs)
    return ys


def associative_scan(f: Callable[[Any, Any], Any], elems: Any, reverse: bool = False, axis: int = 0) -> Any:
    """Inclusive prefix scan with the associative `f` along `axis`, as `jax.lax.associative_scan`:
    output `i` is `f(...f(f(e0, e1), e2)..., ei)`.

    `f` must work element-wise on whole slices (it is called on stacked prefixes, log2(n) times).

    Args:
        f: `(a, b) -> c`, associative, on structures like `elems`.
        elems: a tensor or structure of tensors with the same size along `axis`.
        reverse: scan from the end.
        axis: the scanned axis.
    """
    _check_callable(f, "f")
    leaves = [tensor(leaf) for leaf in flatten(elems)]
    if not leaves:
        raise ValueError("`elems` must hold at least one tensor.")
    sizes = {leaf.shape[axis] for leaf in leaves}
    if len(sizes) != 1:
        raise ValueError(
            f"Every tensor in `elems` must have the same size along axis {axis}. Received: {sizes}"
        )
    leaves = [torch.movedim(leaf, axis, 0) for leaf in leaves]
    if reverse:
        leaves = [torch.flip(leaf, [0]) for leaf in leaves]
    size = sizes.pop()
    step = 1
    while step < size:  # Hillis-Steele: each pass combines element i with element i - step
        earlier = pack_like(elems, [leaf[:-step] for leaf in leaves])
        later = pack_like(elems, [leaf[step:] for leaf in leaves])
        combined = [tensor(c) for c in flatten(f(earlier, later))]
        leaves = [torch.cat([leaf[:step], new]) for leaf, new in zip(leaves, combined)]
        step *= 2
    if reverse:
        leaves = [torch.flip(leaf, [0]) for leaf in leaves]
    return pack_like(elems, [torch.movedim(leaf, 0, axis) for leaf in leaves])


def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """`function` applied to each slice of `elements` along axis 0, batched with `torch.vmap`
    (`function` sees one unbatched slice and must be vmap-friendly: no `.item()`, no data-dependent
    Python control flow)."""
    _check_callable(function, "function")
    return torch.vmap(function)(map_structure(tensor, elements))


_CORE = re.compile(r"\(([\w, ]*)\)")


def _core_dims(part: str) -> list[tuple[str, ...]]:
    return [tuple(name.strip() for name in group.split(",") if name.strip()) for group in _CORE.findall(part)]


def vectorize(
    pyfunc: Callable[..., Any], *, excluded: set | None = None, signature: str | None = None
) -> Callable[..., Any]:
    """Turns `pyfunc` into a function broadcast over leading axes, as `np.vectorize` (batched with
    `torch.vmap`).

    Args:
        pyfunc: works on the core of each argument (scalars, or the core axes of `signature`).
        excluded: positional indices or keyword names passed through unvectorized.
        signature: a generalized-ufunc signature such as `"(n),(n)->()"`.
    """
    _check_callable(pyfunc, "pyfunc")
    excluded = set(excluded or ())
    inputs = None
    if signature is not None:
        if "->" not in signature:
            raise ValueError(f"`signature` must look like '(n),(n)->()'. Received: signature={signature!r}")
        inputs = _core_dims(signature.replace(" ", "").split("->")[0])

    def vectorized(*args: Any, **kwargs: Any) -> Any:
        fixed = {i: a for i, a in enumerate(args) if i in excluded}
        mapped = [tensor(a) for i, a in enumerate(args) if i not in excluded]
        static = {k: v for k, v in kwargs.items() if k in excluded}
        mapped_kwargs = {k: tensor(v) for k, v in kwargs.items() if k not in excluded}
        names = list(mapped_kwargs)
        values = [*mapped, *mapped_kwargs.values()]
        cores = [len(c) for c in inputs] if inputs is not None else [0] * len(values)
        if len(cores) != len(values):
            raise ValueError(f"`signature` {signature!r} names {len(cores)} inputs; received {len(values)}.")
        loops = [tuple(v.shape[: v.ndim - core]) for v, core in zip(values, cores)]
        batch = torch.broadcast_shapes(*loops) if loops else ()
        flat = [
            torch.broadcast_to(v, (*batch, *v.shape[v.ndim - core :])).reshape(-1, *v.shape[v.ndim - core :])
            for v, core in zip(values, cores)
        ]

        def call(*row: Any) -> Any:
            positional, keywords = list(row[: len(mapped)]), dict(zip(names, row[len(mapped) :]))
            full = [fixed[i] if i in fixed else positional.pop(0) for i in range(len(args))]
            return pyfunc(*full, **keywords, **static)

        result = torch.vmap(call)(*flat)
        return map_structure(lambda out: torch.reshape(out, (*batch, *out.shape[1:])), result)

    return vectorized


def stop_gradient(variable: Any) -> torch.Tensor:
    """Returns `variable` detached from the autograd graph (same values, no gradient)."""
    return tensor(variable).detach()


class _CustomGradient(torch.autograd.Function):
    """Runs `forward(*args) -> (output, grad_fn)`; the backward pass is `grad_fn(*args, upstream=g)`."""

    @staticmethod
    def forward(ctx: Any, forward: Callable[..., Any], *args: Any) -> Any:
        with torch.enable_grad():
            output, ctx.grad_fn = forward(*args)
        ctx.save_for_backward(*[a for a in args if isinstance(a, torch.Tensor)])
        ctx.args = args
        return output.detach() if isinstance(output, torch.Tensor) else output

    @staticmethod
    def backward(ctx: Any, upstream: Any) -> Any:
        grads = ctx.grad_fn(*ctx.args, upstream=upstream)
        grads = grads if isinstance(grads, (tuple, list)) else (grads,)
        return (None, *grads)


def custom_gradient(f: Callable[..., tuple[Any, Callable[..., Any]]]) -> Callable[..., Any]:
    """Decorates `f(*args) -> (output, grad_fn)` so that backpropagation uses `grad_fn`.

    `grad_fn` receives the upstream gradient as the keyword `upstream` (Keras's torch convention;
    write it as `def grad(*args, upstream=None)`) and returns one gradient per argument.

    Example:
    ```python
    @ops.custom_gradient
    def log1pexp(x):
        e = ops.exp(x)

        def grad(*args, upstream=None):
            return upstream * (1.0 - 1.0 / (1 + e))

        return ops.log(1 + e), grad
    ```
    """
    _check_callable(f, "f")

    def wrapped(*args: Any) -> Any:
        return _CustomGradient.apply(f, *args)

    wrapped.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapped.__doc__ = f.__doc__
    return wrapped


# Control flow on KerasTensors: each call becomes one graph node (not saveable: it calls Python).
switch = symbolic_op(switch)
while_loop = symbolic_op(while_loop)
scan = symbolic_op(scan)
map = symbolic_op(map)
associative_scan = symbolic_op(associative_scan)
vectorized_map = symbolic_op(vectorized_map)
stop_gradient = symbolic_op(stop_gradient)
fori_loop = symbolic_op(fori_loop)
