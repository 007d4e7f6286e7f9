"""TorchModuleWrapper: the module's output and weights, train/eval mode, training through `fit`,
save/load with the module given back (custom_objects or a registered factory), Keras's files."""

import warnings

import numpy as np
import pytest
import torch

import torchkeras as tk
from torchkeras.layers import TorchModuleWrapper
from torchkeras.saving import register_keras_serializable


def _net():
    return torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh())


def _model(name="head", module=None):
    inputs = tk.Input((6,))
    outputs = TorchModuleWrapper(module if module is not None else _net(), name=name)(inputs)
    return tk.Model(inputs, outputs)


def _data(seed=0):
    return np.random.default_rng(seed).normal(size=(8, 6)).astype("float32")


def test_output_is_the_modules_and_weights_are_its_state():
    module = _net()
    layer = TorchModuleWrapper(module)
    x = torch.as_tensor(_data())
    module.eval()
    np.testing.assert_allclose(layer(x).detach().numpy(), module(x).detach().numpy(), rtol=1e-6)
    assert [tuple(w.shape) for w in layer.trainable_weights] == [(4, 6), (4,), (4,), (4,)]
    # running mean and variance (float buffers) are non-trainable weights; the int counter is not
    assert [tuple(w.shape) for w in layer.non_trainable_weights] == [(4,), (4,)]
    layer.trainable = False
    assert layer.trainable_weights == [] and not any(p.requires_grad for p in module.parameters())


def test_training_flag_sets_the_module_mode():
    module = torch.nn.Dropout(0.5)
    layer = TorchModuleWrapper(module)
    x = torch.ones(200, 10)
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    assert not module.training
    dropped = layer(x, training=True)
    assert module.training and 0.3 < float((dropped == 0).float().mean()) < 0.7


def test_symbolic_shape_and_declared_output_shape():
    inputs = tk.Input((6,))
    assert TorchModuleWrapper(torch.nn.Linear(6, 3))(inputs).shape == (None, 3)
    declared = TorchModuleWrapper(torch.nn.Linear(6, 3), output_shape=(None, 3))
    assert declared.compute_output_shape((None, 6)) == (None, 3)
    assert declared(inputs).shape == (None, 3)


def test_fit_trains_the_module():
    torch.manual_seed(1)
    model = _model(module=torch.nn.Linear(6, 1))
    x = _data()
    y = x @ np.arange(6, dtype="float32").reshape(6, 1) / 6
    model.compile(optimizer=tk.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=30, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]


@pytest.mark.parametrize("fmt", ["keras", "safetensors"])
@pytest.mark.parametrize("given", ["module", "factory"])
def test_save_and_load_with_the_module_given(tmp_path, fmt, given):
    if fmt == "keras":
        pytest.importorskip("h5py")
    model = _model()
    x = _data()
    model(torch.as_tensor(x), training=True)  # moves the batch-norm statistics
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / f"m.{fmt}")
    module = _net() if given == "module" else _net
    loaded = tk.models.load_model(tmp_path / f"m.{fmt}", custom_objects={"head": module})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert loaded.layers[-1].get_config() == model.layers[-1].get_config()


def test_loading_without_the_module_says_how(tmp_path):
    model = _model()
    model.save(tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match=r"custom_objects=\{'head': module\}.*register_keras_serializable"):
        tk.models.load_model(tmp_path / "m.safetensors")


def test_a_registered_factory_is_saved_by_name(tmp_path):
    @register_keras_serializable(package="test_tmw")
    def make_head():
        return torch.nn.Sequential(torch.nn.Linear(6, 2), torch.nn.ReLU())

    model = _model(module=make_head)
    assert model.layers[-1].get_config()["module"] == "test_tmw>make_head"
    x = _data()
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.safetensors")
    loaded = tk.models.load_model(tmp_path / "m.safetensors")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)


def test_from_config_round_trip():
    layer = TorchModuleWrapper(torch.nn.Linear(6, 3), name="lin", output_shape=(None, 3))
    config = layer.get_config()
    assert config["module"] == "torch.nn.modules.linear.Linear" and config["output_shape"] == [None, 3]
    clone = TorchModuleWrapper.from_config(config, custom_objects={"lin": torch.nn.Linear(6, 3)})
    assert clone.get_config() == config


def test_keras_file_loads_with_the_module_given(keras, tmp_path):
    pytest.importorskip("h5py")
    inputs = keras.Input((6,))
    outputs = keras.layers.TorchModuleWrapper(_net(), name="head", output_shape=(None, 4))(inputs)
    theirs = keras.Model(inputs, outputs)
    x = _data()
    theirs(torch.as_tensor(x), training=True)
    expected = np.asarray(theirs.predict(x, verbose=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.save(tmp_path / "theirs.keras")
    with pytest.raises(ValueError, match="never loads code"):
        tk.models.load_model(tmp_path / "theirs.keras")
    ours = tk.models.load_model(tmp_path / "theirs.keras", custom_objects={"head": _net()})
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match="`module` must be a torch.nn.Module"):
        TorchModuleWrapper(3)
    with pytest.raises(ValueError, match="`module` must be a torch.nn.Module"):
        TorchModuleWrapper(lambda: "not a module")
    with pytest.raises(ValueError, match="lazy modules must be initialized"):
        TorchModuleWrapper(torch.nn.LazyLinear(3))
