"""keras.applications: architectures against Keras, weight files both ways, ImageNet weights offline.

Building a large application takes many seconds here, so the default run builds a few small
models; `TORCHKERAS_ALL_APPLICATIONS=1` builds every architecture against the Keras table and
runs the Keras weight-parity check for one model of every family.
"""

import functools
import hashlib
import importlib
import inspect
import json
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode

import torchkeras
from torchkeras import applications
from torchkeras.applications import imagenet_utils

REFERENCE = json.loads((Path(__file__).parent / "keras_reference.json").read_text())
ALL = os.environ.get("TORCHKERAS_ALL_APPLICATIONS") == "1"
full_only = pytest.mark.skipif(
    not ALL, reason="set TORCHKERAS_ALL_APPLICATIONS=1 to build every architecture"
)
SIZES = {"Xception": 71, "InceptionV3": 75, "InceptionResNetV2": 75}
# One model per family, with the module that exports it.
FAMILIES = {
    "ResNet50": "resnet",
    "ResNet50V2": "resnet_v2",
    "VGG16": "vgg16",
    "VGG19": "vgg19",
    "MobileNet": "mobilenet",
    "MobileNetV2": "mobilenet_v2",
    "MobileNetV3Small": "mobilenet_v3",
    "DenseNet121": "densenet",
    "EfficientNetB0": "efficientnet",
    "EfficientNetV2B0": "efficientnet_v2",
    "Xception": "xception",
    "InceptionV3": "inception_v3",
    "InceptionResNetV2": "inception_resnet_v2",
    "ConvNeXtTiny": "convnext",
    "NASNetMobile": "nasnet",
}
# Built in the default run: VGG16 for the table (few layers), MobileNet for the weight files (few weights).
QUICK_TABLE = ("VGG16", "MobileNet")
QUICK = ("MobileNet",)


def _snake(name):
    """Keras's auto-name of a class (`GlobalAveragePooling2D` -> `global_average_pooling2d`)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _digest(model):
    entries = []
    for layer in model.layers:
        name, kind = layer.name, type(layer).__name__
        if re.fullmatch(re.escape(_snake(kind)) + r"(_\d+)?", name) or re.fullmatch(
            r"input_layer(_\d+)?", name
        ):
            name = _snake(kind)
        entries.append(f"{name}:{kind}")
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


def _small(constructor):
    size = SIZES.get(constructor, 32)
    return {
        "weights": None,
        "include_top": True,
        "input_shape": (size, size, 3),
        "classes": 7,
        "classifier_activation": None,
    }


@functools.cache
def _ours(constructor):
    """Our model at the table's small size (built once per session: building is the slow part)."""
    return getattr(applications, constructor)(**_small(constructor))


def _keras_constructor(keras, constructor):
    """Keras's constructor; Keras refuses NASNetMobile on its torch backend, so build it through NASNet
    (as its TensorFlow and JAX backends do)."""
    if constructor != "NASNetMobile":
        return getattr(keras.applications, constructor)
    from keras.src.applications import nasnet

    def mobile(input_shape, **kwargs):
        return nasnet.NASNet(
            input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32, skip_reduction=False,
            filter_multiplier=2, default_size=224, name="nasnet_mobile", **kwargs,
        )  # fmt: skip

    return mobile


def _perturb(model, seed):
    """Moves every weight of a Keras model off its initial value, so that no two weights that start
    equal (BatchNormalization's gamma and moving variance are ones, beta and moving mean zeros)
    could be swapped by a loader unnoticed; variances stay positive."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        value = np.asarray(variable.numpy())
        if "variance" in variable.path:
            value = value * rng.uniform(0.5, 1.5, size=value.shape)
        else:
            value = value + rng.normal(scale=0.05, size=value.shape)
        variable.assign(value.astype("float32"))


@functools.cache
def _keras_pair(constructor, tmp_folder):
    """Keras's model, and ours holding its weights (through a Keras `.weights.h5`), with test images."""
    import keras

    theirs = _keras_constructor(keras, constructor)(**_small(constructor))
    _perturb(theirs, seed=len(constructor))
    ours = _ours(constructor)
    path = os.path.join(tmp_folder, f"{constructor}.weights.h5")
    theirs.save_weights(path)
    ours.load_weights(path)
    size = _small(constructor)["input_shape"]
    images = np.random.default_rng(0).uniform(0, 255, size=(2, *size)).astype("float32")
    return theirs, ours, images, np.asarray(theirs.predict(images, verbose=0))


@pytest.fixture(scope="module")
def weights_folder(tmp_path_factory):
    return str(tmp_path_factory.mktemp("weights"))


def test_every_keras_constructor_is_exported_at_keras_paths():
    assert sorted(REFERENCE) == sorted(name for name in applications.__all__ if name[0].isupper())
    for constructor, module in FAMILIES.items():
        family = importlib.import_module(f"torchkeras.applications.{module}")
        assert getattr(family, constructor) is getattr(applications, constructor)
        assert callable(family.preprocess_input) and callable(family.decode_predictions)
    assert torchkeras.applications.resnet50.ResNet50 is applications.ResNet50


@pytest.mark.parametrize(
    "constructor",
    [name if name in QUICK_TABLE else pytest.param(name, marks=full_only) for name in REFERENCE],
)
def test_architecture_matches_keras_table(constructor):
    model = _ours(constructor)
    expected = REFERENCE[constructor]
    assert model.count_params() == expected["params"]
    assert len(model.layers) == expected["layers"]
    assert _digest(model) == expected["digest"]


@pytest.mark.parametrize(
    "constructor", [name if name in QUICK else pytest.param(name, marks=full_only) for name in FAMILIES]
)
def test_keras_weights_give_keras_outputs(keras, constructor, weights_folder):
    """A Keras-built model's `.weights.h5` loads into ours and gives the same logits."""
    pytest.importorskip("h5py")
    _, ours, images, expected = _keras_pair(constructor, weights_folder)
    assert np.all(np.isfinite(expected)) and np.ptp(expected) > 1e-3 * np.abs(expected).max() > 0
    received = np.asarray(ours.predict(images, verbose=0))
    np.testing.assert_allclose(received, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize(
    "constructor",
    [
        "MobileNet",
        pytest.param("MobileNetV3Small", marks=full_only),  # layers and `x + 3`-style ops
        pytest.param("ConvNeXtTiny", marks=full_only),  # LayerScale, nested Sequential models
        pytest.param("InceptionResNetV2", marks=full_only),  # CustomScaleLayer
    ],
)
def test_keras_files_load_both_ways(keras, constructor, weights_folder, tmp_path):
    """A full `.keras` file loads on the other side and gives the same outputs."""
    pytest.importorskip("h5py")
    theirs, ours, images, expected = _keras_pair(constructor, weights_folder)
    theirs.save(tmp_path / "keras.keras")
    reloaded = torchkeras.saving.load_model(tmp_path / "keras.keras")
    tolerance = {"rtol": 1e-4, "atol": 1e-4 * np.abs(expected).max()}
    np.testing.assert_allclose(np.asarray(reloaded.predict(images, verbose=0)), expected, **tolerance)
    ours.save(tmp_path / "ours.keras")
    back = keras.saving.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(back.predict(images, verbose=0)), expected, **tolerance)


def test_imagenet_weights_offline_name_the_file_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(applications.vgg16, "_WEIGHTS_BASE", "http://127.0.0.1:9/")  # refused at once
    with pytest.raises(OSError) as info:
        applications.VGG16(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    message = str(info.value)
    assert "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5" in message
    assert str(tmp_path / "home" / "models") in message


def _write_keras2_weights(path, model, seed):
    """A Keras-2 style `.h5` weights file (the published files' format) with random values for the
    layers of `model` that have weights; returns the values, layer by layer."""
    import h5py

    rng = np.random.default_rng(seed)
    weighted = [layer for layer in model.layers if layer.weights]
    values = [
        [rng.normal(size=w.shape).astype("float32") * 0.05 for w in layer.get_weights()] for layer in weighted
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as file:
        file.attrs["layer_names"] = [b"input_1"] + [layer.name.encode() for layer in weighted]
        file.create_group("input_1").attrs["weight_names"] = []
        for layer, arrays in zip(weighted, values):
            group = file.create_group(layer.name)
            names = [f"{layer.name}/w{i}:0" for i in range(len(arrays))]
            group.attrs["weight_names"] = [name.encode() for name in names]
            for name, value in zip(names, arrays):
                group[name] = value
    return values


def _digest_of(path, algorithm):
    return hashlib.new(algorithm, Path(path).read_bytes()).hexdigest()


def test_imagenet_weights_in_the_keras_cache_are_used(tmp_path, monkeypatch):
    """A weights file already in `$KERAS_HOME/models` is used, with no download, when it matches the
    published hash (md5 or sha256, told apart by length as `get_file` does); a file that does not
    match is fetched again, which offline names the file and the folder."""
    pytest.importorskip("h5py")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(applications.vgg16, "_WEIGHTS_BASE", "http://127.0.0.1:9/")  # refused at once
    reference = applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    cached = tmp_path / "models" / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    values = _write_keras2_weights(cached, reference, seed=1)
    top_hash = applications.vgg16.WEIGHTS_HASHES["vgg16"][0]
    for algorithm in ("md5", "sha256"):
        monkeypatch.setitem(
            applications.vgg16.WEIGHTS_HASHES, "vgg16", (top_hash, _digest_of(cached, algorithm))
        )
        model = applications.VGG16(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
        loaded_layers = [layer for layer in model.layers if layer.weights]
        assert len(loaded_layers) == len(values)
        for layer, arrays in zip(loaded_layers, values):
            for loaded, saved in zip(layer.get_weights(), arrays, strict=True):
                np.testing.assert_array_equal(loaded, saved)
    # The real published hash: our fake file is stale, so `get_file` tries to download it again.
    monkeypatch.setitem(
        applications.vgg16.WEIGHTS_HASHES, "vgg16", (top_hash, "6d6bbae143d832006294945121d1f1fc")
    )
    with pytest.raises(OSError, match="vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5") as info:
        applications.VGG16(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    assert str(tmp_path / "models") in str(info.value)
    assert cached.exists()  # the stale copy is left in place


class _WeightsRequested(Exception):
    """Raised by the stand-in `get_file`: the constructor asked for its ImageNet weights file."""


def _weights_request(monkeypatch, owner, build):
    """The arguments (defaults filled in) that `build()` passes to `owner.get_file`."""
    from torchkeras.utils.file_utils import get_file

    requests = []
    signature = inspect.signature(get_file)

    def record(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        requests.append(dict(bound.arguments))
        raise _WeightsRequested

    monkeypatch.setattr(owner, "get_file", record)
    with pytest.raises(_WeightsRequested):
        build()
    return requests


@pytest.mark.parametrize(
    ("constructor", "include_top"),
    [("VGG16", False)]
    + [pytest.param(name, False, marks=full_only) for name in REFERENCE if name != "VGG16"]
    + [pytest.param(name, True, marks=full_only) for name in FAMILIES],
)
def test_imagenet_weights_are_the_files_keras_fetches(keras, constructor, include_top, monkeypatch):
    """`weights="imagenet"` asks `get_file` for Keras's file: same name, URL, cache folder and hash
    (the no-top file of every architecture; the classifier's file of one per family, at its
    default input size, since those builds are slow)."""
    from keras.src.utils import file_utils as keras_file_utils

    from torchkeras.applications import pretrained

    size = SIZES.get(constructor, 32)
    kwargs = {
        "weights": "imagenet",
        "include_top": include_top,
        "input_shape": None if include_top else (size, size, 3),
    }
    theirs = _weights_request(
        monkeypatch, keras_file_utils, lambda: _keras_constructor(keras, constructor)(**kwargs)
    )
    ours = _weights_request(monkeypatch, pretrained, lambda: getattr(applications, constructor)(**kwargs))
    assert ours == theirs
    assert ours[0]["cache_subdir"] == "models"  # (Keras publishes no hash for MobileNet and MobileNetV2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": "nowhere.h5"}, "The `weights` argument should be either"),
        ({"weights": "imagenet", "classes": 10}, "`classes` should be 1000"),
        (
            {"weights": None, "input_shape": (16, 16, 3), "include_top": False},
            "Input size must be at least 32x32",
        ),
        ({"weights": "imagenet", "input_shape": (64, 64, 3)}, r"`input_shape` should be \(224, 224, 3\)"),
        ({"weights": None, "input_shape": (32, 32)}, "must be a tuple of three integers"),
        ({"weights": None, "include_top": True, "input_shape": (None, None, 3)}, "static `input_shape`"),
        ({"weights": "imagenet", "include_top": False, "input_shape": (64, 64, 1)}, "must have 3 channels"),
    ],
)
def test_argument_errors_match_keras(keras, kwargs, match):
    for module in (applications, keras.applications):
        with pytest.raises(ValueError, match=match):
            module.ResNet50(**kwargs)
    with pytest.raises(ValueError, match="Only `None` and `softmax`"):
        applications.VGG19(weights="imagenet", classifier_activation="relu")


def test_input_tensor_is_used_as_the_model_input():
    inputs = torchkeras.Input((32, 32, 3))
    scaled = torchkeras.layers.Rescaling(1 / 255)(inputs)
    model = applications.VGG16(weights=None, include_top=False, input_tensor=scaled, pooling="avg")
    assert model.inputs[0] is inputs
    assert model.output.shape == (None, 512)
    with pytest.raises(ValueError, match="input_tensor"):
        applications.VGG16(weights=None, include_top=False, input_tensor=np.zeros((1, 32, 32, 3)))


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_preprocess_input_matches_keras(keras, mode, data_format):
    rng = np.random.default_rng(2)
    images = rng.uniform(0, 255, size=(2, 3, 5, 3) if data_format == "channels_first" else (2, 5, 3, 3))
    images = images.astype("float32")
    expected = keras.applications.imagenet_utils.preprocess_input(images.copy(), data_format, mode)
    received = imagenet_utils.preprocess_input(images.copy(), data_format, mode)
    np.testing.assert_allclose(received, expected, rtol=1e-6, atol=1e-4)
    tensor = torch.tensor(images)
    from_tensor = imagenet_utils.preprocess_input(tensor, data_format, mode)
    np.testing.assert_allclose(from_tensor.numpy(), expected, rtol=1e-6, atol=1e-4)
    assert torch.equal(tensor, torch.tensor(images))  # the input tensor is left alone
    single = imagenet_utils.preprocess_input(images[0].copy(), data_format, mode)
    np.testing.assert_allclose(single, expected[0], rtol=1e-6, atol=1e-4)
    with pytest.raises(ValueError, match="mode"):
        imagenet_utils.preprocess_input(images, mode="bgr")


def test_preprocess_input_inside_a_functional_model():
    inputs = torchkeras.Input((4, 4, 3))
    model = torchkeras.Model(inputs, applications.resnet.preprocess_input(inputs))
    images = np.random.default_rng(3).uniform(0, 255, size=(2, 4, 4, 3)).astype("float32")
    expected = imagenet_utils.preprocess_input(images.copy(), mode="caffe")
    np.testing.assert_allclose(np.asarray(model.predict(images, verbose=0)), expected, rtol=1e-6, atol=1e-4)


def _fake_class_index(folder, monkeypatch):
    """A fake ImageNet class index in the Keras cache, registered under its own md5 (our side), and
    handed to Keras directly (its loader would reject the fake file's hash and go online)."""
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    path = folder / "models" / "imagenet_class_index.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(index))
    monkeypatch.setenv("KERAS_HOME", str(folder))
    monkeypatch.setattr(imagenet_utils, "_class_index", None)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH", _digest_of(path, "md5"))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_URL", "http://127.0.0.1:9/imagenet_class_index.json")
    keras_utils = pytest.importorskip("keras.src.applications.imagenet_utils")
    monkeypatch.setattr(keras_utils, "CLASS_INDEX", index)
    return index


def test_decode_predictions_reads_the_cached_class_index(tmp_path, monkeypatch):
    _fake_class_index(tmp_path, monkeypatch)
    preds = np.zeros((2, 1000), dtype="float32")
    preds[0, [5, 7, 9]] = [0.2, 0.5, 0.3]
    preds[1, 999] = 1.0
    decoded = applications.vgg16.decode_predictions(preds, top=3)
    assert [entry[1] for entry in decoded[0]] == ["class_7", "class_9", "class_5"]
    assert decoded[1][0][:2] == ("n00000999", "class_999")
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        applications.vgg16.decode_predictions(np.zeros((2, 10)))


def test_decode_predictions_offline_names_the_file_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(imagenet_utils, "_class_index", None)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_URL", "http://127.0.0.1:9/imagenet_class_index.json")
    with pytest.raises(OSError, match="imagenet_class_index.json") as info:
        applications.resnet.decode_predictions(np.zeros((1, 1000), dtype="float32"))
    assert str(tmp_path / "models") in str(info.value)


@pytest.mark.parametrize("module", sorted(set(FAMILIES.values())))
def test_family_preprocess_input_and_decode_predictions_match_keras(keras, module, tmp_path, monkeypatch):
    """Each family's own `preprocess_input` (caffe, tf, torch or none) and `decode_predictions`."""
    ours = importlib.import_module(f"torchkeras.applications.{module}")
    theirs = importlib.import_module(f"keras.applications.{module}")
    rng = np.random.default_rng(5)
    images = rng.uniform(0, 255, size=(2, 6, 5, 3)).astype("float32")
    expected = np.asarray(theirs.preprocess_input(images.copy()))
    tolerance = {"rtol": 1e-6, "atol": 1e-5 * 255}
    np.testing.assert_allclose(np.asarray(ours.preprocess_input(images.copy())), expected, **tolerance)
    from_tensor = ours.preprocess_input(torch.tensor(images))
    assert isinstance(from_tensor, torch.Tensor)
    np.testing.assert_allclose(from_tensor.numpy(), expected, **tolerance)
    channels_first = images.transpose(0, 3, 1, 2).copy()
    np.testing.assert_allclose(
        np.asarray(ours.preprocess_input(channels_first.copy(), data_format="channels_first")),
        np.asarray(theirs.preprocess_input(channels_first.copy(), data_format="channels_first")),
        **tolerance,
    )
    _fake_class_index(tmp_path, monkeypatch)
    preds = rng.random((3, 1000)).astype("float32")
    assert ours.decode_predictions(preds, top=4) == theirs.decode_predictions(preds, top=4)
    assert ours.decode_predictions(torch.tensor(preds), top=2) == theirs.decode_predictions(preds, top=2)


class _ConvolutionLayouts(TorchFunctionMode):
    """Records, for every torch convolution, whether its input and output are channels_last in memory
    (a channels-first view whose channel stride is 1; a 1x1 image is both layouts)."""

    def __init__(self):
        super().__init__()
        self.layouts = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        outputs = func(*args, **(kwargs or {}))
        if func in (torch.conv2d, torch.nn.functional.conv2d):

            def channels_last(x):
                return x.shape[2] * x.shape[3] == 1 or (x.stride(1) == 1 and not x.is_contiguous())

            self.layouts.append((channels_last(args[0]), channels_last(outputs)))
        return outputs


@pytest.mark.parametrize(
    "constructor", [name if name in QUICK else pytest.param(name, marks=full_only) for name in FAMILIES]
)
def test_convolutions_run_in_channels_last_memory_format(constructor):
    """channels_last images reach every convolution as torch channels_last tensors (no copy to NCHW),
    and each convolution's output stays channels_last for the next layer."""
    model = _ours(constructor)
    size = _small(constructor)["input_shape"]
    images = torch.tensor(np.random.default_rng(6).uniform(-1, 1, size=(2, *size)).astype("float32"))
    with _ConvolutionLayouts() as recorder, torch.no_grad():
        model(images)
    assert len(recorder.layouts) >= sum("conv" in type(layer).__name__.lower() for layer in model.layers)
    assert all(inputs and outputs for inputs, outputs in recorder.layouts), recorder.layouts


def _calibrate_batch_norm(model, images):
    """Sets every BatchNormalization's moving statistics to those of `images` (one pass in training
    mode with momentum 0), as a pretrained base would have them: random weights and the default
    statistics shrink a deep MobileNet's features to ~1e-17, which no head could learn from."""
    norms = [layer for layer in model.layers if isinstance(layer, torchkeras.layers.BatchNormalization)]
    for layer in norms:
        layer.momentum = 0.0
    model(images, training=True)
    for layer in norms:
        layer.momentum = 0.99


def test_transfer_learning_frozen_base_then_fine_tuning():
    """Keras's transfer-learning recipe: frozen base (BN in inference mode), new head, fit; then
    unfreeze, recompile with a small learning rate, fit again."""
    torchkeras.config.set_random_seed(4)
    rng = np.random.default_rng(4)
    images = rng.uniform(-1, 1, size=(16, 32, 32, 3)).astype("float32")
    labels = rng.integers(0, 2, size=(16,))
    base = applications.MobileNet(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.25)
    _calibrate_batch_norm(base, images)
    base.trainable = False
    assert base.trainable_weights == [] and len(base.non_trainable_weights) == len(base.weights)
    inputs = torchkeras.Input((32, 32, 3))
    features = base(inputs, training=False)
    outputs = torchkeras.layers.Dense(2)(torchkeras.layers.GlobalAveragePooling2D()(features))
    model = torchkeras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss=torchkeras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert len(model.trainable_weights) == 2  # the head's kernel and bias
    frozen = [w.copy() for w in base.get_weights()]
    features_before = base.predict(images, verbose=0)
    head_before = [w.copy() for w in model.layers[-1].get_weights()]
    history = model.fit(images, labels, epochs=3, batch_size=8, verbose=0)
    for before, after in zip(frozen, base.get_weights(), strict=True):  # kernels and BN moving statistics
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(base.predict(images, verbose=0), features_before)
    for before, after in zip(head_before, model.layers[-1].get_weights(), strict=True):
        assert not np.array_equal(before, after)
    assert history.history["loss"][-1] < history.history["loss"][0]

    base.trainable = True
    model.compile(optimizer=torchkeras.optimizers.Adam(1e-4), loss=model.loss)
    assert len(model.trainable_weights) == 2 + len(base.trainable_weights) > 2
    history = model.fit(images, labels, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    tuned = dict(zip((w.path for w in base.weights), base.get_weights(), strict=True))
    for weight, before in zip(base.weights, frozen, strict=True):
        if weight.trainable:  # every kernel, gamma and beta moved
            assert not np.array_equal(before, tuned[weight.path]), weight.path
    assert base.get_layer("conv1_bn").get_weights()[2].shape == (8,)  # alpha=0.25 of 32 filters


def test_mobilenet_v2_imagenet_alpha_and_size_checks(recwarn):
    with pytest.raises(ValueError, match="alpha must be one of"):
        applications.MobileNetV2(weights="imagenet", alpha=0.6)
    with pytest.raises(ValueError, match="depth multiplier must be 1"):
        applications.MobileNet(weights="imagenet", depth_multiplier=2)
    with pytest.raises(ValueError, match="alpha can be one of"):
        applications.MobileNetV3Small(weights="imagenet", alpha=0.5)
    with pytest.raises(ValueError, match="channels_first"), warnings.catch_warnings():
        torchkeras.config.set_image_data_format("channels_first")
        try:
            applications.DenseNet121(weights=None)
        finally:
            torchkeras.config.set_image_data_format("channels_last")
