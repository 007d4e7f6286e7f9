"""`QuantizationConfig` and its int8 / int4 / float8 subclasses: Keras's configs and checks."""

import numpy as np
import pytest
import torch

from torchkeras import layers, quantizers
from torchkeras.quantizers.quantization_config import validate_and_resolve_config


@pytest.mark.parametrize(
    "make",
    [
        lambda q: q.Int8QuantizationConfig(),
        lambda q: q.Int8QuantizationConfig(
            weight_quantizer=q.AbsMaxQuantizer(axis=0), activation_quantizer=None
        ),
        lambda q: q.Int4QuantizationConfig(block_size=64),
        lambda q: q.Int4QuantizationConfig(
            weight_quantizer=q.AbsMaxQuantizer(value_range=(-8, 7)), block_size=None
        ),
        lambda q: q.Float8QuantizationConfig(),
    ],
)
def test_serialization_matches_keras_both_ways(keras, make):
    ours, ref = make(quantizers), make(keras.quantizers)
    assert ours.mode == ref.mode
    assert quantizers.serialize(ours) == keras.quantizers.serialize(ref)
    back = quantizers.deserialize(keras.quantizers.serialize(ref))
    assert type(back) is type(ours) and back.get_config() == ours.get_config()
    assert type(keras.quantizers.deserialize(quantizers.serialize(ours))) is type(ref)


def test_defaults_and_validation():
    assert isinstance(quantizers.Int8QuantizationConfig().activation_quantizer, quantizers.AbsMaxQuantizer)
    int4 = quantizers.Int4QuantizationConfig()
    assert int4.block_size == 128 and int4.activation_quantizer is None
    with pytest.raises(NotImplementedError, match="Subclasses"):
        _ = quantizers.QuantizationConfig().mode
    with pytest.raises(ValueError, match="block_size"):
        quantizers.Int4QuantizationConfig(block_size=0)
    with pytest.raises(ValueError, match="custom quantizers"):
        quantizers.Int4QuantizationConfig(weight_quantizer=quantizers.AbsMaxQuantizer(value_range=(-8, 7)))
    with pytest.raises(ValueError, match="value_range"):
        quantizers.Int4QuantizationConfig(weight_quantizer=quantizers.AbsMaxQuantizer(), block_size=-1)
    with pytest.raises(ValueError, match="output_dtype"):
        quantizers.Int8QuantizationConfig(weight_quantizer=quantizers.AbsMaxQuantizer(output_dtype="int16"))


def test_validate_and_resolve_config():
    assert isinstance(validate_and_resolve_config("int8", None), quantizers.Int8QuantizationConfig)
    assert isinstance(validate_and_resolve_config(None, "int4"), quantizers.Int4QuantizationConfig)
    config = quantizers.Float8QuantizationConfig()
    assert validate_and_resolve_config(None, config) is config
    with pytest.raises(ValueError, match="either `mode` or `config`"):
        validate_and_resolve_config(None, None)
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        validate_and_resolve_config("int5", None)
    with pytest.raises(ValueError, match="Contradictory"):
        validate_and_resolve_config("int8", config)
    with pytest.raises(ValueError, match="QuantizationConfig"):
        validate_and_resolve_config("int8", {"mode": "int8"})


def test_dense_quantize_with_config_matches_keras(keras):
    rng = np.random.default_rng(3)
    weights = [rng.normal(size=(6, 5)).astype("float32"), rng.normal(size=5).astype("float32")]
    x = rng.normal(size=(4, 6)).astype("float32")
    outputs = []
    for lib in (keras, __import__("torchkeras")):
        config = lib.quantizers.Int8QuantizationConfig(
            weight_quantizer=lib.quantizers.AbsMaxQuantizer(axis=0, value_range=(-100, 100)),
            activation_quantizer=None,
        )
        layer = lib.layers.Dense(5)
        layer.build((None, 6))
        layer.set_weights(weights)
        layer.quantize(config=config)
        outputs.append(np.asarray(layer(torch.tensor(x)).detach()))
        assert layer.get_config()["quantization_config"]["config"]["activation_quantizer"] is None
    np.testing.assert_allclose(outputs[1], outputs[0], atol=1e-5)


def test_config_round_trips_through_layer_config():
    layer = layers.Dense(3)
    layer.build((None, 4))
    layer.quantize(config=quantizers.Int8QuantizationConfig(activation_quantizer=None))
    clone = layers.Dense.from_config(layer.get_config())
    assert isinstance(clone.quantization_config, quantizers.Int8QuantizationConfig)
    assert clone.quantization_config.activation_quantizer is None
    clone.build((None, 4))
    clone.set_weights(layer.get_weights())
    x = torch.randn(2, 4, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(clone(x), layer(x))


@pytest.mark.parametrize("mode", ["int8", "int4"])
def test_einsum_dense_custom_quantizers_match_keras(keras, mode):
    rng = np.random.default_rng(4)
    weights = [rng.normal(size=(8, 3, 5)).astype("float32")]
    x = rng.normal(size=(2, 4, 8)).astype("float32")
    outputs = []
    for lib in (keras, __import__("torchkeras")):
        q = lib.quantizers
        if mode == "int8":
            config = q.Int8QuantizationConfig(
                weight_quantizer=q.AbsMaxQuantizer(axis=0),
                activation_quantizer=q.AbsMaxQuantizer(value_range=(-100, 100)),
            )
        else:
            config = q.Int4QuantizationConfig(
                weight_quantizer=q.AbsMaxQuantizer(axis=0, value_range=(-8, 7)),
                activation_quantizer=q.AbsMaxQuantizer(),
                block_size=-1,
            )
        layer = lib.layers.EinsumDense("abc,cde->abde", (None, 3, 5))
        layer.build((None, 4, 8))
        layer.set_weights(weights)
        layer.quantize(config=config)
        outputs.append(np.asarray(layer(torch.tensor(x)).detach()))
    np.testing.assert_allclose(outputs[1], outputs[0], atol=1e-5)


def test_register_quantization_config_plugs_in_a_mode():
    from torchkeras.quantizers import quantization_config as qc
    from torchkeras.utils import registry

    class FakeGPTQConfig(quantizers.QuantizationConfig):
        @property
        def mode(self):
            return "gptq"

        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            return cls()

    with pytest.raises(ValueError, match="For GPTQ, you must pass a `GPTQConfig`"):
        validate_and_resolve_config("gptq", None)  # the real one, registered by gptq_config.py
    saved_modes, saved_objects = dict(qc._MODES), dict(qc.CONFIG_OBJECTS)
    try:
        qc.register_quantization_config("gptq", FakeGPTQConfig, requires_config=True)
        with pytest.raises(ValueError, match="For GPTQ, you must pass a `FakeGPTQConfig`"):
            validate_and_resolve_config("gptq", None)
        config = FakeGPTQConfig()
        assert validate_and_resolve_config("gptq", config) is config
        assert isinstance(quantizers.deserialize(quantizers.serialize(config)), FakeGPTQConfig)
    finally:
        qc._MODES.clear()
        qc._MODES.update(saved_modes)
        qc.CONFIG_OBJECTS.clear()
        qc.CONFIG_OBJECTS.update(saved_objects)
        registry._BUILTINS.pop("FakeGPTQConfig", None)
    assert isinstance(
        validate_and_resolve_config("gptq", quantizers.GPTQConfig(None, None)), quantizers.GPTQConfig
    )
