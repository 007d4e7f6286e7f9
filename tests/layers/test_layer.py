"""The Layer engine: building, weights, training flag, masks, losses, config, torch interop."""

import copy

import numpy as np
import pytest
import torch

import torchkeras as keras
from torchkeras.layers.variable import Variable


class Linear(keras.layers.Layer):
    """A custom layer written the Keras way."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

    def call(self, inputs):
        self.count.assign_add(1.0)
        return keras.ops.matmul(inputs, self.w) + self.b


def test_custom_layer_builds_on_first_call_and_tracks_weights():
    layer = Linear(4)
    assert not layer.built
    out = layer(np.ones((2, 5), "float32"))
    assert layer.built and tuple(out.shape) == (2, 4)
    assert [w.name for w in layer.weights] == ["w", "b", "count"]
    assert [w.name for w in layer.trainable_weights] == ["w", "b"]
    assert [w.name for w in layer.non_trainable_weights] == ["count"]
    assert isinstance(layer.w, torch.nn.Parameter) and isinstance(layer.w, Variable)
    assert "count" in dict(layer.named_buffers()) and "w" in dict(layer.named_parameters())
    assert list(layer.state_dict()) == ["w", "b", "count"]
    assert float(layer.count) == 1.0
    assert layer.count_params() == 5 * 4 + 4 + 1


def test_variable_api():
    layer = Linear(2)
    layer.build((None, 3))
    w = layer.w
    assert w.path == f"{layer.name}/w" and w.value is w and w.trainable
    w.assign(np.ones((3, 2)))
    w.assign_add(np.ones((3, 2)))
    w.assign_sub(0.5 * np.ones((3, 2)))
    np.testing.assert_allclose(w.numpy(), 1.5 * np.ones((3, 2)))
    w.trainable = False
    assert not w.requires_grad


def test_explicit_build_and_count_params_before_build():
    layer = keras.layers.Dense(3)
    with pytest.raises(ValueError, match="isn't built"):
        layer.count_params()
    layer.build((None, 4))
    assert layer.built and layer.count_params() == 15


def test_unique_auto_names():
    a, b = keras.layers.Dense(1), keras.layers.Dense(1)
    assert a.name != b.name and a.name.startswith("dense") and b.name.startswith("dense_")


def test_set_weights_checks_every_shape_before_assigning():
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    before = [w.copy() for w in layer.get_weights()]
    with pytest.raises(ValueError, match="shape"):
        layer.set_weights([np.zeros((3, 2)), np.zeros((5,))])
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)
    with pytest.raises(ValueError, match="list of 2"):
        layer.set_weights([np.zeros((3, 2))])


def test_trainable_false_freezes_sublayers():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    assert all(not p.requires_grad for p in model.parameters())
    model.trainable = True
    assert len(model.trainable_weights) == 4 and all(p.requires_grad for p in model.parameters())


class Noisy(keras.layers.Layer):
    def call(self, inputs, training=None):
        return inputs + (1.0 if training else 0.0)


class Outer(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = Noisy()

    def call(self, inputs):
        return self.inner(inputs)  # no `training` passed: it follows the enclosing call


def test_training_argument_propagation():
    x = torch.zeros(2)
    layer = Outer()
    assert float(layer(x)[0]) == 0.0  # a new layer is in inference mode
    assert float(layer(x, training=True)[0]) == 1.0
    layer.train()
    assert float(layer(x)[0]) == 1.0  # torch's module flag, as set by fit()
    assert float(layer(x, training=False)[0]) == 0.0  # the call argument wins


def test_lists_of_layers_are_tracked():
    class Stack(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.blocks = [keras.layers.Dense(2), keras.layers.Dense(2)]

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    stack = Stack()
    stack(torch.ones(1, 3))
    assert len(stack.weights) == 4 and len(list(stack.parameters())) == 4


def test_add_loss_and_regularizers_feed_losses():
    class Penalized(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(inputs.sum())
            return inputs

    layer = Penalized()
    layer(torch.ones(2, 2))
    assert len(layer.losses) == 1 and float(layer.losses[0]) == 4.0
    layer(torch.ones(1, 2))
    assert len(layer.losses) == 1 and float(layer.losses[0]) == 2.0  # only the last call's

    dense = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.1), activity_regularizer="l1")
    out = dense(torch.ones(4, 3))
    kernel_penalty = 0.1 * float((dense.kernel.detach() ** 2).sum())
    activity_penalty = 0.01 * float(out.detach().abs().sum()) / 4
    assert sorted(round(float(v), 5) for v in dense.losses) == sorted(
        [round(kernel_penalty, 5), round(activity_penalty, 5)]
    )


def test_get_config_and_from_config_round_trip():
    layer = Linear(units=7, name="lin")
    config = layer.get_config()
    assert config["units"] == 7 and config["name"] == "lin"
    clone = Linear.from_config(config)
    assert clone.units == 7 and clone.name == "lin"


def test_unknown_kwargs_and_bad_names_raise():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        keras.layers.Dense(3, foo=1)
    with pytest.raises(ValueError, match="`name`"):
        keras.layers.Dense(3, name="a/b")


def test_state_dict_round_trip_and_deepcopy():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    other.load_state_dict(model.state_dict())
    x = torch.randn(5, 3)
    torch.testing.assert_close(model(x), other(x))
    clone = copy.deepcopy(model)
    torch.testing.assert_close(clone(x), model(x))
    assert (
        isinstance(clone.layers[0].kernel, Variable)
        and clone.layers[0].kernel.path == model.layers[0].kernel.path
    )


def test_buffers_stay_variables_after_device_and_dtype_moves():
    layer = Linear(2)
    layer(torch.ones(1, 3))
    layer.to(torch.float64)
    assert isinstance(layer.count, Variable) and layer.count.dtype == torch.float64
    layer.count.assign(3.0)
    assert float(layer.count) == 3.0


def test_torch_compile_and_hooks_see_a_plain_module():
    layer = keras.layers.Dense(3, activation="relu")
    x = torch.randn(4, 5)
    eager = layer(x)
    seen = []
    handle = layer.register_forward_hook(lambda module, args, output: seen.append(output.shape))
    layer(x)
    handle.remove()
    assert seen == [torch.Size([4, 3])]
    compiled = torch.compile(layer)
    torch.testing.assert_close(compiled(x), eager)


def test_every_kind_of_module_hook_still_fires():
    """A layer call skips `nn.Module.__call__`'s frames only when no hook needs them: hooks on
    the layer (pre, post, with kwargs, full backward) and global module hooks, registered after
    the layer already ran, all fire and may change inputs and outputs."""
    layer = keras.layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")
    x = torch.ones(1, 3)
    layer(x)  # built, and called once on the fast path
    handle = layer.register_forward_pre_hook(lambda module, args: (args[0] * 2,))
    assert layer(x).tolist() == [[6.0, 6.0]]
    handle.remove()
    handle = layer.register_forward_hook(
        lambda module, args, kwargs, out: out + kwargs["training"], with_kwargs=True
    )
    assert layer(x, training=True).tolist() == [[4.0, 4.0]]
    handle.remove()
    grads = []
    handle = layer.register_full_backward_hook(lambda module, grad_in, grad_out: grads.append(grad_out[0]))
    layer(x.requires_grad_()).sum().backward()
    handle.remove()
    assert grads and grads[0].tolist() == [[1.0, 1.0]]
    seen = []
    handle = torch.nn.modules.module.register_module_forward_hook(
        lambda m, a, out: seen.append(type(m).__name__)
    )
    try:
        keras.Sequential([keras.Input((3,)), layer])(torch.ones(1, 3))
    finally:
        handle.remove()
    assert seen == ["Dense", "Sequential"]
    assert layer(torch.ones(1, 3)).tolist() == [[3.0, 3.0]]  # hooks gone: the plain result again


def test_module_compile_jit_trace_and_fx_go_through_the_module_call():
    layer = keras.layers.Dense(2, activation="relu")
    x = torch.randn(4, 3)
    expected = layer(x)
    traced = torch.jit.trace(layer, (x,))
    torch.testing.assert_close(traced(x), expected)
    calls = []
    original = torch.nn.Module.__call__

    def patched(module, *args, **kwargs):  # what a tracer that replaces Module.__call__ does
        calls.append(type(module).__name__)
        return original(module, *args, **kwargs)

    torch.nn.Module.__call__ = patched
    try:
        torch.testing.assert_close(layer(x), expected)
    finally:
        torch.nn.Module.__call__ = original
    assert calls == ["Dense"]
    layer.compile()  # nn.Module.compile: calls run the compiled module
    assert layer._compiled_call_impl is not None
    torch.testing.assert_close(layer(x), expected)


def test_masks_travel_on_tensors():
    embedding = keras.layers.Embedding(10, 3, mask_zero=True)
    out = embedding(torch.tensor([[1, 2, 0, 0]]))
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, True, False, False]])
    dense_out = keras.layers.Dense(2)(out)  # Dense supports masking: the mask follows
    np.testing.assert_array_equal(dense_out._keras_mask.numpy(), [[True, True, False, False]])


def test_float64_numpy_inputs_are_cast_to_the_layer_dtype():
    out = keras.layers.Dense(2)(np.ones((1, 3)))
    assert out.dtype == torch.float32


def test_symbolic_calls_leave_real_state_untouched():
    layer = Linear(2)
    symbolic_out = layer(keras.Input((3,)))
    assert symbolic_out.shape == (None, 2)
    assert float(layer.count) == 0.0  # the fake run's assign_add did not reach the real buffer
    plain = keras.layers.Dense(2)
    assert plain(keras.Input((3,)), training=True).shape == (None, 2)  # `training` dropped where not accepted


# ------------------------------------------------------------ Keras semantics (issue 9, item 7)


class HoldsModels(keras.layers.Layer):
    """A custom layer that holds a Sequential and a functional model in containers."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        inputs = keras.Input((4,))
        functional = keras.Model(inputs, keras.layers.BatchNormalization()(keras.layers.Dense(4)(inputs)))
        stack = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
        self.blocks = {"stack": stack, "graph": functional}

    def call(self, inputs):
        return self.blocks["graph"](self.blocks["stack"](inputs))


def test_trainable_false_reaches_layers_inside_nested_models():
    holder = HoldsModels()
    holder(keras.Input((4,)))
    holder.trainable = False
    nested = [layer for block in holder.blocks.values() for layer in block.layers]
    assert nested and all(not layer.trainable for layer in nested)
    assert holder.trainable_weights == []
    holder.trainable = True
    assert all(layer.trainable for layer in nested)


def test_frozen_batch_normalization_runs_in_inference_mode_during_fit():
    rng = np.random.default_rng(0)
    base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4), keras.layers.BatchNormalization()])
    base.trainable = False
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(base(inputs)))
    model.compile("sgd", "mse")
    bn = base.layers[1]
    mean, variance = bn.moving_mean.detach().clone(), bn.moving_variance.detach().clone()
    x = rng.normal(size=(32, 4)).astype("float32") + 5.0
    model.fit(x, rng.normal(size=(32, 1)).astype("float32"), batch_size=8, verbose=0)
    torch.testing.assert_close(bn.moving_mean.detach(), mean)
    torch.testing.assert_close(bn.moving_variance.detach(), variance)
    # In inference mode the frozen base normalizes with the moving statistics, as `predict` does.
    with torch.enable_grad():
        trained = base(torch.as_tensor(x[:4]), training=True)
    torch.testing.assert_close(trained, base(torch.as_tensor(x[:4]), training=False))


def test_losses_survive_other_models_top_level_calls():
    x = torch.ones(4, 3)
    student = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activity_regularizer="l2")])
    teacher = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activity_regularizer="l2")])
    student(x)
    kept = [float(loss) for loss in student.losses]
    teacher(x)  # another model's outermost call
    keras.layers.Dense(2, activity_regularizer="l1")(x)  # and another layer's
    assert [float(loss) for loss in student.losses] == kept and len(kept) == 1
    student(x * 0)  # its own next call replaces them
    assert [float(loss) for loss in student.losses] == [0.0]


class TwoMasks(keras.layers.Layer):
    def call(self, inputs, mask=None):
        return [inputs, inputs * 2]

    def compute_mask(self, inputs, mask=None):
        return [mask, None if mask is None else ~mask]


def test_compute_mask_may_return_a_list_for_several_outputs():
    embedding = keras.layers.Embedding(10, 3, mask_zero=True)
    first, second = TwoMasks()(embedding(torch.tensor([[1, 2, 0, 0]])))
    assert first._keras_mask.tolist() == [[True, True, False, False]]
    assert second._keras_mask.tolist() == [[False, False, True, True]]
    symbolic_first, symbolic_second = TwoMasks()(embedding(keras.Input((4,), dtype="int32")))
    assert symbolic_first._keras_mask.shape == symbolic_second._keras_mask.shape == (None, 4)


class CountsCalls(keras.layers.Layer):
    """Updates a metric it owns inside `call`, as keras.io's guides do."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.mean_activation = keras.metrics.Mean(name="mean_activation")

    def call(self, inputs):
        self.mean_activation.update_state(inputs)
        return inputs


def test_layer_updating_its_metric_in_call_works_on_input_statelessly():
    layer = CountsCalls()
    outputs = layer(keras.Input((3,)))
    assert outputs.shape == (None, 3)
    assert float(layer.mean_activation.count) == 0.0  # the symbolic pass left the state alone
    layer(torch.full((2, 3), 4.0))
    assert float(layer.mean_activation.result()) == 4.0
    assert layer.metrics == [layer.mean_activation]


def test_no_bare_not_implemented_error_in_the_package():
    """Every `NotImplementedError` says which method a subclass must implement."""
    import ast
    import pathlib

    root = pathlib.Path(keras.__file__).parent
    bare = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Raise) or node.exc is None:
                continue
            exc = node.exc
            named = exc.func if isinstance(exc, ast.Call) and not exc.args else exc
            if isinstance(named, ast.Name) and named.id == "NotImplementedError":
                bare.append(f"{path.relative_to(root)}:{node.lineno}")
    assert bare == []


def test_not_implemented_error_names_the_method():
    class Incomplete(keras.optimizers.Optimizer):
        pass

    optimizer = Incomplete(learning_rate=0.1)
    with pytest.raises(NotImplementedError, match="update_step"):
        optimizer.update_step(torch.zeros(1), torch.zeros(1), 0.1)
