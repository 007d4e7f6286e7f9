"""GPTQ: the zero-point arithmetic, the Hessian and the column loop against Keras's internal
functions on the same tensors, then `model.quantize("gptq", ...)` end to end.

Where Keras 3.15.1 is wrong the tests follow the reference GPTQ and say so:
- a group straddling two blocks gets its scale/zero once (Keras recomputes it at the block
  boundary and returns one group too many, which the layer cannot hold);
- g_idx holds whole group numbers (Keras stores `column / group_size` unfloored; both floor to the
  same group when used);
- calibration sees the layers' inputs (Keras hooks `layer.call`, which a quantized layer never
  runs, so its Hessians stay zero and GPTQ degrades to round-to-nearest).
"""

import numpy as np
import pytest
import torch

import torchkeras
from tests.quantizers.tiny_lm import (
    Tokenizer,
    calibrated_layers,
    dataset,
    keras_with_working_hooks,
    lm_class,
    twin_models,
)
from torchkeras.layers.core.calibrated_quantization import calibrated_kernel
from torchkeras.quantizers import gptq as gptq_lib
from torchkeras.quantizers import zero_point

__all__ = ["keras_with_working_hooks"]  # a fixture


def _np(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        return (x.float() if x.dtype == torch.bfloat16 else x).numpy()
    return np.asarray(x)


@pytest.fixture
def kq(keras):
    from keras.src.quantizers import quantizers as keras_quantizers

    return keras_quantizers


@pytest.mark.parametrize("bits", [2, 4, 8])
@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("per_channel,group_size", [(False, -1), (True, -1), (True, 4), (True, 5)])
@pytest.mark.parametrize("signed", [False, True])
def test_quantization_parameters_match_keras(kq, bits, symmetric, per_channel, group_size, signed):
    x = np.random.default_rng(3).normal(size=(6, 12)).astype("float32")
    x[0] = 0.5  # a constant row: the range widens to [min - 1, max + 1]
    # every group holds a negative value (all-positive ones differ on purpose, see the next test)
    x[1:, ::4] = -np.abs(x[1:, ::4])
    x[1:, ::5] = -np.abs(x[1:, ::5])
    x[2, :5] = -np.abs(x[2, :5])  # an all-negative group: zero point above maxq, still valid
    ours = zero_point.compute_quantization_parameters(
        torch.tensor(x),
        bits=bits,
        symmetric=symmetric,
        per_channel=per_channel,
        group_size=group_size,
        signed=signed,
    )
    ref = kq.compute_quantization_parameters(
        torch.tensor(x),
        bits=bits,
        symmetric=symmetric,
        per_channel=per_channel,
        group_size=group_size,
        signed=signed,
    )
    assert ours[0].shape == ref[0].shape and ours[1].dtype == ref[1].dtype
    np.testing.assert_allclose(_np(ours[0]), _np(ref[0]), rtol=1e-6)
    np.testing.assert_array_equal(_np(ours[1]), _np(ref[1]))
    assert float(ours[2]) == float(ref[2])


def test_all_positive_range_starts_at_zero(kq):
    # Keras 3.15 gives an all-positive range a negative zero point and casts it to uint8 (-3 -> 253),
    # so the group dequantizes to garbage; torchkeras starts such a range at 0.
    x = torch.tensor([[0.2, 0.5, 1.0, 1.7], [-1.0, 0.5, 0.25, 2.0]])
    scale, zero, maxq = zero_point.compute_quantization_parameters(x, bits=4, per_channel=True)
    np.testing.assert_allclose(_np(scale[:, 0]), [1.7 / 15, 3.0 / 15], rtol=1e-6)
    assert _np(zero).tolist() == [[0], [5]]
    deq = zero_point.dequantize_with_zero_point(
        zero_point.quantize_with_zero_point(x, scale, zero, maxq), scale, zero
    )
    assert np.all(np.abs(_np(deq) - _np(x)) <= _np(scale) + 1e-6)
    keras_zero = kq.compute_quantization_parameters(x, bits=4, per_channel=True)[1]
    assert int(keras_zero[0, 0]) > 15  # the wrapped-around zero point this replaces


def test_quantization_parameters_errors():
    with pytest.raises(ValueError, match="x"):
        zero_point.compute_quantization_parameters(None, bits=4)
    with pytest.raises(ValueError, match="rank"):
        zero_point.compute_quantization_parameters(torch.ones(3), bits=4)
    with pytest.raises(ValueError, match="empty"):
        zero_point.compute_quantization_parameters(torch.ones(2, 0), bits=4)


def test_quantize_dequantize_and_sz_map_match_keras(kq):
    rng = np.random.default_rng(4)
    w = torch.tensor(rng.normal(size=(5, 10)).astype("float32"))
    w[1, :4] = -w[1, :4].abs()  # this seed has an all-positive group (see the test above)
    scale, zero, maxq = zero_point.compute_quantization_parameters(w, bits=4, per_channel=True, group_size=4)
    g_idx = zero_point.group_indices(10, 4)
    np.testing.assert_array_equal(_np(g_idx), np.arange(10) // 4)
    q = zero_point.quantize_with_sz_map(w, scale, zero, g_idx, maxq)
    np.testing.assert_array_equal(_np(q), _np(kq.quantize_with_sz_map(w, scale, zero, g_idx, maxq)))
    deq = zero_point.dequantize_with_sz_map(q, scale, zero, g_idx)
    np.testing.assert_allclose(_np(deq), _np(kq.dequantize_with_sz_map(q, scale, zero, g_idx)), rtol=1e-6)
    # reference formula: within one step of the original (half a step of rounding, and the rounded
    # zero point shifts the grid by at most another half at the ends of the range)
    steps = _np(scale)[:, _np(g_idx).astype(int)]
    assert np.all(np.abs(_np(deq) - _np(w)) <= steps + 1e-6)
    col = w[:, :1]
    s, z, m = zero_point.compute_quantization_parameters(col, bits=3, per_channel=True)
    np.testing.assert_array_equal(
        _np(zero_point.quantize_with_zero_point(col, s, z, m)), _np(kq.quantize_with_zero_point(col, s, z, m))
    )
    qc = zero_point.quantize_with_zero_point(col, s, z, m)
    np.testing.assert_allclose(
        _np(zero_point.dequantize_with_zero_point(qc, s, z)), _np(kq.dequantize_with_zero_point(qc, s, z))
    )


def _inverse_hessian(rng, n):
    x = rng.normal(size=(64, n)).astype("float32")
    h = 2 * x.T @ x / 64 + 0.01 * np.eye(n, dtype="float32")
    return np.linalg.inv(h).astype("float32")


# Groups that never straddle a block: Keras's loop is right there.
@pytest.mark.parametrize("group_size,blocksize", [(-1, 128), (4, 4), (4, 8), (8, 8), (4, 128), (8, 128)])
@pytest.mark.parametrize("activation_order", [False, True])
def test_gptq_quantize_matrix_matches_keras(keras, group_size, activation_order, blocksize):
    from keras.src.quantizers import gptq as keras_gptq

    rng = np.random.default_rng(5)
    w = rng.normal(size=(6, 16)).astype("float32")
    inv_h = _inverse_hessian(rng, 16)

    # both loops get torchkeras's scale/zero (compared with Keras's above) so that Keras's
    # all-positive-group wrap-around does not blur the comparison of the loops themselves
    params = keras_params = _params(group_size)
    ours = gptq_lib.gptq_quantize_matrix(
        torch.tensor(w), torch.tensor(inv_h), blocksize=blocksize, group_size=group_size,
        activation_order=activation_order, compute_scale_zero=params,
    )  # fmt: skip
    ref = keras_gptq.gptq_quantize_matrix(
        torch.tensor(w), torch.tensor(inv_h), blocksize=blocksize, group_size=group_size,
        activation_order=activation_order, compute_scale_zero=keras_params,
    )  # fmt: skip
    np.testing.assert_array_equal(_np(ours[0]), _np(ref[0]))
    np.testing.assert_allclose(_np(ours[1]), _np(ref[1]), rtol=1e-5)
    np.testing.assert_array_equal(_np(ours[2]), _np(ref[2]))
    # Keras keeps g_idx as column / group_size; the group is its floor
    np.testing.assert_array_equal(_np(ours[3]), np.floor(_np(ref[3])))


def _params(group_size):
    def params(columns):
        return zero_point.compute_quantization_parameters(
            columns, bits=4, per_channel=True, group_size=group_size
        )

    return params


@pytest.mark.parametrize("activation_order", [False, True])
def test_gptq_one_group_does_not_depend_on_blocksize(activation_order):
    # The lazy block updates are exact: with one group (its scale taken from the untouched weights)
    # every blocksize quantizes alike. Keras 3.15 recomputes the group at each block and returns one
    # scale column per block.
    rng = np.random.default_rng(6)
    w = torch.tensor(rng.normal(size=(6, 16)).astype("float32"))
    inv_h = torch.tensor(_inverse_hessian(rng, 16))
    results = [
        gptq_lib.gptq_quantize_matrix(
            w,
            inv_h,
            blocksize=b,
            group_size=-1,
            activation_order=activation_order,
            compute_scale_zero=_params(-1),
        )
        for b in (3, 5, 16)
    ]
    for quantized, scale, zero, g_idx in results:
        assert scale.shape == (6, 1) and zero.shape == (6, 1)
        np.testing.assert_array_equal(_np(quantized), _np(results[0][0]))
        np.testing.assert_array_equal(_np(g_idx), np.zeros(16))


def test_gptq_group_straddling_blocks_keeps_one_scale_per_group(keras):
    from keras.src.quantizers import gptq as keras_gptq

    rng = np.random.default_rng(7)
    w = torch.tensor(rng.normal(size=(6, 16)).astype("float32"))
    inv_h = torch.tensor(_inverse_hessian(rng, 16))
    quantized, scale, zero, g_idx = gptq_lib.gptq_quantize_matrix(
        w, inv_h, blocksize=6, group_size=4, compute_scale_zero=_params(4)
    )
    assert scale.shape == (6, 4) and zero.shape == (6, 4)
    np.testing.assert_array_equal(_np(g_idx), np.arange(16) // 4)
    # the first block (columns 0-5) is Keras's; from there Keras has recomputed group 1 at column 6
    ref = keras_gptq.gptq_quantize_matrix(w, inv_h, blocksize=6, group_size=4, compute_scale_zero=_params(4))
    assert ref[1].shape[1] == 5  # Keras: one group too many
    np.testing.assert_array_equal(_np(quantized[:, :6]), _np(ref[0][:, :6]))
    # reference formula: each column dequantizes within its group's step of the updated weight
    deq = zero_point.dequantize_with_sz_map(quantized, scale, zero, g_idx)
    assert np.max(np.abs(_np(deq) - _np(w))) < 4 * float(scale.max())


def test_hessian_running_mean_matches_keras_and_formula(keras):
    from keras.src.quantizers import gptq as keras_gptq
    from keras.src.quantizers.gptq_config import GPTQConfig as KerasGPTQConfig

    rng = np.random.default_rng(8)
    batches = [rng.normal(size=(2, 5, 12)).astype("float32"), rng.normal(size=(3, 12)).astype("float32")]
    layer = keras.layers.Dense(4)
    layer.build((None, 12))
    ref = keras_gptq.GPTQ(layer, KerasGPTQConfig(dataset=None, tokenizer=None))
    ours = gptq_lib.GPTQ(torch.zeros(12, 4), None)
    for batch in batches:
        ref.update_hessian_with_batch(torch.tensor(batch))
        ours.update_hessian_with_batch(torch.tensor(batch))
    np.testing.assert_allclose(_np(ours.hessian), _np(ref.hessian), rtol=1e-5, atol=1e-6)
    x = np.concatenate([b.reshape(-1, 12) for b in batches])
    np.testing.assert_allclose(_np(ours.hessian), 2 * x.T @ x / len(x), rtol=1e-5, atol=1e-5)
    assert ours.num_samples == 13
    with pytest.raises(ValueError, match="do not match"):
        ours.update_hessian_with_batch(torch.ones(2, 3))
    with pytest.raises(ValueError, match="rank"):
        ours.update_hessian_with_batch(torch.ones(3))


@pytest.mark.parametrize(
    "options",
    [
        {"weight_bits": 4, "group_size": -1},
        {"weight_bits": 8, "group_size": 4, "symmetric": True},
        {"weight_bits": 3, "group_size": 8, "activation_order": True},
        {"weight_bits": 2, "group_size": -1, "activation_order": True, "hessian_damping": 0.1},
    ],
)
def test_layer_quantization_matches_keras(keras, options):
    """Keras's `GPTQ` on a Keras Dense (its inputs fed by hand) against ours on the same kernel."""
    from keras.src.quantizers import gptq as keras_gptq
    from keras.src.quantizers.gptq_config import GPTQConfig as KerasGPTQConfig

    rng = np.random.default_rng(9)
    config = KerasGPTQConfig(dataset=None, tokenizer=None, **options)
    layer = keras.layers.Dense(6)
    layer.build((None, 16))
    layer.quantize("gptq", config=config)
    kernel = torch.tensor(_np(layer._kernel))
    inputs = [torch.tensor(rng.normal(size=(4, 16)).astype("float32")) for _ in range(3)]
    for x in inputs:
        x[:, 3] = 0.0  # a dead input: its Hessian diagonal is replaced by 1
    ref = keras_gptq.GPTQ(layer, config)
    ours = gptq_lib.GPTQ(kernel, torchkeras.quantizers.GPTQConfig(None, None, **options))
    for x in inputs:
        ref.update_hessian_with_batch(x)
        ours.update_hessian_with_batch(x)
    ref.quantize_and_correct_layer()
    quantized, scale, zero, g_idx = ours.quantize()
    ref_quantized = _np(layer.quantized_kernel)
    if options["weight_bits"] == 4:
        ref_quantized = _np(keras.quantizers.unpack_int4(layer.quantized_kernel, 6, axis=0, dtype="uint8"))
    np.testing.assert_array_equal(_np(quantized), ref_quantized)
    np.testing.assert_allclose(_np(scale), _np(layer.kernel_scale), rtol=1e-5)
    np.testing.assert_array_equal(_np(zero), _np(layer.kernel_zero))
    np.testing.assert_array_equal(_np(g_idx), np.floor(_np(layer.g_idx)))


# ---------------------------------------------------------------------------- model.quantize


@pytest.mark.parametrize(
    "options",
    [
        {"weight_bits": 4, "group_size": 8},
        {"weight_bits": 8, "group_size": -1, "activation_order": True},
        {"weight_bits": 3, "group_size": 4, "symmetric": True},
    ],
)
def test_model_quantize_matches_keras(keras_with_working_hooks, options):
    import warnings

    keras = keras_with_working_hooks
    ref, ours, tokens = twin_models(keras)
    settings = {"num_samples": 6, "sequence_length": 10, **options}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns for the embedding it cannot quantize
        ref.quantize("gptq", config=keras.quantizers.GPTQConfig(dataset(), Tokenizer(), **settings))
    ours.quantize("gptq", config=torchkeras.quantizers.GPTQConfig(dataset(), Tokenizer(), **settings))
    for mine, theirs in zip(calibrated_layers(ours), calibrated_layers(ref)):
        assert mine.dtype_policy.name == theirs.dtype_policy.name
        assert theirs.is_gptq_calibrated
        np.testing.assert_allclose(_np(mine.kernel_scale), _np(theirs.kernel_scale), rtol=1e-4)
        np.testing.assert_array_equal(_np(mine.kernel_zero), _np(theirs.kernel_zero))
        levels, their_levels = _np(mine.quantized_kernel), _np(theirs.quantized_kernel)
        assert levels.shape == their_levels.shape and levels.dtype == their_levels.dtype
        np.testing.assert_array_equal(levels, their_levels)
    np.testing.assert_allclose(_np(ours(tokens)), _np(ref(tokens)), rtol=1e-5, atol=1e-5)


def _quantized_lm(config_options=None, seed=2):
    torchkeras.utils.set_random_seed(seed)
    model = lm_class(torchkeras)()
    tokens = np.random.default_rng(16).integers(0, 24, size=(2, 10)).astype("int32")
    before = _np(model(tokens))
    options = {"num_samples": 6, "sequence_length": 10, "group_size": 8, **(config_options or {})}
    config = torchkeras.quantizers.GPTQConfig(dataset(), Tokenizer(), **options)
    return model, tokens, before, config


def test_quantized_model_layout_policies_and_outputs():
    model, tokens, before, config = _quantized_lm()
    model.quantize("gptq", config=config)
    up = model.blocks[0].up
    assert up.dtype_policy == torchkeras.dtype_policies.GPTQDTypePolicy("gptq/4/8", "float32")
    assert [w.path.split("/")[-1] for w in up.weights] == [
        "bias",
        "kernel",
        "kernel_scale",
        "kernel_zero",
        "g_idx",
    ]
    assert (
        up.quantized_kernel.shape == (16, 16) and up.quantized_kernel.dtype == torch.uint8
    )  # 32 units packed
    assert up.kernel_scale.shape == (32, 2) and up.kernel_zero.dtype == torch.uint8
    np.testing.assert_array_equal(_np(up.g_idx), np.arange(16) // 8)
    query = model.blocks[0].query  # (16, 2, 4): a query projection, 16 rows by 8 columns
    assert query.quantized_kernel.shape == (4, 16) and query.kernel_scale.shape == (8, 2)
    assert query.get_config()["gptq_unpacked_column_size"] == 8
    output = model.blocks[0].attention_output  # (2, 4, 16): 8 rows by 16 columns
    assert output.quantized_kernel.shape == (8, 8) and output.kernel_scale.shape == (16, 1)
    # layers outside the blocks stay float (Keras marks them gptq and never calibrates them)
    assert model.head.quantization_mode is None and model.embedding.quantization_mode is None
    after = _np(model(tokens))
    assert np.max(np.abs(after - before)) < 0.1 * np.max(np.abs(before))


def test_calibration_uses_the_layer_inputs():
    """GPTQ with the calibration's Hessian beats round-to-nearest on the calibration inputs."""
    model, tokens, _, config = _quantized_lm({"group_size": -1, "weight_bits": 3})
    layer = model.blocks[0].up
    kernel = layer.kernel.detach().clone()
    inputs = []
    handle = layer.register_forward_pre_hook(lambda module, args: inputs.append(args[0].detach()))
    model.quantize("gptq", config=config)
    handle.remove()
    x = torch.cat([i.reshape(-1, 16) for i in inputs[:6]])
    gptq_error = torch.linalg.norm(x @ calibrated_kernel(layer) - x @ kernel)
    rtn = gptq_lib.GPTQ(kernel, config)  # a zero Hessian: what Keras 3.15 computes
    quantized, scale, zero, g_idx = rtn.quantize()
    rtn_kernel = zero_point.dequantize_with_sz_map(quantized, scale, zero, g_idx).T
    rtn_error = torch.linalg.norm(x @ rtn_kernel - x @ kernel)
    assert gptq_error < 0.9 * rtn_error


@pytest.mark.parametrize("extension", ["weights.h5", "weights.safetensors"])
def test_weights_round_trip(tmp_path, extension):
    model, tokens, _, config = _quantized_lm({"weight_bits": 8, "activation_order": True})
    model.quantize("gptq", config=config)
    path = str(tmp_path / f"model.{extension}")
    model.save_weights(path)
    loaded = lm_class(torchkeras)()
    loaded(tokens)
    loaded.quantize("gptq", config=config)  # the layers in the mode; the file fills them
    loaded.load_weights(path)
    np.testing.assert_allclose(_np(loaded(tokens)), _np(model(tokens)), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(_np(loaded.blocks[1].up.kernel_zero), _np(model.blocks[1].up.kernel_zero))


def _functional_lm(k, group_size=8):
    inputs = k.Input((10,), dtype="int32")
    embedding = k.layers.Embedding(24, 16)
    up, down = k.layers.Dense(32, activation="relu"), k.layers.Dense(16)
    query = k.layers.EinsumDense("btd,dhk->bthk", (None, 2, 4))
    x = embedding(inputs)
    model = k.Model(inputs, [down(up(x)), query(x)])
    model.get_quantization_layer_structure = lambda mode: {
        "pre_block_layers": [embedding],
        "sequential_blocks": [up, down, query],
    }
    return model


def test_keras_file_round_trip_and_keras_loads_it(keras, tmp_path):
    """A `.keras` file of a GPTQ model: torchkeras reads it back, and so does Keras, which computes
    the same outputs (Keras 3.15 cannot read its own GPTQ files: it leaves `kernel_zero` out)."""
    torchkeras.utils.set_random_seed(3)
    model = _functional_lm(torchkeras)
    config = torchkeras.quantizers.GPTQConfig(
        dataset(), None, num_samples=4, sequence_length=10, group_size=8
    )
    model.quantize("gptq", config=config)
    tokens = np.random.default_rng(17).integers(0, 24, size=(2, 10)).astype("int32")
    expected = [_np(y) for y in model(tokens)]
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = torchkeras.models.load_model(path)
    for mine, theirs in zip(loaded(tokens), expected):
        np.testing.assert_allclose(_np(mine), theirs, rtol=1e-6, atol=1e-6)
    assert loaded.layers[2].dtype_policy.name == "gptq/4/8_from_float32"
    assert loaded.layers[2].quantization_config.group_size == 8
    reference = keras.models.load_model(path)
    for mine, theirs in zip(reference(tokens), expected):
        np.testing.assert_allclose(_np(mine), theirs, rtol=1e-5, atol=1e-6)
    assert reference.layers[2].is_gptq_calibrated


def test_quantize_errors_leave_the_model_unchanged():
    model, _, _, config = _quantized_lm()
    with pytest.raises(ValueError, match="GPTQConfig"):
        model.quantize("gptq")
    bare = torchkeras.quantizers.GPTQConfig(dataset(), None, num_samples=2, sequence_length=10)
    plain = torchkeras.Sequential([torchkeras.Input((4,)), torchkeras.layers.Dense(3)])
    with pytest.raises(ValueError, match="quantization structure"):
        plain.quantize("gptq", config=bare)
    assert plain.layers[0].quantization_mode is None
    no_data = torchkeras.quantizers.GPTQConfig(None, None)
    with pytest.raises(ValueError, match="dataset"):
        model.quantize("gptq", config=no_data)
    with pytest.raises(ValueError, match="Contradictory"):
        model.quantize("awq", config=config)
    assert all(layer.quantization_mode is None for layer in calibrated_layers(model))
    model.blocks[1].down.quantize("int8")
    with pytest.raises(ValueError, match="already quantized"):
        model.quantize("gptq", config=config)
    others = [layer for layer in calibrated_layers(model) if layer is not model.blocks[1].down]
    assert all(layer.quantization_mode is None for layer in others)


def test_filters_pick_the_layers():
    model, tokens, _, config = _quantized_lm()
    model.quantize("gptq", config=config, filters="einsum")
    modes = {type(layer).__name__: layer.quantization_mode for layer in calibrated_layers(model)}
    assert modes == {"Dense": None, "EinsumDense": "gptq"}
    assert model(tokens).shape == (2, 10, 24)


def test_config_arguments_and_round_trip(keras):
    config = torchkeras.quantizers.GPTQConfig(
        [np.arange(5)], None, weight_bits=3, group_size=-1, symmetric=True, activation_order=True
    )
    assert config.mode == "gptq" and config.dtype_policy_string() == "gptq/3/-1"
    reference = keras.quantizers.GPTQConfig(
        None, None, weight_bits=3, group_size=-1, symmetric=True, activation_order=True
    )
    assert config.get_config() == reference.get_config()
    restored = torchkeras.quantizers.deserialize(torchkeras.quantizers.serialize(config))
    assert isinstance(restored, torchkeras.quantizers.GPTQConfig) and restored.dataset is None
    assert restored.get_config() == config.get_config()
    for bad, match in [
        ({"weight_bits": 5}, "weight_bits"),
        ({"num_samples": 0}, "num_samples"),
        ({"sequence_length": -1}, "sequence_length"),
        ({"hessian_damping": 1.5}, "hessian_damping"),
        ({"group_size": 0}, "group_size"),
    ]:
        with pytest.raises(ValueError, match=match):
            torchkeras.quantizers.GPTQConfig(None, None, **bad)


def test_dtype_policy_matches_keras(keras):
    policy = torchkeras.dtype_policies.get("gptq/8/-1_from_mixed_bfloat16")
    reference = keras.dtype_policies.get("gptq/8/-1_from_mixed_bfloat16")
    assert isinstance(policy, torchkeras.dtype_policies.GPTQDTypePolicy)
    assert (policy.name, policy.quantization_mode, policy.weight_bits, policy.group_size) == (
        reference.name,
        reference.quantization_mode,
        reference.weight_bits,
        reference.group_size,
    )
    assert (policy.compute_dtype, policy.variable_dtype) == ("bfloat16", "float32")
    assert torchkeras.dtype_policies.serialize(policy) == keras.dtype_policies.serialize(reference)
    assert torchkeras.dtype_policies.deserialize(keras.dtype_policies.serialize(reference)) == policy
    for bad, match in [("gptq/4", "format"), ("gptq/x/8", "integers"), ("gptq/5/8", "weight_bits"),
                       ("gptq/4/0", "group_size")]:  # fmt: skip
        with pytest.raises(ValueError, match=match):
            torchkeras.dtype_policies.GPTQDTypePolicy(bad, "float32")


def test_layer_rebuilt_from_its_config_takes_the_weights():
    """A GPTQ layer's config (policy and `quantization_config`) rebuilds a layer of the same
    variables, calibrated from the start: the weights copy straight in."""
    model, tokens, _, config = _quantized_lm({"weight_bits": 3, "group_size": 4})
    model.quantize("gptq", config=config)
    rng = np.random.default_rng(19)
    for layer, shape in (
        (model.blocks[0].up, (2, 10, 16)),
        (model.blocks[0].attention_output, (2, 10, 2, 4)),
    ):
        clone = type(layer).from_config(layer.get_config())
        assert clone.dtype_policy == layer.dtype_policy
        x = torch.tensor(rng.normal(size=shape).astype("float32"))
        clone(x)
        assert [tuple(w.shape) for w in clone.weights] == [tuple(w.shape) for w in layer.weights]
        clone.set_weights(layer.get_weights())
        np.testing.assert_allclose(_np(clone(x)), _np(layer(x)), rtol=1e-6)


def test_keras_files_without_kernel_zero_are_refused(keras_with_working_hooks, tmp_path):
    """Keras 3.15 writes GPTQ layers without `kernel_zero` (and cannot read them back); the zero
    points are lost, so torchkeras refuses such a file rather than guess them."""
    import warnings

    keras = keras_with_working_hooks
    ref, ours, _ = twin_models(keras)
    settings = {"num_samples": 2, "sequence_length": 10, "group_size": 8}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref.quantize("gptq", config=keras.quantizers.GPTQConfig(dataset(), Tokenizer(), **settings))
    path = str(tmp_path / "keras.weights.h5")
    ref.save_weights(path)
    ours.quantize("gptq", config=torchkeras.quantizers.GPTQConfig(dataset(), Tokenizer(), **settings))
    with pytest.raises(ValueError, match="has 5 weights, the file has 4"):
        ours.load_weights(path)


def test_mixed_precision_model():
    torchkeras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model, tokens, before, config = _quantized_lm()
        model.quantize("gptq", config=config)
        outputs = model(tokens)
    finally:
        torchkeras.mixed_precision.set_global_policy("float32")
    assert model.blocks[0].up.dtype_policy.name == "gptq/4/8_from_mixed_bfloat16"
    assert model.blocks[0].up.kernel_scale.dtype == torch.float32 and outputs.dtype == torch.bfloat16
    assert np.max(np.abs(_np(outputs) - before)) < 0.2 * np.max(np.abs(before))


def test_attention_block():
    """A block holding a `MultiHeadAttention`: its four EinsumDense projections are calibrated
    (the attention calls them as sublayers) and it computes without its float kernels."""
    torchkeras.utils.set_random_seed(5)

    class AttentionBlock(torchkeras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.attention = torchkeras.layers.MultiHeadAttention(num_heads=2, key_dim=8)

        def call(self, x):
            return x + self.attention(x, x)

    embedding, block = torchkeras.layers.Embedding(24, 16), AttentionBlock()
    tokens = np.random.default_rng(20).integers(0, 24, size=(2, 10)).astype("int32")
    model = torchkeras.Sequential([embedding, block])
    before = _np(model(tokens))
    model.get_quantization_layer_structure = lambda mode: {
        "pre_block_layers": [embedding],
        "sequential_blocks": [block],
    }
    config = torchkeras.quantizers.GPTQConfig(
        dataset(), None, num_samples=4, sequence_length=10, group_size=8
    )
    model.quantize("gptq", config=config)
    projections = [block.attention.query_dense, block.attention.key_dense, block.attention.value_dense,
                   block.attention.output_dense]  # fmt: skip
    assert all(layer.dtype_policy.name == "gptq/4/8_from_float32" for layer in projections)
    assert all("kernel" not in dict(layer.named_parameters()) for layer in projections)
    after = _np(model(tokens))
    assert np.max(np.abs(after - before)) < 0.1 * np.max(np.abs(before))
