"""`StatelessScope`: mapped values are read, assignments are collected, nothing is applied."""

import numpy as np
import pytest
import torch

import torchkeras as tk


def _dense(seed=0):
    torch.manual_seed(seed)
    layer = tk.layers.Dense(3)
    layer.build((None, 4))
    return layer


def test_layer_computes_with_the_mapped_values_and_gradients_reach_them():
    layer = _dense()
    before = [w.detach().clone() for w in layer.weights]
    kernel = torch.randn(4, 3, requires_grad=True)
    bias = torch.randn(3)
    x = torch.randn(2, 4)
    with tk.StatelessScope(state_mapping=[(layer.kernel, kernel), (layer.bias, bias)]) as scope:
        y = layer(x)
        assert torch.equal(scope.get_current_value(layer.kernel), kernel)
    torch.testing.assert_close(y, x @ kernel + bias)
    y.sum().backward()
    torch.testing.assert_close(kernel.grad, x.sum(0, keepdim=True).T.expand(4, 3))
    for weight, old in zip(layer.weights, before):
        assert torch.equal(weight.detach(), old)


def test_assignments_are_collected_not_applied():
    v = tk.Variable(initializer=np.array([1.0, 2.0], "float32"), name="v")
    with tk.StatelessScope() as scope:
        v.assign([5.0, 6.0])
        v.assign_add([1.0, 1.0])
        read = v.value * 1.0  # reads see the scope's value
    np.testing.assert_allclose(scope.get_current_value(v).numpy(), [6.0, 7.0])
    np.testing.assert_allclose(read.numpy(), [6.0, 7.0])
    np.testing.assert_allclose(v.numpy(), [1.0, 2.0])


def test_matches_keras_on_mapped_weights_and_a_counter(keras):
    def make(lib):
        class Counting(lib.layers.Layer):
            def build(self, input_shape):
                self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer="zeros", name="kernel")
                self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, name="calls")

            def call(self, x):
                self.calls.assign_add(1.0)
                return x @ self.kernel

        layer = Counting()
        layer.build((None, 3))
        return layer

    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 2)).astype("float32")
    x = rng.normal(size=(4, 3)).astype("float32")
    results = []
    for lib, layer in ((tk, make(tk)), (keras, make(keras))):
        mapping = [(layer.kernel, kernel), (layer.calls, np.float32(5.0))]
        with lib.StatelessScope(state_mapping=mapping) as scope:
            y = layer(x)
        calls = scope.get_current_value(layer.calls)
        results.append(
            (keras.ops.convert_to_numpy(y), float(keras.ops.convert_to_numpy(calls)), layer.get_weights())
        )
    (ours_y, ours_calls, ours_w), (theirs_y, theirs_calls, theirs_w) = results
    np.testing.assert_allclose(ours_y, theirs_y, rtol=1e-5, atol=1e-6)
    assert ours_calls == theirs_calls == 6.0
    for a, b in zip(ours_w, theirs_w):  # both untouched: zeros
        np.testing.assert_array_equal(a, b)


def test_losses_are_collected_only_when_asked():
    class WithLoss(tk.layers.Layer):
        def call(self, x):
            self.add_loss(x.sum())
            return x

    layer = WithLoss()
    with tk.StatelessScope(collect_losses=True) as scope:
        layer(torch.ones(2, 2))
    assert len(scope.losses) == 1 and float(scope.losses[0]) == 4.0
    assert layer.losses == []
    with tk.StatelessScope() as scope:
        layer(torch.ones(2, 2))
    assert scope.losses == [] and layer.losses == []


def test_bad_mappings_raise():
    layer = _dense()
    with pytest.raises(ValueError, match="must be a Variable"):
        tk.StatelessScope(state_mapping=[(torch.ones(2), torch.ones(2))])
    with pytest.raises(ValueError, match=r"must have shape \(4, 3\)"):
        tk.StatelessScope(state_mapping=[(layer.kernel, torch.ones(3, 4))])


def test_permuted_conv_kernels_are_mapped_in_keras_layout():
    conv = tk.layers.Conv2D(2, 3)
    conv.build((None, 5, 5, 1))
    x = torch.randn(1, 5, 5, 1)
    kernel = torch.zeros(3, 3, 1, 2)
    kernel[1, 1, 0, :] = 1.0  # a centre tap: output = input (cropped)
    with tk.StatelessScope(state_mapping=[(conv.kernel, kernel), (conv.bias, torch.zeros(2))]):
        y = conv(x)
    torch.testing.assert_close(y, x[:, 1:-1, 1:-1, :].expand(1, 3, 3, 2))
