"""`torchkeras.quantizers` against Keras's quantizers (same inputs, same outputs) and against the
formulas they implement."""

import numpy as np
import pytest
import torch

from torchkeras import quantizers


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


@pytest.mark.parametrize("to_numpy", [False, True])
@pytest.mark.parametrize("axis", [0, -1, (0, 1)])
def test_abs_max_quantize_matches_keras(keras, axis, to_numpy):
    x = np.random.default_rng(1).normal(size=(6, 5, 4)).astype("float32") * 3
    ours_q, ours_s = quantizers.abs_max_quantize(torch.tensor(x), axis, to_numpy=to_numpy)
    ref_q, ref_s = keras.quantizers.abs_max_quantize(keras.ops.convert_to_tensor(x), axis, to_numpy=to_numpy)
    assert ours_q.dtype == torch.int8 and ours_s.dtype == torch.float32
    np.testing.assert_array_equal(_np(ours_q), _np(ref_q))
    np.testing.assert_allclose(_np(ours_s), _np(ref_s), rtol=1e-6)
    # reference formula: x ≈ q / scale within half a step
    assert np.all(np.abs(_np(ours_q) / _np(ours_s) - x) <= 0.5 / _np(ours_s) + 1e-6)


@pytest.mark.parametrize("to_numpy", [False, True])
@pytest.mark.parametrize("rows,block", [(8, 4), (10, 4), (7, 16)])
def test_grouped_with_zero_point_matches_keras(keras, rows, block, to_numpy):
    x = np.random.default_rng(2).normal(size=(rows, 3)).astype("float32")
    ours = quantizers.abs_max_quantize_grouped_with_zero_point(torch.tensor(x), block, to_numpy=to_numpy)
    ref = keras.quantizers.abs_max_quantize_grouped_with_zero_point(
        keras.ops.convert_to_tensor(x), block, to_numpy=to_numpy
    )
    assert ours[0].shape == (rows, 3) and ours[1].shape == (-(-rows // block), 3)
    assert ours[2].dtype == torch.int8
    np.testing.assert_array_equal(_np(ours[0]), _np(ref[0]))
    np.testing.assert_allclose(_np(ours[1]), _np(ref[1]), rtol=1e-6)
    np.testing.assert_array_equal(_np(ours[2]), _np(ref[2]))


def test_grouped_with_zero_point_rejects_bad_block_size():
    with pytest.raises(ValueError, match="block_size"):
        quantizers.abs_max_quantize_grouped_with_zero_point(torch.ones(4, 2), 0)


@pytest.mark.parametrize(
    "shape,low,high,axis,narrow",
    [
        ((4, 5), -1.5, 2.0, None, False),
        ((4, 5), -0.3, 0.7, None, True),
        ((3, 4), [-1.0, -0.5, -2, -0.1], [1.0, 2.0, 0.5, 0.1], -1, False),
    ],
)
def test_fake_quant_matches_keras_values_and_gradients(keras, shape, low, high, axis, narrow):
    x = np.random.default_rng(3).normal(size=shape).astype("float32") * 1.5
    low, high = np.asarray(low, "float32"), np.asarray(high, "float32")
    grads = []
    for module in (quantizers, keras.quantizers):
        xt, lt, ht = (torch.tensor(v, requires_grad=True) for v in (x, low, high))
        out = module.fake_quant_with_min_max_vars(xt, lt, ht, num_bits=8, narrow_range=narrow, axis=axis)
        (out * torch.arange(out.numel()).reshape(out.shape)).sum().backward()
        grads.append([_np(out), _np(xt.grad), _np(lt.grad), _np(ht.grad)])
    for ours, ref in zip(*grads):
        np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-6)
    # the output lies on the nudged grid inside the range
    assert grads[0][0].min() >= low.min() - 1e-2 and grads[0][0].max() <= high.max() + 1e-2


def test_float8_scale_and_history_match_keras(keras):
    amax = np.array([3.0, 0.0, np.inf, 10.0], "float32")
    scale = np.array([0.5, 0.25, 2.0, 1.0], "float32")
    for a, s in zip(amax, scale):
        ours = quantizers.compute_float8_scale(torch.tensor(a), torch.tensor(s), 448.0, margin=1)
        ref = keras.quantizers.compute_float8_scale(
            keras.ops.convert_to_tensor(a), keras.ops.convert_to_tensor(s), 448.0, margin=1
        )
        np.testing.assert_allclose(_np(ours), _np(ref), rtol=1e-6)
    history = np.array([1.0, 2.0, 3.0], "float32")
    x = np.array([[-7.0, 2.0]], "float32")
    ours = quantizers.compute_float8_amax_history(torch.tensor(x), torch.tensor(history))
    np.testing.assert_array_equal(_np(ours), [7.0, 3.0, 1.0])
    ref = keras.quantizers.compute_float8_amax_history(
        keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(history)
    )
    np.testing.assert_array_equal(_np(ours), _np(ref))


@pytest.mark.parametrize("dtype", ["float8_e4m3fn", "float8_e5m2"])
def test_quantize_and_dequantize_matches_keras(keras, dtype):
    x = np.random.default_rng(4).normal(size=(5, 6)).astype("float32") * 100
    ours = quantizers.quantize_and_dequantize(torch.tensor(x), 0.5, dtype, "float32")
    ref = keras.quantizers.quantize_and_dequantize(keras.ops.convert_to_tensor(x), 0.5, dtype, "float32")
    np.testing.assert_array_equal(_np(ours), _np(ref))


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_pack_unpack_int4_match_keras(keras, axis, dtype):
    low, high = (-8, 8) if dtype == "int8" else (0, 16)
    x = np.random.default_rng(5).integers(low, high, size=(5, 3, 7)).astype(dtype)
    packed, shape, length = quantizers.pack_int4(torch.tensor(x), axis=axis, dtype=dtype)
    ref_packed, ref_shape, ref_length = keras.quantizers.pack_int4(
        keras.ops.convert_to_tensor(x), axis=axis, dtype=dtype
    )
    np.testing.assert_array_equal(_np(packed), _np(ref_packed))
    assert (shape, length) == (ref_shape, ref_length)
    unpacked = quantizers.unpack_int4(packed, length, axis=axis, dtype=dtype)
    np.testing.assert_array_equal(_np(unpacked), x)


def test_pack_int4_documented_example():
    packed, shape, length = quantizers.pack_int4(torch.tensor([[-3, 7], [2, -8], [1, 0]], dtype=torch.int8))
    np.testing.assert_array_equal(_np(packed), [[45, -121], [1, 0]])
    assert (shape, length) == ((2, 2), 3)


def test_pack_int4_errors():
    with pytest.raises(ValueError, match="dtype"):
        quantizers.pack_int4(torch.zeros(2, dtype=torch.int8), dtype="int16")
    with pytest.raises(TypeError, match="int8"):
        quantizers.pack_int4(torch.zeros(2, dtype=torch.int32))


def test_abs_max_quantizer_call_config_and_registry(keras):
    x = np.random.default_rng(6).normal(size=(4, 8)).astype("float32")
    quantizer = quantizers.AbsMaxQuantizer(axis=0, value_range=(-100, 100))
    q, s = quantizer(torch.tensor(x))
    ref_q, ref_s = keras.quantizers.AbsMaxQuantizer(axis=0, value_range=(-100, 100))(
        keras.ops.convert_to_tensor(x)
    )
    np.testing.assert_array_equal(_np(q), _np(ref_q))
    assert s.shape == (1, 8)
    config = quantizers.serialize(quantizer)
    assert config["class_name"] == "AbsMaxQuantizer" and config["module"] == "keras.quantizers"
    rebuilt = quantizers.deserialize(config)
    assert isinstance(rebuilt, quantizers.AbsMaxQuantizer) and rebuilt.get_config() == quantizer.get_config()
    assert isinstance(quantizers.get("abs_max_quantizer"), quantizers.AbsMaxQuantizer)
    assert quantizers.get(None) is None
    # a config written by Keras loads here
    assert quantizers.deserialize(
        keras.quantizers.serialize(keras.quantizers.AbsMaxQuantizer(axis=0))
    ).axis == (0,)
    with pytest.raises(ValueError, match="value_range"):
        quantizers.AbsMaxQuantizer(value_range=(-200, 127))


def test_base_quantizer_is_identity_without_config():
    x = torch.ones(2)
    assert quantizers.Quantizer()(x) is x
    with pytest.raises(NotImplementedError):
        quantizers.Quantizer().get_config()
