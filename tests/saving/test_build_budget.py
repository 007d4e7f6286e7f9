"""Sizes declared in a file's config are checked before anything is allocated (`build_budget`)."""

import contextlib
import json
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest
import torch

import torchkeras as tk
from torchkeras.saving import build_budget, safetensors_io
from torchkeras.utils.io import atomic_write

HUGE_UNITS = 30_000_000  # a (4, 30M) kernel: 480 MB of float32


def _small_model(metrics=None):
    tk.config.set_random_seed(0)
    model = tk.Sequential([tk.Input((4,)), tk.layers.Dense(3, name="dense")])
    model.compile(optimizer="adam", loss="mse", metrics=metrics)
    return model


def _edit_keras(source, target, edit):
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


def _edit_safetensors(source, target, edit):
    with safetensors_io.SafetensorsFile(str(source)) as file:
        tensors = {name: entry.read() for name, entry in file.tensors.items()}
        metadata = dict(file.metadata)
    config = json.loads(metadata["config"])
    edit(config)
    metadata["config"] = json.dumps(config)
    atomic_write(str(target), safetensors_io.encode(tensors, metadata))
    return target


def _huge_dense(config):
    config["config"]["layers"][1]["config"]["units"] = HUGE_UNITS


def _hostile_files(folder):
    pytest.importorskip("h5py")
    model = _small_model()
    model.save(folder / "small.keras")
    model.save(folder / "small.safetensors")
    return [
        _edit_keras(folder / "small.keras", folder / "huge.keras", _huge_dense),
        _edit_safetensors(folder / "small.safetensors", folder / "huge.safetensors", _huge_dense),
    ]


def test_a_huge_layer_in_a_small_file_is_refused_before_allocating(tmp_path):
    paths = _hostile_files(tmp_path)
    for path in paths:
        assert path.stat().st_size < 20_000  # h5 included
        before = time.process_time()
        with pytest.raises(ValueError, match=r"declares more than it holds.*budget") as error:
            tk.saving.load_model(path)
        assert time.process_time() - before < 1.0
        assert str(path) in str(error.value)
    config = json.loads(_small_model().to_json())
    _huge_dense(config)
    with pytest.raises(ValueError, match="JSON config declares more than it holds"):
        tk.models.model_from_json(json.dumps(config))


def test_the_refusal_allocates_nothing(tmp_path):
    """In a fresh process (its peak memory says what loading allocated), loading the hostile
    files adds less than 100 MB; building the declared layer would take over 480 MB."""
    paths = _hostile_files(tmp_path)
    script = textwrap.dedent(
        f"""
        import resource, sys
        import torchkeras as tk
        tk.saving.load_model({str(tmp_path / "small.keras")!r})  # warm up the load path
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for path in {[str(p) for p in paths]!r}:
            try:
                tk.saving.load_model(path)
            except ValueError as error:
                assert "budget" in str(error), error
            else:
                sys.exit("loaded")
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.split()[-1]) < 100 * 2**20


@pytest.mark.parametrize(
    ("metric", "key", "value"),
    [
        (lambda: tk.metrics.AUC(), "num_thresholds", 20_000_000),
        (lambda: tk.metrics.MeanIoU(num_classes=3), "num_classes", 1_000_000),
    ],
)
def test_metric_sizes_in_the_compile_config_are_capped(tmp_path, metric, key, value):
    pytest.importorskip("h5py")
    _small_model(metrics=[metric()]).save(tmp_path / "m.keras")

    def edit(config):
        config["compile_config"]["metrics"][0]["config"][key] = value

    path = _edit_keras(tmp_path / "m.keras", tmp_path / "bad.keras", edit)
    before = time.process_time()
    with pytest.raises(ValueError, match=rf"`{key}={value}`.*over the limit"):
        tk.saving.load_model(path)
    assert time.process_time() - before < 1.0
    tk.saving.load_model(tmp_path / "m.keras", compile=True)  # the saved values load


def test_preprocessing_sizes_are_capped():
    model = tk.Sequential([tk.Input((2,)), tk.layers.CategoryEncoding(num_tokens=5, output_mode="count")])
    config = json.loads(model.to_json())
    config["config"]["layers"][1]["config"]["num_tokens"] = 10**12
    with pytest.raises(ValueError, match=r"`num_tokens=1000000000000` of CategoryEncoding"):
        tk.models.model_from_json(json.dumps(config))


def test_ordinary_models_load_within_their_budget(tmp_path):
    pytest.importorskip("h5py")
    tk.config.set_random_seed(1)
    inputs = tk.Input((6,), dtype="int32")
    hidden = tk.layers.Embedding(5000, 64, embeddings_initializer="truncated_normal")(inputs)
    hidden = tk.layers.LSTM(32, kernel_initializer="orthogonal")(hidden)
    model = tk.Model(inputs, tk.layers.Dense(4)(tk.layers.BatchNormalization()(hidden)))
    model.compile(optimizer="adam", loss="mse", metrics=[tk.metrics.AUC(num_thresholds=1000)])
    data = np.random.RandomState(0).randint(0, 5000, size=(8, 6))
    for suffix in ("keras", "safetensors"):
        model.save(tmp_path / f"m.{suffix}")
        loaded = tk.saving.load_model(tmp_path / f"m.{suffix}")
        np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6)
    assert tk.models.model_from_json(model.to_json()).count_params() == model.count_params()


def test_the_budget_counts_factory_calls_and_stays_refused(monkeypatch):
    with pytest.raises(ValueError, match="budget of 100 elements"), build_budget.bounded_build(100, "cfg"):
        torch.zeros(8, 8)  # 64
        torch.empty((2, 3), device="meta")  # not counted: nothing is allocated
        torch.ones(6, 7)  # 106 in all: refused before allocating
    with pytest.raises(ValueError, match="budget"), build_budget.bounded_build(100, "cfg"):
        with contextlib.suppress(ValueError):
            torch.randn(200)  # a builder that swallows the refusal still cannot go on
        torch.zeros(1)
    with build_budget.bounded_build(1000, "test config"):
        torch.full((10, 10), 1.0)
        torch.eye(10)
        torch.arange(0, 100, 2)
        torch.zeros(1).new_zeros((20, 20))
    monkeypatch.setattr(build_budget, "MAX_ELEMENTS_WITHOUT_WEIGHTS", 10)
    with pytest.raises(ValueError, match="budget of 10 elements"):
        tk.models.model_from_json(_small_model().to_json())
