"""Image utils: the same arrays and files as Keras's (both use Pillow)."""

import io

import numpy as np
import pytest
import torch

import torchkeras as tk

pytest.importorskip("PIL")


@pytest.fixture
def image():
    return np.random.default_rng(0).uniform(0, 255, size=(12, 16, 3)).astype("float32")


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("scale", [True, False])
def test_array_round_trip_matches_keras(keras, image, data_format, scale):
    x = image if data_format == "channels_last" else image.transpose(2, 0, 1)
    ours = tk.utils.img_to_array(tk.utils.array_to_img(x, data_format, scale=scale), data_format)
    theirs = keras.utils.img_to_array(keras.utils.array_to_img(x, data_format, scale=scale), data_format)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("color_mode", ["rgb", "grayscale", "rgba"])
@pytest.mark.parametrize(
    ("target_size", "interpolation", "keep"),
    [(None, "nearest", False), ((6, 10), "bilinear", False), ((8, 8), "bicubic", True)],
)
def test_save_and_load_match_keras(keras, image, tmp_path, color_mode, target_size, interpolation, keep):
    path = tmp_path / "picture.png"
    tk.utils.save_img(path, image)
    kwargs = {"color_mode": color_mode, "target_size": target_size, "interpolation": interpolation}
    ours = tk.utils.img_to_array(tk.utils.load_img(path, keep_aspect_ratio=keep, **kwargs))
    theirs = keras.utils.img_to_array(keras.utils.load_img(path, keep_aspect_ratio=keep, **kwargs))
    np.testing.assert_array_equal(ours, theirs)


def test_file_objects_grayscale_and_errors(image):
    buffer = io.BytesIO()
    tk.utils.save_img(buffer, image[:, :, :1], file_format="png", scale=False)
    buffer.seek(0)
    loaded = tk.utils.img_to_array(tk.utils.load_img(buffer, color_mode="grayscale"))
    np.testing.assert_array_equal(loaded[:, :, 0], image[:, :, 0].astype("uint8"))
    with pytest.raises(ValueError, match="rank 3"):
        tk.utils.array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="color_mode"):
        tk.utils.load_img(buffer, color_mode="cmyk")
    with pytest.raises(TypeError, match="path"):
        tk.utils.load_img(3)


@pytest.mark.parametrize("size", [(8, 8), (6, 16), (12, 4)])
def test_smart_resize_matches_keras(keras, image, size):
    from torchkeras.utils.image_utils import smart_resize

    ours = smart_resize(image, size)
    theirs = keras.preprocessing.image.smart_resize(image, size)
    np.testing.assert_allclose(ours.numpy(), keras.ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-3)
    batch = smart_resize(torch.as_tensor(image)[None], size)
    assert batch.shape == (1, *size, 3)
