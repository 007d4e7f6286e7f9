"""GlobalMaxPooling / GlobalAveragePooling 1D-3D: parity with Keras 3, keepdims, masks."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers import pooling
from torchkeras.layers.core.embedding import Embedding
from torchkeras.utils.registry import get_registered_object

SPATIAL = {1: (5,), 2: (4, 3), 3: (3, 2, 4)}


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("mode", ["Max", "Average"])
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_global_pooling_matches_keras(keras, rank, mode, data_format, keepdims):
    shape = (2, *SPATIAL[rank], 3) if data_format == "channels_last" else (2, 3, *SPATIAL[rank])
    x = np.random.randn(*shape).astype("float32")
    name = f"Global{mode}Pooling{rank}D"
    kwargs = dict(data_format=data_format, keepdims=keepdims)
    output = check_layer(
        lambda: getattr(pooling, name)(**kwargs), x, lambda: getattr(keras.layers, name)(**kwargs)
    )
    axes = tuple(range(1, rank + 1)) if data_format == "channels_last" else tuple(range(2, rank + 2))
    reduce = np.max if mode == "Max" else np.mean
    np.testing.assert_allclose(output, reduce(x, axis=axes, keepdims=keepdims), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_average_pooling1d_mask_matches_keras(keras, data_format, keepdims):
    shape = (3, 6, 4) if data_format == "channels_last" else (3, 4, 6)
    x = np.random.randn(*shape).astype("float32")
    mask = torch.tensor([[1, 1, 1, 0, 0, 0], [1, 0, 1, 0, 1, 1], [1, 1, 1, 1, 1, 1]], dtype=torch.bool)
    kwargs = dict(data_format=data_format, keepdims=keepdims)
    # Direct comparison: `check_layer`'s symbolic pass cannot pair a concrete mask with an
    # unknown batch size.
    output = pooling.GlobalAveragePooling1D(**kwargs)(torch.as_tensor(x), mask=mask).numpy()
    theirs = keras.layers.GlobalAveragePooling1D(**kwargs)(x, mask=mask)
    np.testing.assert_allclose(output, np.asarray(theirs.cpu()), rtol=1e-5, atol=1e-6)
    steps = x if data_format == "channels_last" else np.moveaxis(x, 1, 2)
    weights = mask.numpy()[..., None].astype("float32")
    expected = (steps * weights).sum(1) / weights.sum(1)
    if keepdims:
        expected = expected[:, None, :] if data_format == "channels_last" else expected[:, :, None]
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-6)


def test_mask_arrives_from_embedding_and_stops_here():
    embedding = Embedding(10, 4, mask_zero=True)
    pool = pooling.GlobalAveragePooling1D()
    ids = torch.tensor([[3, 5, 0, 0], [1, 2, 3, 4]])
    vectors = embedding(ids)
    pooled = pool(vectors)
    expected = torch.stack([vectors[0, :2].mean(0), vectors[1].mean(0)])
    np.testing.assert_allclose(pooled.detach().numpy(), expected.detach().numpy(), rtol=1e-6, atol=1e-6)
    assert getattr(pooled, "_keras_mask", None) is None


def test_config_aliases_and_shapes(keras):
    kwargs = dict(data_format="channels_first", keepdims=True, name="g")
    for rank in (1, 2, 3):
        for ours, theirs in [
            ("GlobalMaxPooling", "GlobalMaxPool"),
            ("GlobalAveragePooling", "GlobalAvgPool"),
        ]:
            cls = getattr(pooling, f"{ours}{rank}D")
            assert getattr(pooling, f"{theirs}{rank}D") is cls
            assert get_registered_object(f"{theirs}{rank}D") is cls
            assert (
                cls(**kwargs).get_config() == getattr(keras.layers, f"{ours}{rank}D")(**kwargs).get_config()
            )
    assert pooling.GlobalMaxPooling2D().compute_output_shape((None, 5, 5, 7)) == (None, 7)
    assert pooling.GlobalMaxPooling2D(keepdims=True).compute_output_shape((None, 5, 5, 7)) == (None, 1, 1, 7)
    layer = pooling.GlobalAveragePooling3D(data_format="channels_first", keepdims=True)
    assert layer.compute_output_shape((2, 7, 3, 4, 5)) == (2, 7, 1, 1, 1)


def test_errors():
    with pytest.raises(ValueError, match=r"GlobalMaxPooling2D 'g': expected inputs of rank 4"):
        pooling.GlobalMaxPooling2D(name="g")(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="data_format"):
        pooling.GlobalAveragePooling1D(data_format="channels_lats")
