"""The allowlist of pure tensor functions a saved functional graph may name.

A torch function applied to symbolic tensors (`x * 2`, `x[:, 0]`, `torch.cat`, `keras.ops.*`) is
saved by a qualified name (`"torch.Tensor.__mul__"`, `"torch.cat"`) and, on load, looked up in the
explicit table below and nowhere else: a file naming `os.system`, `torch.load` or `builtins.eval`
cannot resolve. `keras.ops` functions that are one graph node each (made by `@symbolic_op`) are
saved by their public path (`"torchkeras.ops.image.extract_patches"`), all but control flow, whose
nodes call arbitrary Python functions. Keras's own graph operations (`Add`, `GetItem`,
`Concatenate`, ...) are read through `KERAS_OPERATIONS`, and the common arithmetic ones are
written in Keras's form so that Keras can load the file too.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from torchkeras import ops

__all__ = ["KERAS_OPERATIONS", "function_name", "keras_operation", "resolve_function"]

_OPERATORS = (
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
    "lt", "le", "gt", "ge", "eq", "ne", "getitem", "neg", "pos", "abs", "invert",
)  # fmt: skip
_TENSOR_METHODS = (
    *(f"__{name}__" for name in _OPERATORS),
    *(f"__r{name}__" for name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
                                  "and", "or", "xor")),
    "abs", "all", "amax", "amin", "any", "argmax", "argmin", "bool", "bmm", "ceil", "chunk", "clamp",
    "clip", "contiguous", "cos", "cumsum", "diagonal", "div", "double", "exp", "expand", "expand_as",
    "flatten", "flip", "float", "floor", "gather", "half", "index_select", "int", "isnan", "log",
    "log_softmax", "logsumexp", "long", "masked_fill", "matmul", "max", "mean", "min", "mm", "mul",
    "narrow", "neg", "norm", "permute", "pow", "prod", "reciprocal", "relu", "repeat", "reshape",
    "roll", "round", "rsqrt", "select", "sigmoid", "sign", "sin", "softmax", "split", "sqrt", "square",
    "squeeze", "std", "sub", "sum", "t", "tanh", "to", "transpose", "tril", "triu", "type_as",
    "unbind", "unflatten", "unsqueeze", "var", "view", "view_as", "where",
)  # fmt: skip
_TORCH_FUNCTIONS = (
    "abs", "add", "all", "amax", "amin", "any", "argmax", "argmin", "bmm", "broadcast_to", "cat",
    "ceil", "chunk", "clamp", "clip", "concat", "concatenate", "cos", "cumsum", "diagonal", "div",
    "divide", "einsum", "eq", "erf", "exp", "flatten", "flip", "floor", "full_like", "gather", "ge",
    "gt", "index_select", "isnan", "le", "log", "log_softmax", "logical_and", "logical_not",
    "logical_or", "logsumexp", "lt", "masked_fill", "matmul", "max", "maximum", "mean", "min",
    "minimum", "mm", "movedim", "mul", "multiply", "nan_to_num", "narrow", "ne", "neg", "norm",
    "ones_like", "outer", "permute", "pow", "prod", "reciprocal", "relu", "repeat_interleave",
    "reshape", "roll", "round", "rsqrt", "select", "sigmoid", "sign", "sin", "softmax", "split",
    "sqrt", "square", "squeeze", "stack", "std", "sub", "subtract", "sum", "swapaxes", "tanh", "tile",
    "transpose", "tril", "triu", "true_divide", "unbind", "unflatten", "unsqueeze", "var", "where",
    "zeros_like",
)  # fmt: skip
_FUNCTIONAL = (
    "avg_pool1d", "avg_pool2d", "avg_pool3d", "celu", "elu", "gelu", "glu", "hardsigmoid", "hardswish",
    "hardtanh", "interpolate", "layer_norm", "leaky_relu", "log_softmax", "logsigmoid", "max_pool1d",
    "max_pool2d", "max_pool3d", "mish", "normalize", "one_hot", "pad", "relu", "relu6", "selu",
    "sigmoid", "silu", "softmax", "softmin", "softplus", "softshrink", "softsign", "tanh",
    "tanhshrink",
)  # fmt: skip


# Public `torchkeras.ops` namespaces, in the order that picks each op's saved path.
_OPS_NAMESPACES = ("numpy", "nn", "linalg", "image", "")
# Ops that call user functions: their graph nodes cannot be saved.
_CONTROL_FLOW = frozenset(
    {"associative_scan", "fori_loop", "map", "scan", "switch", "vectorized_map", "while_loop"}
)


def _ops_entries() -> dict[str, Callable[..., Any]]:
    from torchkeras.ops._symbolic import is_symbolic_op

    entries: dict[str, Callable[..., Any]] = {}
    for namespace in _OPS_NAMESPACES:
        module = getattr(ops, namespace) if namespace else ops
        prefix = f"torchkeras.ops.{namespace}." if namespace else "torchkeras.ops."
        for name in module.__all__:
            function = getattr(module, name)
            if is_symbolic_op(function) and name not in _CONTROL_FLOW:
                entries[prefix + name] = function
    return entries


def _build_allowlist() -> dict[str, Callable[..., Any]]:
    table: dict[str, Callable[..., Any]] = {}
    for name in _OPERATORS:
        table[f"operator.{name}"] = getattr(operator, f"{name}_" if name in ("and", "or") else name)
    for name in _TENSOR_METHODS:
        table[f"torch.Tensor.{name}"] = getattr(torch.Tensor, name)
    for name in _TORCH_FUNCTIONS:
        table[f"torch.{name}"] = getattr(torch, name)
    for name in _FUNCTIONAL:
        table[f"torch.nn.functional.{name}"] = getattr(F, name)
    table.update(_ops_entries())
    return table


ALLOWED_FUNCTIONS: dict[str, Callable[..., Any]] = _build_allowlist()
_NAMES: dict[int, str] = {}
for _name, _function in ALLOWED_FUNCTIONS.items():
    _NAMES.setdefault(id(_function), _name)


def function_name(function: Callable[..., Any]) -> str | None:
    """The allowlisted name of `function`, or `None` when it may not be saved."""
    return _NAMES.get(id(function))


def resolve_function(name: Any, source: str = "config") -> Callable[..., Any]:
    """The allowlisted function called `name`; `ValueError` for anything else."""
    function = ALLOWED_FUNCTIONS.get(name) if isinstance(name, str) else None
    if function is None:
        raise ValueError(
            f"{source}: function {name!r} is not an allowed tensor operation. Saved graphs may only name "
            "pure tensor functions from torchkeras's allowlist (operators, torch.cat, torch.sum, ...); "
            "nothing else is ever imported or called."
        )
    return function


def _getitem(x: Any, key: Any) -> Any:
    return x[tuple(key) if isinstance(key, list) else key]


# Keras operation class -> function rebuilding it on symbolic tensors (called with the node's
# arguments plus the operation's config, minus its name). Operators keep a round trip stable:
# `x * 2` is saved as Keras's `Multiply` and comes back as `x * 2`.
KERAS_OPERATIONS: dict[str, Callable[..., Any]] = {
    "Add": operator.add, "Subtract": operator.sub, "Multiply": operator.mul, "Divide": operator.truediv,
    "TrueDivide": operator.truediv, "Power": operator.pow, "Matmul": operator.matmul,
    "Negative": operator.neg,
    "Absolute": ops.absolute, "Abs": ops.abs, "Maximum": ops.maximum, "Minimum": ops.minimum,
    "Exp": ops.exp, "Log": ops.log, "Sqrt": ops.sqrt, "Square": ops.square, "Tanh": ops.tanh,
    "Sigmoid": ops.sigmoid, "Relu": ops.relu, "Softmax": ops.softmax, "GetItem": _getitem,
    "Concatenate": ops.concatenate, "Stack": ops.stack, "Reshape": ops.reshape,
    "Transpose": ops.transpose, "ExpandDims": ops.expand_dims, "Squeeze": ops.squeeze, "Sum": ops.sum,
    "Mean": ops.mean, "Max": ops.max, "Min": ops.min, "Cast": ops.cast,
}  # fmt: skip

_BINARY = {
    "add": "Add",
    "sub": "Subtract",
    "mul": "Multiply",
    "truediv": "Divide",
    "matmul": "Matmul",
    "pow": "Power",
}


def keras_operation(function: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[str, str, tuple] | None:
    """`(module, class_name, args)` of the Keras operation equal to `function(*args, **kwargs)`, for
    the arithmetic and indexing Keras can load; `None` when there is none."""
    name = function_name(function)
    if name is None or kwargs:
        return None
    short = name.rsplit(".", 1)[-1].strip("_")
    if len(args) == 2 and short in _BINARY and not name.startswith("torch.Tensor.__r"):
        return "keras.src.ops.numpy", _BINARY[short], args
    if (
        len(args) == 2
        and short.startswith("r")
        and short[1:] in _BINARY
        and name.startswith("torch.Tensor.__r")
    ):
        return "keras.src.ops.numpy", _BINARY[short[1:]], (args[1], args[0])
    if len(args) == 1 and short == "neg":
        return "keras.src.ops.numpy", "Negative", args
    if len(args) == 2 and short == "getitem":
        key = list(args[1]) if isinstance(args[1], tuple) else args[1]
        return "keras.src.ops.numpy", "GetItem", (args[0], key)
    return None
