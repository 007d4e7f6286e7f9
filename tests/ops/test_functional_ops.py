"""New ops inside functional models: symbolic shapes, training, and save/load round trips."""

import numpy as np
import pytest
import torch

import torchkeras as tk
from torchkeras import ops

rng = np.random.default_rng(9)


def _patch_classifier():
    images = tk.Input((8, 8, 3))
    patches = ops.image.extract_patches(images, 4)  # (None, 2, 2, 48)
    tokens = ops.reshape(patches, (-1, 4, 48))
    hidden = tk.layers.Dense(16)(tokens)
    hidden = ops.nn.rms_normalization(hidden)
    heads = ops.reshape(hidden, (-1, 4, 2, 8))
    attended = ops.nn.dot_product_attention(heads, heads, heads)
    pooled = ops.mean(ops.reshape(attended, (-1, 4, 16)), axis=1)
    pooled = ops.nn.squareplus(pooled)
    outputs = tk.layers.Dense(3, activation="softmax")(pooled)
    return tk.Model(images, outputs)


def _data():
    x = rng.uniform(0, 1, (48, 8, 8, 3)).astype("float32")
    y = (x[:, :4, :4].mean(axis=(1, 2, 3)) > x[:, 4:, 4:].mean(axis=(1, 2, 3))).astype("int64")
    return x, y + (x[:, 0, 0, 0] > 0.8)


def test_symbolic_shapes_follow_the_ops():
    images = tk.Input((8, 8, 3))
    assert ops.image.extract_patches(images, 4).shape == (None, 2, 2, 48)
    assert ops.image.resize(images, (5, 6)).shape == (None, 5, 6, 3)
    assert ops.nn.conv(images, torch.ones(3, 3, 3, 4), padding="same", strides=2).shape == (None, 4, 4, 4)
    assert ops.nn.max_pool(images, 2).shape == (None, 4, 4, 3)
    real, imag = ops.rfft(ops.mean(images, axis=(2, 3)))
    assert real.shape == imag.shape == (None, 5)
    assert ops.linalg.qr(ops.reshape(images, (-1, 24, 8)))[1].shape == (None, 8, 8)
    assert ops.quantile(images, 0.5, axis=(1, 2)).shape == (None, 3)


def test_functional_model_with_new_ops_trains():
    torch.manual_seed(0)
    model = _patch_classifier()
    model.compile(optimizer=tk.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    x, y = _data()
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(x[:5], verbose=0).shape == (5, 3)


def _image_ops_model():
    images = tk.Input((8, 8, 3))
    gray = ops.image.rgb_to_grayscale(ops.image.resize(images, (10, 10), interpolation="bicubic"))
    warped = ops.image.affine_transform(gray, torch.tensor([1.0, 0.1, 0.5, 0.0, 1.0, -0.5, 0.0, 0.0]))
    edges = ops.image.sobel_edges(ops.image.gaussian_blur(warped, (3, 3), (1.0, 1.0)))
    cropped = ops.image.crop_images(
        ops.reshape(edges, (-1, 10, 10, 2)), 1, 1, target_height=8, target_width=8
    )
    features = tk.layers.Conv2D(4, 3)(ops.image.pad_images(cropped, 1, 1, 1, 1))
    return tk.Model(images, ops.nn.adaptive_average_pool(features, (2, 2)))


def _math_ops_model():
    signal = tk.Input((32,))
    real, imag = ops.stft(signal, 8, 4, 8)
    magnitude = ops.sqrt(ops.add(ops.square(real), ops.square(imag)))
    spectrum = ops.logaddexp(magnitude, 0.0)
    hidden = tk.layers.Dense(4)(ops.reshape(spectrum, (-1, 9 * 5)))
    norm = ops.linalg.norm(hidden, axis=-1, keepdims=True)
    kernel = torch.as_tensor(rng.standard_normal((3, 1, 2)).astype("float32"))
    conv = ops.nn.conv(ops.expand_dims(hidden, -1), kernel, padding="same")
    mixed = ops.concatenate([ops.nn.glu(conv, axis=-1), norm[..., None]], axis=1)
    return tk.Model(
        signal, ops.segment_sum(ops.transpose(mixed, (1, 0, 2)), torch.tensor([0, 0, 1, 1, 2]), 3)
    )


SAVE_CASES = {
    "patches_attention": (_patch_classifier, (4, 8, 8, 3)),
    "image_ops": (_image_ops_model, (2, 8, 8, 3)),
    "math_ops": (_math_ops_model, (3, 32)),
}


@pytest.mark.parametrize("fmt", ["keras", "safetensors"])
@pytest.mark.parametrize("case", list(SAVE_CASES))
def test_models_using_new_ops_save_and_load(case, fmt, tmp_path):
    if fmt == "keras":
        pytest.importorskip("h5py")
    build, shape = SAVE_CASES[case]
    model = build()
    data = torch.as_tensor(rng.uniform(0, 1, shape).astype("float32"))
    path = tmp_path / f"model.{fmt}"
    model.save(path)
    loaded = tk.models.load_model(path)
    np.testing.assert_allclose(
        loaded(data).detach().numpy(), model(data).detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_control_flow_nodes_are_not_saved(tmp_path):
    inputs = tk.Input((4, 3))
    model = tk.Model(inputs, ops.vectorized_map(lambda row: row * 2, inputs))
    with pytest.raises(ValueError, match="allowlist"):
        model.save(tmp_path / "model.keras")
