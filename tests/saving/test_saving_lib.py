"""Saving and loading models and weights: every model kind and format, optimizer state, errors."""

import json
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import torchkeras as tk
from torchkeras.utils.registry import _CUSTOM

MODEL_FORMATS = ["keras", "safetensors"]
WEIGHT_FORMATS = ["weights.safetensors", "weights.h5"]


def _needs(fmt):
    if "h5" in fmt or fmt == "keras":
        pytest.importorskip("h5py")


def _data(*shape, seed=0):
    return np.random.RandomState(seed).rand(*shape).astype("float32")


def _assert_same_predictions(a, b, data):
    for x, y in zip(
        tk.utils.nest.flatten(a.predict(data, verbose=0)), tk.utils.nest.flatten(b.predict(data, verbose=0))
    ):
        np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------------------ model kinds


def _sequential():
    return tk.Sequential([tk.Input((4,)), tk.layers.Dense(8, activation="relu"), tk.layers.Dense(2)]), _data(
        5, 4
    )


def _deferred_sequential():
    model = tk.Sequential([tk.layers.Dense(8, activation="tanh"), tk.layers.Dense(3)])
    model(_data(2, 4))
    return model, _data(5, 4)


def _functional():
    a, b = tk.Input((4,), name="a"), tk.Input((4,), name="b")
    shared = tk.layers.Dense(3, name="shared")
    inner_in = tk.Input((3,))
    inner = tk.Model(inner_in, tk.layers.Dense(2, activation="relu")(inner_in), name="inner")
    mixed = shared(a) * 2.0 + shared(b)[:, :3] - 1.0
    pooled = torch.cat([mixed, tk.ops.sum(mixed, axis=-1, keepdims=True)], dim=-1)
    outputs = {"score": tk.layers.Dense(1, name="score")(inner(mixed)), "pooled": pooled}
    return tk.Model({"a": a, "b": b}, outputs), {"a": _data(5, 4), "b": _data(5, 4, seed=1)}


@tk.saving.register_keras_serializable(package="SavingTests")
class TwoTowers(tk.Model):
    def __init__(self, hidden=6, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.left = tk.layers.Dense(hidden, activation="relu")
        self.right = tk.layers.Dense(hidden)
        self.blocks = [tk.layers.Dense(hidden), tk.layers.Dense(hidden)]
        self._head = tk.layers.Dense(1)

    def call(self, x):
        y = self.left(x) + self.right(x)
        for block in self.blocks:
            y = block(y)
        return self._head(y)

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden}


def _subclassed():
    model = TwoTowers(hidden=5)
    model(_data(2, 4))
    return model, _data(5, 4)


@tk.saving.register_keras_serializable(package="SavingTests")
class TorchBlock(tk.layers.Layer):
    """A layer holding plain torch modules: saved through their `state_dict()`."""

    def __init__(self, width=4, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.net = torch.nn.Sequential(
            torch.nn.Linear(width, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 2)
        )

    def call(self, x):
        return self.net(x)

    def get_config(self):
        return {**super().get_config(), "width": self.width}


def _torch_inside():
    x = tk.Input((4,))
    model = tk.Model(x, TorchBlock(4)(x))
    model.get_layer(index=1).net[1].running_mean.fill_(0.3)
    return model, _data(5, 4)


MODEL_KINDS = {
    "sequential": _sequential,
    "deferred_sequential": _deferred_sequential,
    "functional": _functional,
    "subclassed": _subclassed,
    "torch_modules": _torch_inside,
}


@pytest.mark.parametrize("fmt", MODEL_FORMATS)
@pytest.mark.parametrize("kind", list(MODEL_KINDS))
def test_every_model_kind_round_trips(kind, fmt, tmp_path):
    _needs(fmt)
    model, data = MODEL_KINDS[kind]()
    model.compile(optimizer=tk.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    path = tmp_path / f"model.{fmt}"
    model.save(path)
    loaded = tk.models.load_model(path)
    assert type(loaded).__name__ == type(model).__name__
    assert [w.name for w in loaded.weights] == [w.name for w in model.weights]
    assert loaded.compiled and isinstance(loaded.optimizer, tk.optimizers.Adam)
    assert loaded.get_compile_config() == model.get_compile_config()
    _assert_same_predictions(model, loaded, data)
    assert json.loads(loaded.to_json())["config"] == json.loads(model.to_json())["config"]


def test_compile_false_skips_the_compile_config(tmp_path):
    model, _ = _sequential()
    model.compile(optimizer="sgd", loss=tk.losses.BinaryCrossentropy(from_logits=True), metrics=["mae"])
    model.save(tmp_path / "m.safetensors")
    assert not tk.models.load_model(tmp_path / "m.safetensors", compile=False).compiled
    loaded = tk.models.load_model(tmp_path / "m.safetensors")
    assert isinstance(loaded.loss, tk.losses.BinaryCrossentropy) and loaded.loss.get_config()["from_logits"]
    assert isinstance(loaded.optimizer, tk.optimizers.SGD)


# ------------------------------------------------------------------------- optimizer state


OPTIMIZERS = {
    "adam": lambda: tk.optimizers.Adam(learning_rate=0.01),
    "sgd_momentum": lambda: tk.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda: tk.optimizers.RMSprop(learning_rate=0.01, momentum=0.5),
}


def _trained(make_optimizer):
    tk.config.set_random_seed(7)
    model = tk.Sequential([tk.Input((4,)), tk.layers.Dense(6, activation="tanh"), tk.layers.Dense(2)])
    model.compile(optimizer=make_optimizer(), loss="mse")
    return model


@pytest.mark.parametrize("fmt", ["keras", "safetensors", "weights.safetensors", "weights.h5"])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_save_load_continue_equals_uninterrupted(optimizer, fmt, tmp_path):
    _needs(fmt)
    x, y = _data(32, 4), _data(32, 2, seed=1)
    model = _trained(OPTIMIZERS[optimizer])
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    path = tmp_path / f"ckpt.{fmt}"
    if fmt.startswith("weights"):
        model.save_weights(path)
        resumed = _trained(OPTIMIZERS[optimizer])  # a fresh optimizer, not built yet
        resumed.load_weights(path)
    else:
        model.save(path)
        resumed = tk.models.load_model(path)
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    resumed.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert int(resumed.optimizer.iterations) == int(model.optimizer.iterations) == 16
    for a, b in zip(model.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7)


def test_optimizer_state_loads_into_a_built_optimizer(tmp_path):
    x, y = _data(16, 4), _data(16, 2, seed=1)
    model = _trained(OPTIMIZERS["adam"])
    model.fit(x, y, batch_size=8, verbose=0)
    model.save_weights(tmp_path / "w.weights.safetensors")
    other = _trained(OPTIMIZERS["adam"])
    other.fit(x, y, batch_size=8, epochs=3, verbose=0)
    other.load_weights(tmp_path / "w.weights.safetensors")
    assert int(other.optimizer.iterations) == 2
    for a, b in zip(model.optimizer.variables, other.optimizer.variables):
        torch.testing.assert_close(a, b)


# --------------------------------------------------------------------------------- weights


@pytest.mark.parametrize("fmt", WEIGHT_FORMATS)
def test_weights_files_round_trip_and_sources(fmt, tmp_path):
    _needs(fmt)
    model, data = _functional()
    path = tmp_path / f"w.{fmt}"
    model.save_weights(path)
    twin, _ = _functional()
    twin.load_weights(path)
    _assert_same_predictions(model, twin, data)
    for source in ("m.keras", "m.safetensors"):
        if source.endswith("keras"):
            pytest.importorskip("h5py")
        model.save(tmp_path / source)
        other, _ = _functional()
        other.load_weights(tmp_path / source)
        _assert_same_predictions(model, other, data)


@pytest.mark.parametrize("fmt", WEIGHT_FORMATS)
def test_wrapped_torch_module_weights(fmt, tmp_path):
    _needs(fmt)

    def make():
        return tk.Model(
            torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 2))
        )

    model = make()
    model.module[1].running_var.fill_(2.0)
    model.module[1].num_batches_tracked.fill_(5)
    model.save_weights(tmp_path / f"w.{fmt}")
    twin = make()
    twin.load_weights(tmp_path / f"w.{fmt}")
    for (key, a), b in zip(model.state_dict().items(), twin.state_dict().values()):
        torch.testing.assert_close(a, b, msg=key)
    with pytest.raises(NotImplementedError, match="save_weights"):
        model.save(tmp_path / "m.keras")


def test_plain_state_dict_safetensors_loads(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    safetensors_torch.save_file(net.state_dict(), str(tmp_path / "net.safetensors"))
    model = tk.Model(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1)))
    model.load_weights(tmp_path / "net.safetensors")
    torch.testing.assert_close(model.module[0].weight, net[0].weight)
    wrong = tk.Model(torch.nn.Linear(4, 1))
    with pytest.raises(ValueError, match="net.safetensors.*state_dict"):
        wrong.load_weights(tmp_path / "net.safetensors")


def test_our_safetensors_files_are_standard(tmp_path):
    safetensors = pytest.importorskip("safetensors")
    model, _ = _sequential()
    model.save(tmp_path / "m.safetensors")
    with safetensors.safe_open(str(tmp_path / "m.safetensors"), "pt") as file:
        assert file.metadata()["torchkeras_format"] == "model"
        assert json.loads(file.metadata()["config"])["class_name"] == "Sequential"
        torch.testing.assert_close(file.get_tensor("layers/dense/vars/0"), model.layers[0].kernel.detach())


def test_mismatched_file_leaves_the_model_untouched(tmp_path):
    small = tk.Sequential([tk.Input((4,)), tk.layers.Dense(3), tk.layers.Dense(2)])
    small.save_weights(tmp_path / "small.weights.safetensors")
    other = tk.Sequential([tk.Input((4,)), tk.layers.Dense(3), tk.layers.Dense(5)])
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(ValueError, match=r"(?s)small\.weights\.safetensors.*nothing was assigned.*\(3, 5\)"):
        other.load_weights(tmp_path / "small.weights.safetensors")
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="Skipping layer 'dense"):
        other.load_weights(tmp_path / "small.weights.safetensors", skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[0].get_weights()[0], small.layers[0].get_weights()[0])
    np.testing.assert_array_equal(other.layers[1].get_weights()[0], before[2])


def test_errors_for_paths_and_unbuilt_models(tmp_path):
    model, _ = _sequential()
    for bad in ("m.h5", "m.weights.h5", "m.pt", "m.weights.safetensors"):
        with pytest.raises(ValueError, match="extension"):
            model.save(tmp_path / bad)
    with pytest.raises(ValueError, match=r"must end in `\.weights\.safetensors` or `\.weights\.h5`"):
        model.save_weights(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="not supported"):
        model.save(tmp_path / "m.keras", zipped=False)
    with pytest.raises(ValueError, match="not supported"):
        model.save(tmp_path / "m.keras", save_traces=True)
    with pytest.raises(ValueError, match="m.pt.*unsupported"):
        tk.models.load_model(tmp_path / "m.pt")
    with pytest.raises(OSError, match="missing.keras"):
        tk.models.load_model(tmp_path / "missing.keras")
    with pytest.raises(ValueError, match="not yet been built"):
        tk.Sequential([tk.layers.Dense(2)]).save_weights(tmp_path / "w.weights.safetensors")


def test_overwrite_false_asks_first(tmp_path, monkeypatch):
    model, _ = _sequential()
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"keep me")
    monkeypatch.setattr("builtins.input", lambda prompt="": "n")
    model.save(path, overwrite=False)
    model.save_weights(tmp_path / "w.weights.safetensors", overwrite=False)  # new file: no question
    assert path.read_bytes() == b"keep me"
    monkeypatch.setattr("builtins.input", lambda prompt="": "y")
    model.save(path, overwrite=False)
    assert tk.models.load_model(path).count_params() == model.count_params()


def test_without_h5py(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)  # `import h5py` now raises ImportError
    model, data = _functional()
    # A `.keras` file is never written in a form Keras cannot read: it raises first, writes nothing.
    with pytest.raises(ImportError, match=re.escape('`h5` extra (`pip install -e ".[h5]"`')):
        model.save(tmp_path / "m.keras")
    assert list(tmp_path.iterdir()) == []
    model.save(tmp_path / "m.safetensors")
    _assert_same_predictions(model, tk.models.load_model(tmp_path / "m.safetensors"), data)
    with pytest.raises(ImportError, match=r"`h5` extra"):
        model.save_weights(tmp_path / "w.weights.h5")
    (tmp_path / "k.weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n")
    with pytest.raises(ImportError, match=r"`h5` extra"):
        model.load_weights(tmp_path / "k.weights.h5")


def test_clone_model():
    model, data = _functional()
    clone = tk.models.clone_model(model)
    assert clone is not model and [type(x) for x in clone.layers] == [type(x) for x in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    clone.set_weights(model.get_weights())
    _assert_same_predictions(model, clone, data)
    seq, seq_data = _sequential()
    seen = []
    seq_clone = tk.models.clone_model(seq, clone_function=lambda layer: seen.append(layer.name) or layer)
    assert seen == [layer.name for layer in seq.layers] and seq_clone.layers[0] is seq.layers[0]
    sub, sub_data = _subclassed()
    sub_clone = tk.models.clone_model(sub)
    assert isinstance(sub_clone, TwoTowers) and sub_clone.hidden == 5


def test_loads_in_a_fresh_process_without_the_defining_code(tmp_path):
    _needs("keras")
    model, data = _functional()
    model.compile(optimizer="adam", loss="mse")
    for fmt in MODEL_FORMATS:
        model.save(tmp_path / f"m.{fmt}")
    np.savez(tmp_path / "data.npz", **data)
    script = (
        "import json, sys, numpy as np, torchkeras as tk\n"
        "data = dict(np.load(sys.argv[1]))\n"
        "out = {}\n"
        "for fmt in ('keras', 'safetensors'):\n"
        "    model = tk.models.load_model(sys.argv[2] + '/m.' + fmt)\n"
        "    out[fmt] = {k: v.tolist() for k, v in model.predict(data, verbose=0).items()}\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "data.npz"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tmp_path,
    )
    expected = model.predict(data, verbose=0)
    for outputs in json.loads(result.stdout.strip().splitlines()[-1]).values():
        for key, value in outputs.items():
            np.testing.assert_allclose(
                np.asarray(value, dtype="float32"), expected[key], rtol=1e-6, atol=1e-7
            )


def test_functional_order_and_custom_subclass_name_survive(tmp_path):
    @tk.saving.register_keras_serializable(package="SavingTests")
    class Graph(tk.Model):
        pass

    try:
        x = tk.Input((3,))
        model = Graph(x, tk.layers.Dense(2)(x))
        config = tk.saving.serialize_keras_object(model)
        assert config["class_name"] == "Graph" and config["registered_name"] == "SavingTests>Graph"
        model.save(tmp_path / "g.safetensors")
        loaded = tk.models.load_model(tmp_path / "g.safetensors")
        assert isinstance(loaded, Graph)
    finally:
        _CUSTOM.pop("SavingTests>Graph", None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tk.models.load_model(tmp_path / "g.safetensors", custom_objects={"SavingTests>Graph": Graph})
