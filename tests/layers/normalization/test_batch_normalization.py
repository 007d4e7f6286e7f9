"""BatchNormalization: parity with Keras in training and inference, moving statistics, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.input_layer import Input
from torchkeras.layers.normalization import BatchNormalization

RNG = np.random.default_rng(0)
CASES = [((6, 4), -1), ((6, 4), 1), ((3, 4, 5, 6), -1), ((3, 4, 5, 6), 1), ((4, 5, 3), -1), ((3, 5, 4, 6), 2)]


def _data(shape, scale=3.0, shift=1.0):
    return (RNG.normal(size=shape) * scale + shift).astype("float32")


def _assert_weights_equal(ours, theirs):
    assert len(ours.get_weights()) == len(theirs.get_weights())
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("shape", "axis"), CASES)
@pytest.mark.parametrize("training", [False, True])
def test_parity(keras, shape, axis, training):
    x = _data(shape)
    kwargs = {"axis": axis, "momentum": 0.9, "moving_mean_initializer": "random_normal"}
    check_layer(
        lambda: BatchNormalization(**kwargs),
        x,
        lambda: keras.layers.BatchNormalization(**kwargs),
        call_kwargs={"training": training},
        rtol=1e-4,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"center": False},
        {"scale": False},
        {"center": False, "scale": False, "epsilon": 0.1},
        {
            "gamma_initializer": "random_uniform",
            "beta_initializer": "ones",
            "moving_variance_initializer": "zeros",
        },
    ],
)
@pytest.mark.parametrize("training", [False, True])
def test_options_parity(keras, kwargs, training):
    x = _data((5, 3, 4))
    check_layer(
        lambda: BatchNormalization(**kwargs),
        x,
        lambda: keras.layers.BatchNormalization(**kwargs),
        call_kwargs={"training": training},
        rtol=1e-4,
    )


@pytest.mark.parametrize(("shape", "axis"), CASES)
def test_moving_statistics_after_three_training_calls(keras, shape, axis):
    ours = BatchNormalization(axis=axis, momentum=0.8)
    theirs = keras.layers.BatchNormalization(axis=axis, momentum=0.8)
    for step in range(3):
        x = _data(shape, scale=1.0 + step, shift=float(step))
        a = ours(torch.as_tensor(x), training=True)
        b = theirs(x, training=True)
        np.testing.assert_allclose(a.detach().numpy(), np.asarray(b.detach().cpu()), rtol=1e-4, atol=1e-5)
    _assert_weights_equal(ours, theirs)
    # The biased variance (what Keras keeps), not torch's unbiased running variance.
    x = torch.as_tensor(x)
    reduce = [d for d in range(x.ndim) if d != axis % x.ndim]
    assert not torch.allclose(ours.moving_variance, torch.var(x, dim=reduce, correction=1), rtol=1e-3)
    x_np = x.numpy()
    np.testing.assert_allclose(
        ours(x).detach().numpy(), np.asarray(theirs(x_np).detach().cpu()), rtol=1e-4, atol=1e-5
    )


def test_moving_statistics_reference_formula():
    layer = BatchNormalization(momentum=0.5)
    x = torch.as_tensor(_data((10, 3)))
    layer(x, training=True)
    mean, variance = x.mean(0), x.var(0, correction=0)
    torch.testing.assert_close(layer.moving_mean.detach(), 0.5 * mean)
    torch.testing.assert_close(layer.moving_variance.detach(), 0.5 + 0.5 * variance)


def test_gradients_match_keras(keras):
    x = _data((4, 5, 3))
    ours = BatchNormalization(gamma_initializer="random_normal")
    theirs = keras.layers.BatchNormalization()
    theirs.build(x.shape)
    ours.build(x.shape)
    ours.set_weights(theirs.get_weights())
    x_ours = torch.tensor(x, requires_grad=True)
    x_theirs = torch.tensor(x, requires_grad=True)
    (ours(x_ours, training=True) ** 3).sum().backward()
    (theirs(x_theirs, training=True) ** 3).sum().backward()
    np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.cpu().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(
        ours.gamma.grad.numpy(), theirs.gamma.value.grad.cpu().numpy(), rtol=1e-4, atol=1e-4
    )


def test_mask_parity(keras):
    x = _data((4, 5, 3))
    mask = RNG.random((4, 5)) > 0.3
    ours, theirs = BatchNormalization(), keras.layers.BatchNormalization()
    for _ in range(2):
        a = ours(torch.as_tensor(x), training=True, mask=torch.as_tensor(mask))
        b = theirs(x, training=True, mask=mask)
        np.testing.assert_allclose(a.detach().numpy(), np.asarray(b.detach().cpu()), rtol=1e-4, atol=1e-5)
    _assert_weights_equal(ours, theirs)
    with pytest.raises(ValueError, match="one dimension less"):
        ours(torch.as_tensor(x), training=True, mask=torch.ones(4, dtype=torch.bool))


def test_renorm_parity(keras):
    kwargs = {
        "renorm": True,
        "renorm_clipping": {"rmax": 1.5, "rmin": 0.5, "dmax": 0.3},
        "momentum": 0.8,
        "renorm_momentum": 0.7,
    }
    ours, theirs = BatchNormalization(**kwargs), keras.layers.BatchNormalization(**kwargs)
    for step in range(3):
        x = _data((8, 3), scale=2.0, shift=float(step))
        a = ours(torch.as_tensor(x), training=True)
        b = theirs(x, training=True)
        np.testing.assert_allclose(a.detach().numpy(), np.asarray(b.detach().cpu()), rtol=1e-4, atol=1e-5)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    _assert_weights_equal(ours, theirs)


def test_frozen_layer_runs_in_inference_mode(keras):
    x = _data((6, 4))
    ours = BatchNormalization(trainable=False, moving_mean_initializer="ones")
    theirs = keras.layers.BatchNormalization(trainable=False, moving_mean_initializer="ones")
    a = ours(torch.as_tensor(x), training=True)
    b = theirs(x, training=True)
    np.testing.assert_allclose(a.detach().numpy(), np.asarray(b.detach().cpu()), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a.detach().numpy(), (x - 1.0) / np.sqrt(1.0 + 1e-3), rtol=1e-5)
    np.testing.assert_array_equal(ours.get_weights()[2], np.ones(4))
    assert ours.trainable_weights == [] and len(ours.non_trainable_weights) == 4
    ours.trainable = True
    ours(torch.as_tensor(x), training=True)
    assert not np.allclose(ours.get_weights()[2], np.ones(4))


def test_weights_order_and_count_params(keras):
    ours, theirs = BatchNormalization(), keras.layers.BatchNormalization()
    ours.build((None, 5, 7))
    theirs.build((None, 5, 7))
    assert [w.name for w in ours.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in ours.trainable_weights] == ["gamma", "beta"]
    assert [type(b) for b in ours.buffers()] and len(list(ours.parameters())) == 2
    assert ours.count_params() == theirs.count_params() == 28
    assert set(ours.state_dict()) == {"gamma", "beta", "moving_mean", "moving_variance"}


def test_symbolic_training_call_leaves_statistics_alone():
    for kwargs in ({}, {"renorm": True}):
        layer = BatchNormalization(**kwargs)
        output = layer(Input(shape=(5, 4)), training=True)
        assert output.shape == (None, 5, 4)
        for weight, expected in zip(layer.get_weights(), [1, 0, 0, 1, 1, 0, 1]):
            np.testing.assert_array_equal(weight, np.full(4, expected, "float32"))


def test_single_value_per_channel_in_training(keras):
    x = _data((1, 3))
    check_layer(BatchNormalization, x, keras.layers.BatchNormalization, call_kwargs={"training": True})


def test_mixed_precision(keras):
    x = _data((8, 4))
    ours, theirs = (
        BatchNormalization(dtype="mixed_float16"),
        keras.layers.BatchNormalization(dtype="mixed_float16"),
    )
    a = ours(torch.as_tensor(x), training=True)
    b = theirs(x, training=True)
    assert ours.moving_mean.dtype == torch.float32  # statistics stay in float32
    np.testing.assert_allclose(
        a.detach().float().numpy(), np.asarray(b.detach().float().cpu()), rtol=1e-2, atol=1e-2
    )
    for w_ours, w_theirs in zip(ours.get_weights(), theirs.get_weights()):  # Keras rounds inputs to float16
        np.testing.assert_allclose(w_ours, w_theirs, rtol=1e-2, atol=1e-4)


def test_synchronized_statistics_single_process(tmp_path):
    distributed = torch.distributed
    if not distributed.is_available() or distributed.is_initialized():
        pytest.skip("needs torch.distributed and no running process group")
    distributed.init_process_group("gloo", init_method=f"file://{tmp_path}/store", rank=0, world_size=1)
    try:
        x = torch.as_tensor(_data((6, 5, 3)))
        synced, plain = BatchNormalization(synchronized=True), BatchNormalization()
        torch.testing.assert_close(synced(x, training=True), plain(x, training=True), rtol=1e-4, atol=1e-5)
        for a, b in zip(synced.get_weights(), plain.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    finally:
        distributed.destroy_process_group()


def test_config(keras):
    kwargs = {"axis": 1, "momentum": 0.9, "epsilon": 0.01, "center": False, "gamma_regularizer": "l2"}
    ours, theirs = BatchNormalization(**kwargs), keras.layers.BatchNormalization(**kwargs)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    ours_config.pop("name"), theirs_config.pop("name")
    assert ours_config == theirs_config
    assert BatchNormalization(synchronized=True).get_config()["synchronized"] is True


def test_errors():
    with pytest.raises(ValueError, match="axis"):
        BatchNormalization(axis=[1, 2])
    with pytest.raises(ValueError, match="out of bounds"):
        BatchNormalization(axis=3)(torch.ones(2, 3))
    with pytest.raises(ValueError, match="momentum"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="renorm_clipping"):
        BatchNormalization(renorm=True, renorm_clipping={"rmax": 0.5, "rmin": 1.0})
    with pytest.raises(ValueError, match="renorm_clipping"):
        BatchNormalization(renorm=True, renorm_clipping={"bad": 1.0})
    layer = BatchNormalization()
    layer(torch.ones(2, 3))
    with pytest.raises(ValueError, match="with 3 features"):
        layer(torch.ones(2, 4))
    with pytest.raises(ValueError, match="rank 2"):
        layer(torch.ones(2, 5, 3))
    with pytest.raises(ValueError, match="known size"):
        BatchNormalization(axis=1)(Input(batch_shape=(None, None, 3)))
