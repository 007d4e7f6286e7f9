"""What every layer must satisfy, checked in one place so each layer test stays short."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from torchkeras.layers.input_layer import Input
from torchkeras.utils.nest import flatten, map_structure


def _to_numpy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def check_layer(
    make_layer: Callable[[], Any],
    inputs: Any,
    keras_make_layer: Callable[[], Any] | None = None,
    call_kwargs: dict | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-5,
) -> Any:
    """Checks one layer configuration and returns its output (a NumPy array or structure).

    - eager output shape equals the symbolic output shape (batch dimension left unknown);
    - `from_config(get_config())` rebuilds a layer with the same config and, after
      `set_weights`, the same output;
    - with `keras_make_layer`: Keras's layer with the same weights gives the same output.
    `inputs` is a NumPy array or a list of them (multi-input layers).
    """
    call_kwargs = call_kwargs or {}
    torch_inputs = map_structure(lambda a: torch.as_tensor(np.asarray(a)), inputs)
    layer = make_layer()
    output = layer(torch_inputs, **call_kwargs)

    symbolic_inputs = map_structure(
        lambda a: Input(batch_shape=(None, *np.asarray(a).shape[1:]), dtype=str(np.asarray(a).dtype)), inputs
    )
    symbolic = make_layer()
    symbolic_output = symbolic(symbolic_inputs, **call_kwargs)
    for eager, spec in zip(flatten(output), flatten(symbolic_output)):
        if isinstance(eager, torch.Tensor):
            expected = tuple(eager.shape)
            assert len(spec.shape) == len(expected), (spec.shape, expected)
            assert all(s is None or s == e for s, e in zip(spec.shape[1:], expected[1:])), (
                spec.shape,
                expected,
            )

    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    clone(torch_inputs, **call_kwargs)
    clone.set_weights(layer.get_weights())
    for a, b in zip(flatten(output), flatten(clone(torch_inputs, **call_kwargs))):
        np.testing.assert_allclose(_to_numpy(a), _to_numpy(b), rtol=rtol, atol=atol)

    if keras_make_layer is not None:
        keras_layer = keras_make_layer()
        keras_inputs = map_structure(lambda a: np.asarray(a), inputs)
        keras_layer(keras_inputs, **call_kwargs)  # build
        assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in keras_layer.get_weights()]
        layer.set_weights(keras_layer.get_weights())
        ours = layer(torch_inputs, **call_kwargs)
        theirs = keras_layer(keras_inputs, **call_kwargs)
        for a, b in zip(flatten(ours), flatten(theirs)):
            np.testing.assert_allclose(_to_numpy(a), _to_numpy(b), rtol=rtol, atol=atol)
    return map_structure(_to_numpy, output)
