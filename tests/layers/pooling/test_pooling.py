"""MaxPooling / AveragePooling 1D-3D: parity with Keras 3 and with a reference that averages
only the real cells of each "same" window."""

import itertools

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers import pooling
from torchkeras.utils.registry import get_registered_object


def _tuple(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


def _pads(n, k, s):
    out = -(-n // s)
    total = max(0, (out - 1) * s + k - n)
    return total // 2, total - total // 2


def reference_pool(x, pool_size, strides, padding, mode):
    """Pools channels-last `x` window by window, over real cells only."""
    rank = x.ndim - 2
    pool_size = _tuple(pool_size, rank)
    strides = pool_size if strides is None else _tuple(strides, rank)
    spatial = x.shape[1:-1]
    if padding == "same":
        outputs = [-(-n // s) for n, s in zip(spatial, strides)]
        lefts = [_pads(n, k, s)[0] for n, k, s in zip(spatial, pool_size, strides)]
    else:
        outputs = [(n - k) // s + 1 for n, k, s in zip(spatial, pool_size, strides)]
        lefts = [0] * rank
    result = np.zeros((x.shape[0], *outputs, x.shape[-1]), x.dtype)
    reduce = np.max if mode == "max" else np.mean
    for index in itertools.product(*(range(o) for o in outputs)):
        window = [slice(None)]
        for i, k, s, left, n in zip(index, pool_size, strides, lefts, spatial):
            start = i * s - left
            window.append(slice(max(start, 0), min(start + k, n)))
        cells = x[tuple(window)].reshape(x.shape[0], -1, x.shape[-1])
        result[(slice(None), *index)] = reduce(cells, axis=1)
    return result


def _keras_agrees(mode, spatial, pool_size, strides, padding):
    """Keras 3.15's torch backend pads asymmetric "same" average windows by replicating the
    edge, which counts padding; everywhere else it matches the reference."""
    if mode == "max" or padding == "valid":
        return True
    rank = len(spatial)
    pool_size = _tuple(pool_size, rank)
    strides = pool_size if strides is None else _tuple(strides, rank)
    return all(left == right for left, right in map(_pads, spatial, pool_size, strides))


CASES = {
    1: ((9,), [(2, None, "valid"), (5, None, "valid"), (3, 2, "same"), (4, 1, "same"), (2, 3, "same")]),
    2: (
        (7, 6),
        [
            (2, None, "valid"),
            (3, None, "valid"),
            (3, 2, "valid"),
            ((2, 3), (1, 2), "valid"),
            (1, 2, "valid"),
            (2, None, "same"),
            (3, 2, "same"),
            (3, 1, "same"),
            (4, 1, "same"),
            ((3, 2), (2, 3), "same"),
            (2, 3, "same"),
        ],
    ),
    3: ((5, 4, 3), [(2, None, "valid"), (3, 2, "same"), (2, 1, "same")]),
}
PARAMS = [(rank, *case) for rank, (_, cases) in CASES.items() for case in cases]
CLASSES = {"max": "MaxPooling", "average": "AveragePooling"}


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("rank, pool_size, strides, padding", PARAMS)
def test_pooling_matches_reference_and_keras(keras, rank, pool_size, strides, padding, mode, data_format):
    spatial = CASES[rank][0]
    x = np.random.randn(2, *spatial, 3).astype("float32")
    expected = reference_pool(x, pool_size, strides, padding, mode)
    if data_format == "channels_first":
        x, expected = np.moveaxis(x, -1, 1), np.moveaxis(expected, -1, 1)
    name = f"{CLASSES[mode]}{rank}D"
    kwargs = dict(pool_size=pool_size, strides=strides, padding=padding, data_format=data_format)
    keras_make = None
    if _keras_agrees(mode, spatial, pool_size, strides, padding):
        keras_make = lambda: getattr(keras.layers, name)(**kwargs)  # noqa: E731
    output = check_layer(lambda: getattr(pooling, name)(**kwargs), x, keras_make)
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-6)


def test_same_average_pooling_counts_only_real_cells():
    # pool 4, stride 1 on 5 steps pads (1, 2): the first window holds 3 real cells, not 4.
    x = torch.arange(5, dtype=torch.float32).reshape(1, 5, 1)
    y = pooling.AveragePooling1D(4, strides=1, padding="same")(x)
    np.testing.assert_allclose(y.numpy().ravel(), [1.0, 1.5, 2.5, 3.0, 3.5])
    y = pooling.MaxPooling1D(4, strides=1, padding="same")(-x)
    np.testing.assert_allclose(y.numpy().ravel(), [0.0, 0.0, -1.0, -2.0, -3.0])


def test_gradients_and_views():
    x = torch.randn(2, 6, 6, 3, requires_grad=True)
    y = pooling.AveragePooling2D(3, strides=2, padding="same")(x)
    assert y.shape == (2, 3, 3, 3)
    y.sum().backward()
    assert x.grad.shape == x.shape


def test_defaults_config_and_aliases(keras):
    layer = pooling.MaxPooling2D(name="p")
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2)
    assert layer.get_config() == keras.layers.MaxPooling2D(name="p").get_config()
    kwargs = dict(strides=1, padding="same", data_format="channels_first", name="a")
    assert (
        pooling.AveragePooling1D(3, **kwargs).get_config()
        == keras.layers.AveragePooling1D(3, **kwargs).get_config()
    )
    assert pooling.MaxPooling3D(name="m").get_config() == keras.layers.MaxPooling3D(name="m").get_config()
    for rank in (1, 2, 3):
        assert getattr(pooling, f"MaxPool{rank}D") is getattr(pooling, f"MaxPooling{rank}D")
        assert getattr(pooling, f"AvgPool{rank}D") is getattr(pooling, f"AveragePooling{rank}D")
        assert get_registered_object(f"AvgPool{rank}D") is getattr(pooling, f"AveragePooling{rank}D")
    assert pooling.MaxPooling2D().count_params() == 0
    assert pooling.MaxPooling2D(3, 2, "same").compute_output_shape((None, 7, None, 4)) == (None, 4, None, 4)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: pooling.MaxPooling2D(padding="smae"), r"`padding` must be one of .*Did you mean 'same'\?"),
        (lambda: pooling.AveragePooling1D(2, padding="causal"), "padding"),
        (lambda: pooling.MaxPooling2D(0), "pool_size"),
        (lambda: pooling.AveragePooling2D((2, 2, 2)), "pool_size"),
        (lambda: pooling.MaxPooling1D(2, strides=0), "strides"),
        (lambda: pooling.MaxPooling3D(data_format="nhwc"), "data_format"),
    ],
)
def test_constructor_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_call_errors():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'mp': expected inputs of rank 4"):
        pooling.MaxPooling2D(name="mp")(np.zeros((1, 4, 4), "float32"))
    with pytest.raises(ValueError, match="too small"):
        pooling.AveragePooling2D(5)(np.zeros((1, 4, 6, 1), "float32"))
    assert pooling.AveragePooling2D(5, padding="same")(np.zeros((1, 4, 6, 1), "float32")).shape == (
        1,
        1,
        2,
        1,
    )
