"""`keras.dtype_policies`: get / serialize / deserialize give Keras's answers for float policies."""

import numpy as np
import pytest
import torch

import torchkeras as tk


@pytest.mark.parametrize("name", ["float32", "mixed_float16", "mixed_bfloat16", "bfloat16", "float16"])
def test_matches_keras(keras, name):
    ours, theirs = tk.dtype_policies.get(name), keras.dtype_policies.get(name)
    assert (ours.name, ours.compute_dtype, ours.variable_dtype) == (
        theirs.name,
        theirs.compute_dtype,
        theirs.variable_dtype,
    )
    assert ours.quantization_mode is theirs.quantization_mode is None
    assert tk.dtype_policies.serialize(ours) == keras.dtype_policies.serialize(theirs)
    float_policy = tk.dtype_policies.FloatDTypePolicy(name)
    assert tk.dtype_policies.serialize(float_policy) == keras.dtype_policies.serialize(
        keras.dtype_policies.FloatDTypePolicy(name)
    )
    assert tk.dtype_policies.deserialize(tk.dtype_policies.serialize(float_policy)) == float_policy


def test_get_other_identifiers():
    policy = tk.dtype_policies.DTypePolicy("float16")
    assert tk.dtype_policies.get(policy) is policy
    assert tk.dtype_policies.get(None) == tk.mixed_precision.global_policy()
    assert tk.dtype_policies.get({"class_name": "FloatDTypePolicy", "config": {"name": "float16"}}) == policy
    with pytest.raises(ValueError, match="Cannot interpret `dtype`"):
        tk.dtype_policies.get(3)
    with pytest.raises(ValueError, match="Unknown dtype policy class"):
        tk.dtype_policies.deserialize({"class_name": "NoSuchPolicy", "config": {}})


@pytest.mark.parametrize(
    "name",
    [
        "int8_from_float32",
        "int8_from_mixed_bfloat16",
        "int4_from_float32",
        "int4/128_from_bfloat16",
        "int4/-1_from_float32",
        "float8_from_mixed_bfloat16",
    ],
)
def test_quantized_policies_match_keras(keras, name):
    ours, theirs = tk.dtype_policies.get(name), keras.dtype_policies.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    assert (ours.name, ours.compute_dtype, ours.variable_dtype, ours.quantization_mode) == (
        theirs.name,
        theirs.compute_dtype,
        theirs.variable_dtype,
        theirs.quantization_mode,
    )
    assert tk.dtype_policies.serialize(ours) == keras.dtype_policies.serialize(theirs)
    assert tk.dtype_policies.deserialize(keras.dtype_policies.serialize(theirs)) == ours
    assert keras.dtype_policies.deserialize(tk.dtype_policies.serialize(ours)) == theirs


def test_quantized_policy_arguments():
    policy = tk.dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32", amax_history_length=16)
    assert policy.amax_history_length == 16 and policy.get_config()["amax_history_length"] == 16
    assert policy != tk.dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32")
    int4 = tk.dtype_policies.Int4DTypePolicy("int4/64", "float32")
    assert (int4.block_size, int4.quantization_mode, int4.name) == (64, "int4", "int4/64_from_float32")
    with pytest.raises(TypeError, match="amax_history_length"):
        tk.dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32", amax_history_length=1.5)
    with pytest.raises(ValueError, match="Expected format"):
        tk.dtype_policies.Int4DTypePolicy("int4", "float32")
    with pytest.raises(ValueError, match="block_size"):
        tk.dtype_policies.Int4DTypePolicy("int4/0", "float32")
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        tk.dtype_policies.QuantizedDTypePolicy("int5", "float32")
    with pytest.raises(ValueError, match="float16"):
        tk.dtype_policies.QuantizedDTypePolicy("int8", "float16")


def test_register_quantized_policy_plugs_in_a_mode():
    from torchkeras.dtype_policies import quantized_policies

    class GPTQLike(tk.dtype_policies.QuantizedDTypePolicy):
        def __init__(self, mode, source_name=None):
            super().__init__(mode.split("/")[0], source_name)
            self.name = f"{mode}_from_{self.source_name}"

    saved = dict(quantized_policies._POLICY_CLASSES)
    try:
        tk.dtype_policies.register_quantized_policy("gptq/", GPTQLike)
        assert isinstance(tk.dtype_policies.get("gptq/4/128_from_float32"), GPTQLike)
    finally:
        quantized_policies._POLICY_CLASSES.clear()
        quantized_policies._POLICY_CLASSES.update(saved)
    assert isinstance(tk.dtype_policies.get("gptq/4/128_from_float32"), tk.dtype_policies.GPTQDTypePolicy)


def test_layer_dtype_policy_is_a_policy_object():
    layer = tk.layers.Dense(2, dtype="mixed_bfloat16")
    assert isinstance(layer.dtype_policy, tk.dtype_policies.DTypePolicy)
    assert layer.dtype_policy.name == "mixed_bfloat16" and layer.dtype_policy.compute_dtype == "bfloat16"
    quantized = tk.layers.Dense(2, dtype=tk.dtype_policies.get("int4/32_from_float32"))
    assert isinstance(quantized.dtype_policy, tk.dtype_policies.Int4DTypePolicy)
    assert quantized.quantization_mode == "int4"


def _sample_maps(module):
    plain = module.dtype_policies.DTypePolicyMap()
    plain["dense"] = module.dtype_policies.get("int8_from_float32")
    plain["enc/.*"] = "bfloat16"
    with_default = module.dtype_policies.DTypePolicyMap(
        default_policy="mixed_bfloat16", policy_map={"a": module.dtype_policies.DTypePolicy("float16")}
    )
    return plain, with_default


def test_dtype_policy_map_matches_keras(keras):
    for ours, theirs in zip(_sample_maps(tk), _sample_maps(keras)):
        assert tk.dtype_policies.serialize(ours) == keras.dtype_policies.serialize(theirs)
        back = tk.dtype_policies.deserialize(keras.dtype_policies.serialize(_sample_maps(keras)[0]))
        assert isinstance(back, tk.dtype_policies.DTypePolicyMap) and set(back) == {"dense", "enc/.*"}
        assert back["dense"].quantization_mode == "int8" and back["enc/attention"].name == "float32"
        theirs_back = keras.dtype_policies.deserialize(tk.dtype_policies.serialize(ours))
        assert sorted(theirs_back) == sorted(ours)
    _, with_default = _sample_maps(tk)
    assert with_default.name == "map_mixed_bfloat16" and with_default.compute_dtype == "bfloat16"
    assert with_default["a"].name == "float16" and with_default["b"].name == "mixed_bfloat16"


def test_dtype_policy_map_lookup_and_errors():
    policy_map = tk.dtype_policies.DTypePolicyMap(default_policy="float32")
    policy_map["encoder/layer_0/dense"] = "bfloat16"
    policy_map["encoder/.*"] = "float16"
    assert policy_map["encoder/layer_0/dense"].name == "bfloat16"
    assert policy_map["encoder/attention/query"].name == "float16"
    assert policy_map["decoder"].name == "float32" and len(policy_map) == 2
    policy_map["encoder/attention/.*"] = "bfloat16"
    with pytest.raises(ValueError, match="matches multiple"):
        policy_map["encoder/attention/query"]
    with pytest.raises(ValueError, match="already exist"):
        policy_map["encoder/.*"] = "float32"
    with pytest.raises(ValueError, match="Cannot interpret"):
        policy_map["x"] = 3
    with pytest.raises(ValueError, match="cannot be a `DTypePolicyMap`"):
        tk.dtype_policies.DTypePolicyMap(default_policy=policy_map)
    with pytest.raises(TypeError, match="must be a dict"):
        tk.dtype_policies.DTypePolicyMap(policy_map=[("a", "float32")])
    del policy_map["encoder/attention/.*"]
    assert "encoder/attention/.*" not in policy_map


def test_layer_with_dtype_policy_map(keras, tmp_path):
    policy_map = tk.dtype_policies.DTypePolicyMap(default_policy="float32")
    policy_map["q"] = "int8_from_float32"
    layer = tk.layers.Dense(3, dtype=policy_map, name="q")
    other = tk.layers.Dense(3, dtype=policy_map, name="other")
    assert layer.dtype_policy is policy_map and layer.quantization_mode == "int8"
    assert other.quantization_mode is None
    layer.build((None, 4))
    assert layer.kernel.dtype == torch.int8
    config = layer.get_config()
    assert config["dtype"]["class_name"] == "DTypePolicyMap"
    clone = tk.layers.Dense.from_config(config)
    assert clone.quantization_mode == "int8"
    # quantizing a layer records its policy in the map, as Keras's setter does
    other.build((None, 4))
    other.quantize("int4")
    assert policy_map["other"].name == "int4/128_from_float32"
    ref = keras.layers.Dense.from_config(config)
    assert ref.dtype_policy["q"].quantization_mode == "int8"


def test_layer_dtype_policy_setter_matches_keras(keras):
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=3).astype("float32")]
    x = rng.normal(size=(2, 4)).astype("float32")
    outputs = []
    for lib in (keras, tk):
        layer = lib.layers.Dense(3)
        layer.build((None, 4))
        layer.set_weights(weights)
        layer.dtype_policy = "int8_from_float32"  # a built layer is quantized
        assert layer.quantization_mode == "int8" and layer.dtype_policy.name == "int8_from_float32"
        outputs.append(np.asarray(layer(torch.tensor(x)).detach()))
    np.testing.assert_allclose(outputs[1], outputs[0], atol=1e-5)
    unbuilt = tk.layers.Dense(3)
    unbuilt.dtype_policy = "int4/-1_from_float32"
    unbuilt.build((None, 4))
    assert unbuilt.kernel.shape == (4, 2) and unbuilt.kernel.dtype == torch.int8
    with pytest.raises(ValueError, match="another mode"):
        unbuilt.dtype_policy = "float32"
    mixed = tk.layers.Dense(3)
    mixed.dtype_policy = tk.dtype_policies.DTypePolicy("mixed_bfloat16")
    assert mixed.compute_dtype == "bfloat16" and mixed.variable_dtype == "float32"


def test_quantized_policy_of_a_mode_the_layer_lacks_is_refused():
    with pytest.raises(NotImplementedError, match="does not support quantization mode 'float8'"):
        tk.layers.Embedding(3, 4, dtype="float8_from_float32")
    with pytest.raises(NotImplementedError, match="does not have a `quantize` method"):
        tk.layers.Dropout(0.1, dtype="int8_from_float32")
