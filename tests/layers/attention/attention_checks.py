"""`check_attention`: the checks of `tests/layer_checks.py`, for layers called as
`layer(query, value, key=None, **kwargs)` (MultiHeadAttention, GroupedQueryAttention)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import torchkeras as tk
from torchkeras.utils.nest import flatten

ATOL = 1e-5
RTOL = 1e-5


def _numpy(value: Any) -> np.ndarray:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def check_attention(
    make_layer: Callable[[], Any],
    arrays: list[np.ndarray],
    keras_make_layer: Callable[[], Any] | None = None,
    call_kwargs: dict | None = None,
) -> list[np.ndarray]:
    """Checks one configuration on `arrays = [query, value(, key)]`; returns our outputs.

    - eager output shapes equal those of the symbolic call, and a functional model built from
      it gives the eager outputs (array-valued `call_kwargs` become model inputs too);
    - `from_config(get_config())` rebuilds the same config and, after `set_weights`, outputs;
    - with `keras_make_layer`: Keras's layer with the same weights gives the same outputs.
    """
    call_kwargs = call_kwargs or {}
    arrays_kw = {k: v for k, v in call_kwargs.items() if isinstance(v, np.ndarray)}
    plain_kw = {k: v for k, v in call_kwargs.items() if k not in arrays_kw}
    tensors = [torch.as_tensor(a) for a in arrays]
    tensor_kw = {**plain_kw, **{k: torch.as_tensor(v) for k, v in arrays_kw.items()}}

    layer = make_layer()
    outputs = [_numpy(o) for o in flatten(layer(*tensors, **tensor_kw))]

    inputs = [tk.Input(batch_shape=(None, *a.shape[1:]), dtype=str(a.dtype)) for a in arrays]
    input_kw = {
        k: tk.Input(batch_shape=(None, *v.shape[1:]), dtype=str(v.dtype)) for k, v in arrays_kw.items()
    }
    symbolic = layer(*inputs, **plain_kw, **input_kw)
    for spec, eager in zip(flatten(symbolic), outputs):
        assert len(spec.shape) == eager.ndim and all(s in (None, e) for s, e in zip(spec.shape, eager.shape))
    model = tk.Model([*inputs, *input_kw.values()], symbolic)
    for got, expected in zip(flatten(model([*tensors, *(tensor_kw[k] for k in input_kw)])), outputs):
        np.testing.assert_allclose(_numpy(got), expected, rtol=RTOL, atol=ATOL)

    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    clone(*tensors, **tensor_kw)
    clone.set_weights(layer.get_weights())
    for got, expected in zip(flatten(clone(*tensors, **tensor_kw)), outputs):
        np.testing.assert_allclose(_numpy(got), expected, rtol=RTOL, atol=ATOL)

    if keras_make_layer is not None:
        theirs = keras_make_layer()
        theirs(*tensors, **tensor_kw)
        assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
        layer.set_weights([np.asarray(w) for w in theirs.get_weights()])
        ours = flatten(layer(*tensors, **tensor_kw))
        expected = flatten(theirs(*tensors, **tensor_kw))
        assert len(ours) == len(expected)
        for got, want in zip(ours, expected):
            np.testing.assert_allclose(_numpy(got), _numpy(want), rtol=RTOL, atol=ATOL)
        outputs = [_numpy(o) for o in ours]
    return outputs
