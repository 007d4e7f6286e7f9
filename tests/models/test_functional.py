"""Functional models: graphs of layers and ops between Inputs and outputs."""

import numpy as np
import pytest
import torch

import torchkeras as keras
import torchkeras as tk


def test_multi_input_multi_output_with_ops_and_shared_layers():
    a = tk.Input((4,), name="a")
    b = tk.Input((4,), name="b")
    shared = tk.layers.Dense(3, name="shared")
    ha, hb = shared(a), shared(b)
    mixed = ha * 2 + hb[:, :3] - 1.0  # operators and slicing become graph nodes
    summed = tk.ops.sum(mixed, axis=-1, keepdims=True)
    out1 = tk.layers.Dense(1, name="head1")(mixed)
    model = tk.Model([a, b], [out1, summed])
    assert [layer.name for layer in model.layers] == ["a", "b", "shared", "head1"]
    assert model.get_layer("shared") is shared and model.get_layer(index=3).name == "head1"
    xa, xb = np.random.rand(5, 4).astype("float32"), np.random.rand(5, 4).astype("float32")
    y1, y2 = model([xa, xb])
    with torch.no_grad():
        expected_mixed = shared(torch.as_tensor(xa)) * 2 + shared(torch.as_tensor(xb)) - 1.0
        torch.testing.assert_close(y2, expected_mixed.sum(-1, keepdim=True))
        torch.testing.assert_close(y1, model.get_layer("head1")(expected_mixed))
    # dict data is matched to the Input names
    y1_dict, _ = model({"b": xb, "a": xa})
    torch.testing.assert_close(y1_dict, y1)
    assert out1.shape == (None, 1) and summed.shape == (None, 1)


def test_dict_outputs_and_nested_models():
    inner_in = tk.Input((3,))
    inner = tk.Model(inner_in, tk.layers.Dense(2, activation="relu")(inner_in), name="inner")
    x = tk.Input((3,))
    y = inner(x)
    model = tk.Model(x, {"score": tk.layers.Dense(1)(y), "features": y})
    out = model(np.ones((2, 3), "float32"))
    assert set(out) == {"score", "features"} and tuple(out["score"].shape) == (2, 1)
    assert len(model.weights) == 4 and model.get_layer("inner") is inner


def test_symbolic_shapes_with_unknown_dims():
    tokens = tk.Input((None,), dtype="int32")
    embedded = tk.layers.Embedding(20, 8, mask_zero=True)(tokens)
    assert embedded.shape == (None, None, 8)
    assert embedded._keras_mask is not None and embedded._keras_mask.shape == (None, None)
    flat = tk.layers.Reshape((-1,))(tk.Input((4, 5)))
    assert flat.shape == (None, 20)


def test_functional_errors():
    x = tk.Input((3,))
    with pytest.raises(ValueError, match="keras.Input"):
        tk.Model(torch.ones(3), tk.layers.Dense(1)(x))
    other = tk.Input((3,))
    with pytest.raises(ValueError, match="not in `inputs`"):
        tk.Model(x, tk.layers.Dense(1)(other) + tk.layers.Dense(1)(x))
    model = tk.Model(x, tk.layers.Dense(1)(x))
    with pytest.raises(ValueError, match="expects 1 input"):
        model([np.ones((1, 3)), np.ones((1, 3))])
    with pytest.raises(ValueError, match="No such layer"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="shape"):
        tk.Input(shape=("a",))


def test_functional_subclass_with_custom_train_step_keeps_its_methods():
    class Custom(tk.Model):
        def marker(self):
            return "custom"

    x = tk.Input((2,))
    model = Custom(x, tk.layers.Dense(1)(x))
    assert model.marker() == "custom" and isinstance(model, tk.models.Functional)
    assert type(model).__name__ == "Custom"
    assert tuple(model(np.ones((3, 2), "float32")).shape) == (3, 1)


def test_parity_with_keras_functional_model(keras):
    def build(k):
        inputs = k.Input((6,))
        hidden = k.layers.Dense(8, activation="relu")(inputs)
        return k.Model(inputs, k.layers.Dense(3, activation="softmax")(hidden))

    ours, theirs = build(tk), build(keras)
    ours.set_weights(theirs.get_weights())
    x = np.random.rand(4, 6).astype("float32")
    np.testing.assert_allclose(
        ours(x).detach().numpy(), theirs(x).detach().cpu().numpy(), rtol=1e-5, atol=1e-6
    )
    assert ours.count_params() == theirs.count_params()


def test_torch_compile_and_state_dict_on_functional():
    x = tk.Input((3,))
    model = tk.Model(x, tk.layers.Dense(2)(tk.layers.Dense(4, activation="relu")(x)))
    data = torch.randn(5, 3)
    torch.testing.assert_close(torch.compile(model)(data), model(data))
    twin = tk.Model(x2 := tk.Input((3,)), tk.layers.Dense(2)(tk.layers.Dense(4, activation="relu")(x2)))
    twin.load_state_dict(model.state_dict())
    torch.testing.assert_close(twin(data), model(data))
    _ = keras


def test_inputs_are_standardized_as_keras_does(keras):
    ones_hot = np.eye(3, dtype=bool)
    images = np.arange(2 * 5 * 5, dtype="float32").reshape(2, 5, 5)
    results = {}
    for library in (tk, keras):
        dense_in = library.Input((3,))
        dense = library.Model(dense_in, library.layers.Dense(2, kernel_initializer="ones")(dense_in))
        image_in = library.Input((5, 5, 1))
        flatten = library.Model(image_in, library.layers.Flatten()(image_in))
        int_in = library.Input((3,), dtype="int32")
        doubled = library.Model(int_in, int_in * 2)
        results[library.__name__] = (
            dense(ones_hot),  # a boolean one-hot into a float model: cast to the Input's dtype
            flatten(images),  # (n, 5, 5) into Input((5, 5, 1)): the trailing axis is added
            doubled(np.full((2, 3), 1.7, "float32")),
        )
    for ours, theirs in zip(results["torchkeras"], results["keras"]):
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().cpu().numpy())


def test_functional_models_have_input_and_output_shape(keras):
    for library in (tk, keras):
        a, b = library.Input((3,)), library.Input((4, 2))
        single = library.Model(a, library.layers.Dense(2)(a))
        several = library.Model([a, b], [library.layers.Dense(5)(a), library.layers.Flatten()(b)])
        shapes = (single.input_shape, single.output_shape, several.input_shape, several.output_shape)
        if library is tk:
            ours = shapes
        else:
            theirs = shapes
    assert ours == theirs == ((None, 3), (None, 2), [(None, 3), (None, 4, 2)], [(None, 5), (None, 8)])


def test_one_output_given_in_a_list_comes_back_alone_as_in_keras(keras):
    x = np.random.rand(4, 3).astype("float32")
    results = {}
    for library in (tk, keras):
        inputs = library.Input((3,))
        listed = library.Model(inputs, [library.layers.Dense(2)(inputs)])
        tupled = library.Model(inputs, (library.layers.Dense(2)(inputs),))
        symbolic = listed(library.Input((3,)))  # a list of one, as given
        listed.compile(optimizer="sgd", loss=["mse"])
        loss = listed.evaluate(x, np.zeros((4, 2)), verbose=0)
        results[library.__name__] = (
            type(listed(x)),
            type(tupled(x)),
            type(listed.predict(x, verbose=0)),
            listed.predict(x, verbose=0).shape,
            (type(symbolic), len(symbolic), tuple(symbolic[0].shape)),
            type(listed.output),
            listed.output_shape,
            np.isfinite(loss),
        )
    assert results["torchkeras"] == results["keras"]
    assert results["torchkeras"][0] is torch.Tensor


def test_intermediate_tensors_are_released_after_their_last_reader():
    """The replay drops each intermediate once no later layer reads it (the peak memory of a deep
    network), and keeps those that a skip connection or an output still needs."""
    import weakref

    received: dict[str, weakref.ref] = {}
    alive_when_called: dict[str, list[str]] = {}

    class Record(keras.layers.Layer):
        def call(self, x):
            received[self.name] = weakref.ref(x)
            alive_when_called[self.name] = sorted(k for k, ref in received.items() if ref() is not None)
            return x * 2.0

    inputs = keras.Input((3,))
    a = Record(name="a")(inputs)
    b = Record(name="b")(a)
    c = Record(name="c")(b)
    d = Record(name="d")(c)
    e = Record(name="e")(keras.layers.Add()([d, a]))
    model = keras.Model(inputs, [e, b])
    x = torch.ones(2, 3)
    with torch.no_grad():
        outputs = model(x)
    np.testing.assert_allclose(outputs[0].numpy(), np.full((2, 3), 36.0))
    np.testing.assert_allclose(outputs[1].numpy(), np.full((2, 3), 4.0))
    # a's output (b's input) was last read by Add, c's by d; b's is an output, x the caller's.
    assert alive_when_called["d"] == ["a", "b", "c", "d"]
    assert alive_when_called["e"] == ["a", "c", "e"]


def _residual_model():
    """conv -> BN -> ReLU, a view of the conv output read later, an Add skip, an output in the middle."""
    L = keras.layers
    inputs = keras.Input((6, 6, 3))
    a = L.Conv2D(4, 1, name="a")(inputs)
    view = L.Reshape((36, 4), name="view")(a)  # aliases a: a may not be overwritten
    b = L.BatchNormalization(name="b")(a)
    c = L.Activation("relu", name="c")(b)  # b is a model output: not donated
    d = L.Conv2D(4, 3, padding="same", name="d")(c)
    e = L.BatchNormalization(name="e")(d)
    f = L.Add(name="f")([c, e])  # e is donated: the sum is written into it
    g = L.Activation("relu", name="g")(f)  # f (Add's output) is donated
    h = L.Activation("relu", name="h")(a)  # a is also read by the Reshape: not donated
    pooled = L.GlobalAveragePooling2D()(g)
    return keras.Model(inputs, [pooled, L.Flatten()(view), h, b])


def test_inference_replay_writes_into_donated_inputs_with_the_same_numbers():
    """Without gradients, ReLU and Add write into inputs nothing reads afterwards; the outputs
    equal those of the replay that records gradients (which never donates), views of a tensor
    still alive and model outputs are left alone, and so are the caller's inputs."""
    model = _residual_model()
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([np.random.rand(*w.shape).astype("float32") + 0.5 for w in layer.get_weights()])
    x = torch.randn(2, 6, 6, 3, generator=torch.Generator().manual_seed(0))
    kept = x.clone()
    expected = [t.detach() for t in model(x)]  # gradients recorded: nothing donated
    with torch.no_grad():
        donated = model(x)
    with torch.inference_mode():
        donated_inference = model(x)
    for want, got, got_inference in zip(expected, donated, donated_inference):
        torch.testing.assert_close(got, want, rtol=0, atol=0)
        torch.testing.assert_close(got_inference, want, rtol=0, atol=0)
    torch.testing.assert_close(x, kept, rtol=0, atol=0)
    # The later outputs really were written in place (what the speed comes from).
    donations = {model._nodes[i].layer.name for i, d in enumerate(model._donations) if d}
    assert donations == {"e", "f", "g"}  # BatchNormalization gets one too and leaves it


def test_a_hooked_layer_sees_its_inputs_unchanged():
    L = keras.layers
    inputs = keras.Input((6, 6, 3))
    b = L.BatchNormalization(name="b")(L.Conv2D(4, 1)(inputs))
    model = keras.Model(inputs, L.Activation("relu", name="c")(b))
    assert model._donations[-1] is not None
    seen = {}
    model.get_layer("c").register_forward_hook(lambda module, args, output: seen.update(c=args[0].clone()))
    model.get_layer("b").register_forward_hook(lambda module, args, output: seen.update(b=output))
    with torch.no_grad():
        model(torch.randn(2, 6, 6, 3))
    torch.testing.assert_close(seen["b"], seen["c"], rtol=0, atol=0)
    assert (seen["b"] < 0).any()  # BatchNormalization's output, not overwritten by the ReLU


def test_a_frozen_base_donates_while_a_head_trains():
    """With gradients recorded, donation happens only where no gradient can involve the tensors
    (a frozen base, as in transfer learning); the head's gradients equal those of a replay
    without donation."""
    base = _residual_model()
    x = torch.randn(2, 6, 6, 3, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = base(x)
    base.trainable = False
    head = keras.layers.Dense(3)
    features = base(x)
    for got, want in zip(features, expected):
        torch.testing.assert_close(got, want, rtol=0, atol=0)
    head(features[0]).square().sum().backward()
    kernel_grad = head.kernel.grad.clone()
    head.kernel.grad = None
    head(expected[0]).square().sum().backward()
    torch.testing.assert_close(head.kernel.grad, kernel_grad, rtol=0, atol=0)
    calls = []  # in-place ReLUs, counted by a probe
    original = torch.relu_

    def probe(tensor):
        calls.append(tensor)
        return original(tensor)

    torch.relu_ = probe
    try:
        base(x)
        base.trainable = True
        base(x)  # trainable weights keep their inputs for backward: no donation
    finally:
        torch.relu_ = original
    assert len(calls) == 1  # layer "g" of the frozen base


@pytest.mark.parametrize("copy_with", ["pickle", "deepcopy"])
def test_pickled_or_deep_copied_model_replays_its_graph(copy_with):
    """The replay's release and donation plans follow the copied graph (they held the original
    tensors' ids, so a copy failed with a KeyError)."""
    import copy
    import pickle

    rng = np.random.default_rng(0)
    inputs = tk.Input((4,))
    a = tk.layers.Dense(4)(inputs)
    b = tk.layers.Activation("relu")(tk.layers.Dense(4)(a))
    outputs = tk.layers.Dense(2)(tk.layers.Add()([a, b]))
    model = tk.Model(inputs, outputs)
    x = rng.normal(size=(3, 4)).astype("float32")
    expected = model.predict(x, verbose=0)
    copied = pickle.loads(pickle.dumps(model)) if copy_with == "pickle" else copy.deepcopy(model)
    np.testing.assert_allclose(copied.predict(x, verbose=0), expected, rtol=1e-6)
