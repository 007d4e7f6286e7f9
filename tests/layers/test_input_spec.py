"""`InputSpec`: assigned to `layer.input_spec`, it is checked on every call, as in Keras."""

import numpy as np
import pytest
import torch

import torchkeras as tk


class Affine(tk.layers.Layer):
    def __init__(self, spec, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = spec

    def call(self, inputs):
        return inputs * 2.0


@pytest.mark.parametrize(
    ("spec", "shape", "message"),
    [
        (tk.InputSpec(ndim=2), (2, 3, 4), "expected ndim=2, found ndim=3"),
        (tk.InputSpec(min_ndim=3), (2, 3), "expected min_ndim=3, found ndim=2"),
        (tk.InputSpec(max_ndim=2), (2, 3, 4), "expected max_ndim=2, found ndim=3"),
        (tk.InputSpec(axes={-1: 4}), (2, 3), "expected axis -1 of input shape to have value 4"),
        (tk.InputSpec(shape=(None, 5)), (2, 3), r"expected shape=\(None, 5\), found shape=\(2, 3\)"),
        (tk.InputSpec(dtype="int32"), (2, 3), "expected dtype=int32, found dtype=float32"),
    ],
)
def test_a_violated_spec_raises_before_building(spec, shape, message):
    layer = Affine(spec, name="affine")
    with pytest.raises(ValueError, match=f"Input 0 with name 'None' of layer 'affine'.*{message}"):
        layer(torch.ones(shape))
    assert not layer.built
    with pytest.raises(ValueError, match=message):  # symbolic inputs are checked too
        layer(tk.Input(shape[1:], batch_size=shape[0]))


def test_a_matching_input_passes_and_unknown_sizes_are_accepted():
    layer = Affine(tk.InputSpec(shape=(None, 3), axes={-1: 3}))
    np.testing.assert_allclose(layer(torch.ones(5, 3)).numpy(), np.full((5, 3), 2.0))
    assert layer(tk.Input((3,))).shape == (None, 3)


def test_several_specs_count_the_inputs():
    layer = Affine([tk.InputSpec(ndim=2), tk.InputSpec(ndim=2)], name="pair")
    with pytest.raises(ValueError, match='Layer "pair" expects 2 input\\(s\\), but it received 1'):
        layer(torch.ones(2, 3))


def test_messages_match_keras(keras):
    class KerasAffine(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = keras.InputSpec(ndim=2, axes={-1: 4})

        def call(self, inputs):
            return inputs

    with pytest.raises(ValueError) as theirs:
        KerasAffine(name="affine")(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError) as ours:
        Affine(tk.InputSpec(ndim=2, axes={-1: 4}), name="affine")(np.ones((2, 3), "float32"))
    assert str(ours.value) == str(theirs.value)


def test_config_round_trip_and_argument_errors():
    spec = tk.InputSpec(dtype="float32", shape=(None, 4), axes={-1: 4})
    again = tk.InputSpec.from_config(spec.get_config())
    assert (again.shape, again.ndim, again.axes, again.dtype) == ((None, 4), 2, {-1: 4}, "float32")
    with pytest.raises(TypeError, match="axes"):
        tk.InputSpec(axes=[1, 2])
    with pytest.raises(ValueError, match="Axis 3 is greater than the maximum allowed value: 1"):
        tk.InputSpec(ndim=2, axes={3: 4})
