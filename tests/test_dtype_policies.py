"""`keras.dtype_policies`: get / serialize / deserialize give Keras's answers for float policies."""

import pytest

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
    with pytest.raises(ValueError, match="GPTQ"):
        tk.dtype_policies.deserialize({"class_name": "GPTQDTypePolicy", "config": {}})
