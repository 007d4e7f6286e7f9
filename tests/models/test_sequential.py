"""Sequential models: build from Input or input_shape, deferred build, add / pop."""

import numpy as np
import pytest
import torch

import torchkeras as tk


def test_build_from_input_and_from_input_shape():
    model = tk.Sequential([tk.Input((4,)), tk.layers.Dense(3), tk.layers.Dense(1)])
    assert model.built and model.output_shape == (None, 1) and len(model.layers) == 2
    declared = tk.Sequential([tk.layers.Dense(3, input_shape=(4,)), tk.layers.Dense(1)])
    assert declared.built and declared.input_shape == (None, 4)


def test_deferred_build_add_and_pop():
    model = tk.Sequential()
    model.add(tk.layers.Dense(3))
    model.add(tk.layers.Dense(2))
    assert not model.built
    out = model(np.ones((5, 4), "float32"))
    assert tuple(out.shape) == (5, 2) and model.built and model.count_params() == 4 * 3 + 3 + 3 * 2 + 2
    popped = model.pop()
    assert isinstance(popped, tk.layers.Dense) and len(model.layers) == 1
    assert tuple(model(torch.ones(1, 4)).shape) == (1, 3)
    model.build((None, 4))
    assert model.output_shape == (None, 3)


def test_errors():
    with pytest.raises(ValueError, match="Only layers"):
        tk.Sequential([tk.layers.Dense(2), "relu"])
    model = tk.Sequential([tk.layers.Dense(2)])
    with pytest.raises(ValueError, match="first element"):
        model.add(tk.Input((3,)))
    with pytest.raises(TypeError, match="no layers"):
        tk.Sequential().pop()


def test_parity_with_keras(keras):
    ours = tk.Sequential([tk.Input((5,)), tk.layers.Dense(4, activation="tanh"), tk.layers.Dense(2)])
    theirs = keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(2)]
    )
    ours.set_weights(theirs.get_weights())
    x = np.random.rand(3, 5).astype("float32")
    np.testing.assert_allclose(
        ours(x).detach().numpy(), theirs(x).detach().cpu().numpy(), rtol=1e-5, atol=1e-6
    )


def test_masks_flow_through_sequential():
    model = tk.Sequential([tk.layers.Embedding(10, 3, mask_zero=True), tk.layers.Dense(2)])
    out = model(torch.tensor([[3, 0]]))
    assert out._keras_mask.tolist() == [[True, False]]


def test_sequential_starting_with_a_built_model_is_built_at_construction(keras):
    for library in (tk, keras):
        inputs = library.Input((4,))
        functional = library.Model(inputs, library.layers.Dense(3)(inputs))
        stacked = library.Sequential([library.Input((4,)), library.layers.Dense(3)])
        for first in (functional, stacked):
            model = library.Sequential([first, library.layers.Dense(2)])
            assert model.built
            assert (model.input_shape, model.output_shape) == ((None, 4), (None, 2))
            assert len(model.weights) == 4


@pytest.mark.parametrize("symbolic", [True, False])
def test_first_call_builds_the_layer_graph_as_keras(keras, symbolic):
    """As Keras: the first call's input shape (symbolic: `(None, 4)`, data: `(5, 4)`) becomes the
    model's input, so shapes, build configs and `layer.input` / `output` exist."""

    def build(k):
        model = k.Sequential([k.layers.Dense(3, name="a"), k.layers.Dense(2, name="b")])
        model(k.Input((4,)) if symbolic else np.ones((5, 4), "float32"))
        return model

    ours, theirs = build(tk), build(keras)
    assert ours.get_config()["build_input_shape"] == list(theirs.get_config()["build_input_shape"])
    assert [c["class_name"] for c in ours.get_config()["layers"]] == ["InputLayer", "Dense", "Dense"]
    assert ours.output_shape == theirs.output_shape and ours.input_shape == theirs.input_shape
    for mine, keras_layer in zip([ours, *ours.layers], [theirs, *theirs.layers]):
        expected = {k: list(v) for k, v in keras_layer.get_build_config().items()}
        assert mine.get_build_config() == expected  # (None, 4), never a probe batch size
    assert ours.layers[1].input.shape == theirs.layers[1].input.shape
    lines = []
    ours.summary(print_fn=lines.append)
    assert "?" not in "\n".join(lines) and str(theirs.output_shape) in "\n".join(lines)
    assert tuple(ours(torch.ones(7, 4)).shape) == (7, 2)


def test_build_after_a_first_call_replaces_its_input_shape():
    model = tk.Sequential([tk.layers.Dense(3)])
    model(np.ones((5, 4), "float32"))
    assert model.input_shape == (5, 4)
    model.build((None, 4))
    assert model.input_shape == (None, 4) and model.output_shape == (None, 3)
    assert len(model._layers) == 2  # one InputLayer, replaced


def test_first_call_that_cannot_be_traced_still_builds():
    class NoShapeInference(tk.layers.Layer):
        def call(self, x):
            return x * 2

        def compute_output_spec(self, *args, **kwargs):
            raise NotImplementedError

    model = tk.Sequential([NoShapeInference(), tk.layers.Dense(2)])
    out = model(torch.ones(3, 4))
    assert tuple(out.shape) == (3, 2) and model.built
    with pytest.raises(AttributeError, match="inputs"):
        _ = model.inputs  # as Keras, the model is left without a graph
