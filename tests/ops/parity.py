"""Table-driven parity with `keras.ops`: one row per call, checked on tensors and on KerasTensors.

A row runs `keras.ops.<namespace>.<name>(*args, **kwargs)` and ours on the same torch tensors and
compares structure, shape, dtype and values (tolerance scaled to the values' magnitude). Then it
runs ours again with every tensor argument replaced by a `KerasTensor` of the same shape and dtype,
and checks the inferred shapes and dtypes against the eager result.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

from torchkeras.layers.keras_tensor import KerasTensor


def case(name, *args, rtol=1e-5, dtype=True, symbolic=True, namespace="", **kwargs):
    """One table row; `dtype=False` skips the dtype check, `symbolic=False` the KerasTensor run."""
    label = "-".join([name, *(f"{k}={v}" for k, v in kwargs.items())])[:80]
    options = {"rtol": rtol, "dtype": dtype, "symbolic": symbolic, "namespace": namespace}
    return pytest.param(name, args, kwargs, options, id=label)


def to_numpy(value):
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        return (value.float() if value.dtype == torch.bfloat16 else value).numpy()
    return np.asarray(value)


def assert_close(result, expected, rtol=1e-5, check_dtype=True):
    """Same structure, shape, dtype (optionally) and values, within a tolerance scaled to the data."""
    if isinstance(expected, (tuple, list)):
        assert isinstance(result, (tuple, list)), type(result)
        assert len(result) == len(expected)
        for got, want in zip(result, expected):
            assert_close(got, want, rtol, check_dtype)
        return
    if isinstance(expected, torch.Tensor) and check_dtype:
        assert isinstance(result, torch.Tensor), type(result)
        assert result.dtype == expected.dtype, (result.dtype, expected.dtype)
    got, want = to_numpy(result), to_numpy(expected)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind in "biu" and got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
        return
    if want.dtype == np.float16 or got.dtype == np.float16:
        rtol = max(rtol, 2e-3)
    finite = np.isfinite(want) if want.dtype.kind in "fc" else np.ones(want.shape, bool)
    scale = float(np.max(np.abs(want[finite]))) if finite.any() else 1.0
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * max(scale, 1.0))


def _symbolic(value):
    if isinstance(value, torch.Tensor):
        return KerasTensor(tuple(value.shape), dtype=value.dtype)
    if isinstance(value, (list, tuple)):
        return type(value)(_symbolic(item) for item in value)
    return value


def assert_symbolic_matches(ours, args, kwargs, eager):
    """The op on KerasTensors infers the eager result's shapes and dtypes."""
    spec = ours(*[_symbolic(a) for a in args], **{k: _symbolic(v) for k, v in kwargs.items()})
    flat_spec = spec if isinstance(spec, (tuple, list)) else [spec]
    flat_eager = eager if isinstance(eager, (tuple, list)) else [eager]
    assert len(flat_spec) == len(flat_eager)
    for got, want in zip(flat_spec, flat_eager):
        assert isinstance(got, KerasTensor), type(got)
        assert got.shape == tuple(want.shape), (got.shape, tuple(want.shape))
        assert got.dtype == str(want.dtype).replace("torch.", ""), (got.dtype, want.dtype)


def _copies(values):
    return [
        v.clone()
        if isinstance(v, torch.Tensor)
        else type(v)(_copies(v))
        if isinstance(v, (list, tuple))
        else v
        for v in values
    ]


def run_case(keras, name, args, kwargs, options):
    namespace = options["namespace"]
    theirs = getattr(keras.ops if not namespace else getattr(keras.ops, namespace), name)
    module = importlib.import_module("torchkeras.ops" + (f".{namespace}" if namespace else ""))
    ours = getattr(module, name)
    # Keras gets copies: some of its torch kernels write into their inputs (affine_transform).
    expected = theirs(*_copies(args), **{k: _copies([v])[0] for k, v in kwargs.items()})
    result = ours(*args, **kwargs)
    assert_close(result, expected, options["rtol"], options["dtype"])
    if options["symbolic"]:
        assert_symbolic_matches(ours, args, kwargs, result)
