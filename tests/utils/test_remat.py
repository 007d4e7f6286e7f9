"""`remat` / `RematScope`: recomputation in the backward pass, with unchanged values and gradients."""

import pytest
import torch
from torch.utils import checkpoint

import torchkeras as tk


def _count_recomputations(monkeypatch):
    calls = []
    original = checkpoint.checkpoint

    def counting(fn, *args, **kwargs):
        calls.append(fn)
        return original(fn, *args, **kwargs)

    monkeypatch.setattr(checkpoint, "checkpoint", counting)
    return calls


def test_remat_gives_the_same_values_and_gradients(monkeypatch):
    calls = _count_recomputations(monkeypatch)
    generator = torch.Generator().manual_seed(1)
    w = torch.randn(4, 4, generator=generator, requires_grad=True)
    x = torch.randn(3, 4, generator=generator)

    def block(t):
        return torch.tanh(t @ w) @ w

    plain = block(x).square().sum()
    (plain_grad,) = torch.autograd.grad(plain, w)
    remade = tk.remat(block)(x).square().sum()
    (remade_grad,) = torch.autograd.grad(remade, w)
    torch.testing.assert_close(remade, plain)
    torch.testing.assert_close(remade_grad, plain_grad)
    assert len(calls) == 1


def _make_model(scope_kwargs):
    torch.manual_seed(0)
    with tk.RematScope(**scope_kwargs):
        first = tk.layers.Dense(64, activation="gelu", name="first")
        second = tk.layers.Dense(2, name="second")
    first.build((None, 8))
    second.build((None, 64))
    return first, second


@pytest.mark.parametrize(
    ("scope_kwargs", "expected"),
    [
        ({"mode": "full"}, 2),
        ({"mode": "list_of_layers", "layer_names": ["second"]}, 1),
        ({"mode": "larger_than", "output_size_threshold": 100}, 1),  # (4, 64) outputs only
        ({"mode": "activations"}, 2),  # both activations (Keras wraps "linear" too)
        ({"mode": None}, 0),
    ],
)
def test_scope_modes_choose_layers_as_keras_and_keep_results(monkeypatch, scope_kwargs, expected):
    x = torch.randn(4, 8, generator=torch.Generator().manual_seed(2))
    reference_first, reference_second = _make_model({"mode": None})
    reference = reference_second(reference_first(x)).square().sum()
    reference.backward()
    calls = _count_recomputations(monkeypatch)
    first, second = _make_model(scope_kwargs)
    first.set_weights(reference_first.get_weights())
    second.set_weights(reference_second.get_weights())
    loss = second(first(x)).square().sum()
    loss.backward()
    assert len(calls) == expected
    torch.testing.assert_close(loss, reference)
    torch.testing.assert_close(first.kernel.grad, reference_first.kernel.grad)


def test_layers_made_outside_the_scope_are_not_rematerialized(monkeypatch):
    calls = _count_recomputations(monkeypatch)
    layer = tk.layers.Dense(3)
    with tk.RematScope(mode="full"):
        layer(torch.ones(2, 3)).sum().backward()
    assert calls == []


def test_no_recomputation_without_gradients(monkeypatch):
    calls = _count_recomputations(monkeypatch)
    with tk.RematScope():
        layer = tk.layers.Dense(3)
    with torch.no_grad():
        layer(torch.ones(2, 3))
    assert calls == []


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="mode"):
        tk.RematScope(mode="some")
    with pytest.raises(ValueError, match="output_size_threshold"):
        tk.RematScope(mode="larger_than", output_size_threshold=-1)
    with pytest.raises(ValueError, match="callable"):
        tk.remat(3)


def test_keras_has_the_same_modes(keras):
    for mode in ("full", "activations", "larger_than", "list_of_layers", None):
        keras.RematScope(mode=mode)
        tk.RematScope(mode=mode)
