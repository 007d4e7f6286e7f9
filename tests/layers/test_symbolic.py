"""Shape inference on `keras.Input`: Keras's order (declared shape, fake trace, zero retry),
its errors, what it leaves untouched, `KerasTensor`'s tensor-like properties and mixed precision."""

import numpy as np
import pytest
import torch

import torchkeras as keras


class NumpyTanh(keras.layers.Layer):
    """A call fake tensors cannot run: it goes through NumPy."""

    def call(self, inputs):
        return torch.as_tensor(np.tanh(inputs.detach().cpu().numpy()))


class ItemScale(keras.layers.Layer):
    """Reads a Python number from the data with `.item()`."""

    def call(self, inputs):
        return inputs * (1.0 + 0.0 * inputs.abs().max().item())


class PositiveRows(keras.layers.Layer):
    """Uses a boolean mask (an output size that depends on the data)."""

    def call(self, inputs):
        positive = inputs[inputs > 0]
        return inputs + positive.sum()


@pytest.mark.parametrize("layer_class", [NumpyTanh, ItemScale, PositiveRows])
def test_call_that_fake_tensors_cannot_run_works_on_input(layer_class):
    inputs = keras.Input((4,))
    outputs = layer_class()(inputs)
    assert outputs.shape == (None, 4)
    assert outputs.dtype == "float32"
    model = keras.Model(inputs, outputs)
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    assert model(x).shape == (3, 4)


def test_declared_output_shape_is_used_before_tracing():
    calls = []

    class Declared(keras.layers.Layer):
        def call(self, inputs):
            calls.append(inputs)
            return inputs[:, :2]

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 2)

    outputs = Declared()(keras.Input((5,)))
    assert outputs.shape == (None, 2)
    assert calls == []  # Keras does not run `call` when the shape is declared


def test_declared_output_shape_with_several_outputs_and_mask():
    class Split(keras.layers.Layer):
        def call(self, inputs, mask=None):
            return [inputs, inputs * 2]

        def compute_output_shape(self, input_shape):
            return [input_shape, input_shape]

        def compute_mask(self, inputs, mask=None):
            return [mask, mask]

    ids = keras.Input((4,), dtype="int32")
    embedded = keras.layers.Embedding(10, 3, mask_zero=True)(ids)
    first, second = Split()(embedded)
    assert first.shape == second.shape == (None, 4, 3)
    assert first._keras_mask.shape == second._keras_mask.shape == (None, 4)


def test_zero_retry_restores_buffers_losses_and_metrics():
    class Counting(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.register_buffer("seen", torch.zeros(()))
            self.tracker = keras.metrics.Sum(name="tracker")

        def call(self, inputs):
            self.seen += inputs.shape[0] + inputs.sum().item()  # `.item()`: forces the zero retry
            self.tracker.update_state(torch.ones(inputs.shape[0]))
            self.add_loss(inputs.mean())
            return inputs

    layer = Counting()
    layer(keras.Input((3,)))
    assert float(layer.seen) == 0.0
    assert float(layer.tracker.result()) == 0.0
    assert layer.losses == []


def test_error_names_the_op_and_suggests_compute_output_shape():
    class Unrunnable(keras.layers.Layer):
        def call(self, inputs):
            return inputs * (1.0 / inputs.sum().item())  # zero data: ZeroDivisionError

    with pytest.raises(ValueError, match=r"_local_scalar_dense.*compute_output_shape"):
        Unrunnable()(keras.Input((3,)))


def test_probe_runs_must_agree_in_rank():
    class RankDependsOnBatch(keras.layers.Layer):
        def call(self, inputs):
            return inputs[0] if inputs.shape[0] > 85 else inputs  # the probes try 83 and 89

    with pytest.raises(ValueError, match="structure or rank"):
        RankDependsOnBatch()(keras.Input((3,)))


def test_probe_runs_must_agree_in_structure():
    class StructureDependsOnBatch(keras.layers.Layer):
        def call(self, inputs):
            return [inputs] * (1 + (inputs.shape[0] > 85))

    with pytest.raises(ValueError, match="structure or rank"):
        StructureDependsOnBatch()(keras.Input((3,)))


def test_keras_tensor_properties_behave_as_on_tensors():
    x = keras.Input((3, 4))
    assert x.ndim == 3
    assert x.dtype == torch.float32 and x.dtype == "float32" and x.dtype != torch.int32
    assert x.device == torch.device("cpu")
    assert x.mT.shape == (None, 4, 3)
    assert x.T.shape == (4, 3, None)
    model = keras.Model(x, [x.mT, x.T])
    data = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(1))
    transposed, reversed_axes = model(data)
    torch.testing.assert_close(transposed, data.mT)
    torch.testing.assert_close(reversed_axes, data.permute(2, 1, 0))
    with pytest.raises(ValueError, match="rank 2"):
        _ = keras.Input(()).mT


@pytest.fixture
def mixed_bfloat16():
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    yield
    keras.mixed_precision.set_global_policy(None)


def test_mixed_bfloat16_builds_symbolically_and_fits_on_cpu(mixed_bfloat16):
    inputs = keras.Input((8,))
    hidden = keras.layers.Dense(16, activation="relu")(inputs)
    hidden = keras.layers.BatchNormalization()(hidden)
    outputs = keras.layers.Dense(3, activation="softmax", dtype="float32")(hidden)
    # As Keras: a mixed layer's output is in its compute dtype, a float32 layer's in float32.
    assert hidden.dtype == "bfloat16"
    assert outputs.dtype == "float32"
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = rng.integers(0, 3, size=64)
    assert model(torch.as_tensor(x[:2])).dtype == torch.float32
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    assert model.predict(x[:4], verbose=0).dtype == np.float32


def test_mixed_bfloat16_output_dtypes_match_keras(mixed_bfloat16):
    keras_module = pytest.importorskip("keras")
    keras_module.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        k_inputs = keras_module.Input((4,))
        k_hidden = keras_module.layers.Dense(3)(k_inputs)
        k_outputs = keras_module.layers.Dense(2, dtype="float32")(k_hidden)
    finally:
        keras_module.mixed_precision.set_dtype_policy("float32")
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3)(inputs)
    outputs = keras.layers.Dense(2, dtype="float32")(hidden)
    assert (hidden.dtype, outputs.dtype) == (k_hidden.dtype, k_outputs.dtype)


def test_mixed_bfloat16_recurrent_model_fits_on_cpu(mixed_bfloat16):
    rng = np.random.default_rng(2)
    tokens = rng.integers(0, 12, size=(16, 6))
    tokens[:, 4:] = 0  # padding, for the masked (packed) case
    labels = rng.normal(size=(16, 1)).astype("float32")
    cases = [
        (keras.layers.LSTM(4), False),  # the plain fused kernel (oneDNN on the CPU)
        (keras.layers.LSTM(4), True),  # the packed one
        (keras.layers.GRU(4, return_sequences=True), False),
    ]
    for recurrent, mask_zero in cases:
        inputs = keras.Input((6,), dtype="int32")
        hidden = recurrent(keras.layers.Embedding(12, 4, mask_zero=mask_zero)(inputs))
        if hidden.ndim == 3:
            hidden = keras.layers.GlobalAveragePooling1D()(hidden)
        model = keras.Model(inputs, keras.layers.Dense(1, dtype="float32")(hidden))
        model.compile("adam", "mse")
        history = model.fit(tokens, labels, batch_size=8, epochs=2, verbose=0)
        assert all(np.isfinite(history.history["loss"]))
