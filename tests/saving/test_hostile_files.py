"""Hostile files: every load fails cleanly (ValueError / OSError naming the file), runs nothing and
writes nothing."""

import ast
import base64
import builtins
import contextlib
import importlib
import io
import json
import marshal
import os
import pathlib
import pickle
import struct
import subprocess
import sys
import time
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
import torch

import torchkeras as tk
from torchkeras.saving import serialization

SAVING_SOURCES = [
    *sorted(pathlib.Path(tk.saving.__file__).parent.glob("*.py")),
    pathlib.Path(tk.models.__file__).parent / "functional_config.py",
    pathlib.Path(tk.callbacks.__file__).parent / "backup_and_restore.py",
]


@contextlib.contextmanager
def _tripwires():
    """Fails on any attempt to run code, unpickle, spawn a process or import a non-torchkeras module
    (the import system itself may still unmarshal the modules it loads)."""
    calls = []

    def trap(name, original, allow=lambda *a, **k: False):
        def replacement(*args, **kwargs):
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if caller.startswith("importlib") or allow(*args, **kwargs):
                return original(*args, **kwargs)
            calls.append(name)
            raise AssertionError(f"{name} was called while loading a file")

        return replacement

    with pytest.MonkeyPatch.context() as patch:
        for owner, name in [
            (os, "system"),
            (os, "popen"),
            (subprocess, "Popen"),
            (pickle, "loads"),
            (pickle, "load"),
            (marshal, "loads"),
            (torch, "load"),
            (builtins, "eval"),
            (builtins, "exec"),
        ]:
            patch.setattr(owner, name, trap(f"{owner.__name__}.{name}", getattr(owner, name)))
        patch.setattr(
            importlib,
            "import_module",
            trap(
                "importlib.import_module",
                importlib.import_module,
                lambda name, *a, **k: name.startswith("torchkeras."),
            ),
        )
        yield calls
    assert calls == [], calls


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A working folder whose contents (and the cwd's) must not change while loading."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _load_fails(path, loader="model", kinds=(ValueError, OSError), match=None):
    folder = path.parent
    before = sorted(p.name for p in folder.iterdir())
    model = _model()
    with _tripwires(), pytest.raises(kinds) as error:
        if loader == "model":
            tk.models.load_model(path)
        else:
            model.load_weights(path)
    assert str(path) in str(error.value) or repr(str(path)) in str(error.value)
    if match is not None:
        assert match in str(error.value), str(error.value)
    assert sorted(p.name for p in folder.iterdir()) == before
    assert not isinstance(error.value, (RecursionError, ImportError))
    return error.value


def _model():
    return tk.Sequential(
        [tk.Input((4,)), tk.layers.Dense(3, name="dense_a"), tk.layers.Dense(2, name="dense_b")]
    )


def _archive(path, config, members=None, weights=True):
    entries = {
        "metadata.json": b"{}",
        "config.json": json.dumps(config).encode() if not isinstance(config, bytes) else config,
    }
    if weights:
        pytest.importorskip("h5py")
        buffer = io.BytesIO()
        import h5py

        h5py.File(buffer, "w").close()
        entries["model.weights.h5"] = buffer.getvalue()
    entries.update(members or {})
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _layer_config(class_name="Dense", module="keras.layers", **config):
    return {
        "module": module,
        "class_name": class_name,
        "config": {"name": "x", **config},
        "registered_name": None,
    }


def _sequential_config(*layers):
    return {
        "module": "keras",
        "class_name": "Sequential",
        "registered_name": None,
        "config": {"name": "s", "layers": [_layer_config("InputLayer", batch_shape=[None, 4]), *layers]},
    }


# ------------------------------------------------------------------------------- code in configs

CODE = base64.b64encode(marshal.dumps(compile("open('pwned', 'w')", "x", "exec"))).decode()
HOSTILE_CONFIGS = {
    "bytecode_lambda": _layer_config(
        "Lambda", function={"class_name": "__lambda__", "config": {"value": [CODE, None, None]}}
    ),
    "lambda_by_name": _layer_config("Lambda", function="os.system"),
    "os_system_activation": _layer_config(
        units=2,
        activation={
            "module": "os",
            "class_name": "function",
            "config": "system",
            "registered_name": "system",
        },
    ),
    "builtins_eval_function": _layer_config(
        units=2,
        activation={
            "module": "builtins",
            "class_name": "function",
            "config": "eval",
            "registered_name": None,
        },
    ),
    "subprocess_class": _layer_config("Popen", module="subprocess", args=["touch", "pwned"]),
    "safe_mode_switch": _layer_config(
        units=2,
        activation={
            "module": "keras.config",
            "class_name": "function",
            "config": "enable_unsafe_deserialization",
        },
    ),
    "non_modeling_keras_function": _layer_config(
        units=2, kernel_initializer={"module": "keras.utils", "class_name": "function", "config": "get_file"}
    ),
    "torch_load_initializer": _layer_config(
        units=2, kernel_initializer={"module": "torch", "class_name": "load", "config": {"f": "pwned"}}
    ),
    "path_layer_name": {**_layer_config(units=2), "config": {"name": "../../pwned", "units": 2}},
}


@pytest.mark.parametrize("case", list(HOSTILE_CONFIGS))
def test_configs_that_name_code_are_refused(case, folder):
    path = _archive(folder / f"{case}.keras", _sequential_config(HOSTILE_CONFIGS[case]))
    _load_fails(path)
    assert not (folder / "pwned").exists()


@pytest.mark.parametrize(
    "function",
    [
        "torch.load",
        "torch.save",
        "os.system",
        "builtins.eval",
        "torch.from_file",
        "torch.Tensor.tofile",
        "numpy.load",
        "torch.hub.load",
        "operator.attrgetter",
    ],
)
def test_graph_operations_outside_the_allowlist_are_refused(function, folder):
    x = {
        "module": "keras.layers",
        "class_name": "InputLayer",
        "config": {"batch_shape": [None, 4], "name": "in"},
        "registered_name": None,
        "name": "in",
        "inbound_nodes": [],
    }
    tensor = {
        "class_name": "__keras_tensor__",
        "config": {"shape": [None, 4], "dtype": "float32", "keras_history": ["in", 0, 0]},
    }
    op = {
        "module": "torchkeras.layers",
        "class_name": "TorchFunction",
        "registered_name": None,
        "name": "op",
        "config": {"name": "op", "function": function},
        "inbound_nodes": [{"args": [tensor, "pwned"], "kwargs": {}}],
    }
    config = {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "registered_name": "Functional",
        "config": {
            "name": "f",
            "layers": [x, op],
            "input_layers": ["in", 0, 0],
            "output_layers": ["op", 0, 0],
        },
    }
    _load_fails(_archive(folder / "ops.keras", config), match="allowlist")
    assert not (folder / "pwned").exists()


def test_deep_nesting_and_huge_configs(folder):
    deep = b'{"a": [' * 5000 + b'{"class_name": "Dense", "config": {}}' + b"]}" * 5000
    _load_fails(_archive(folder / "deep.keras", deep), match="nested deeper")
    text = b"[" * 200_000 + b"]" * 200_000
    _load_fails(_archive(folder / "brackets.keras", text), match="nested deeper")
    path = _archive(
        folder / "big.keras", b"{}", members={"config.json": b" " * (serialization.MAX_CONFIG_BYTES + 10)}
    )
    _load_fails(path)


# ------------------------------------------------------------------------------------ archives


def test_zip_slip_and_unknown_members(folder):
    for name in ["../../pwned.txt", "/tmp/pwned.txt", "assets/../../pwned", "model.weights.npz", "extra.bin"]:
        path = _archive(folder / "slip.keras", {"class_name": "Sequential"}, members={name: b"pwned"})
        _load_fails(path)
        path.unlink()
    assert not (folder.parent / "pwned.txt").exists()


def _patch_sizes(path, member, size):
    """Rewrites a member's declared uncompressed size in its local and central headers."""
    data = bytearray(path.read_bytes())
    encoded = member.encode()
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_offset = 30 if signature == b"PK\x03\x04" else 46
            if data[start + name_offset : start + name_offset + len(encoded)] == encoded:
                data[start + size_offset : start + size_offset + 4] = struct.pack("<I", size)
            start += 4
    path.write_bytes(bytes(data))


def test_zip_bombs_and_declared_sizes(folder):
    bomb = folder / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", b"{}")
        archive.writestr("model.weights.h5", b"\0" * (70 * 2**20))
    _load_fails(bomb, match="decompression bomb")
    lying = _archive(folder / "lying.keras", {"class_name": "Sequential"})
    _patch_sizes(lying, "config.json", 0xFFFFFFF0)
    _load_fails(lying)


def test_archive_layout_tricks(folder):
    model = _model()
    pytest.importorskip("h5py")
    model.save(folder / "good.keras")
    good = (folder / "good.keras").read_bytes()
    variants = {
        "trailing.keras": good + b"junk",
        "prefixed.keras": b"junk" + good,
        "truncated.keras": good[: len(good) // 2],
        "empty.keras": b"",
        "random.keras": np.random.RandomState(0).bytes(4096),
    }
    with zipfile.ZipFile(folder / "commented.keras", "w") as archive:
        for info in zipfile.ZipFile(io.BytesIO(good)).infolist():
            archive.writestr(info.filename, zipfile.ZipFile(io.BytesIO(good)).read(info))
        archive.comment = b"hidden payload"
    with warnings.catch_warnings(), zipfile.ZipFile(folder / "duplicate.keras", "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate we are making
        archive.writestr("config.json", zipfile.ZipFile(io.BytesIO(good)).read("config.json"))
        archive.writestr("config.json", b"{}")
        archive.writestr("model.weights.h5", zipfile.ZipFile(io.BytesIO(good)).read("model.weights.h5"))
    for name, data in variants.items():
        (folder / name).write_bytes(data)
    for name in [*variants, "commented.keras", "duplicate.keras"]:
        _load_fails(folder / name)
        _load_fails(folder / name, loader="weights")


# --------------------------------------------------------------------------------- safetensors


def _safetensors(path, header, data=b""):
    text = json.dumps(header).encode() if not isinstance(header, bytes) else header
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


MALFORMED_HEADERS = {
    "not_json": b"{not json",
    "array": [1, 2],
    "unknown_dtype": {"vars/0": {"dtype": "OBJ", "shape": [1], "data_offsets": [0, 4]}},
    "negative_shape": {"vars/0": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}},
    "size_mismatch": {"vars/0": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}},
    "overlap": {
        "a/vars/0": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
        "b/vars/0": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]},
    },
    "gap": {"vars/0": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}},
    "huge_declared": {"vars/0": {"dtype": "F64", "shape": [2**40], "data_offsets": [0, 2**43]}},
    "extra_key": {"vars/0": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "path": "/etc/passwd"}},
    "metadata_not_strings": {"__metadata__": {"config": {"a": 1}}},
    "bool_offsets": {"vars/0": {"dtype": "F32", "shape": [1], "data_offsets": [False, True]}},
}


@pytest.mark.parametrize("case", list(MALFORMED_HEADERS))
def test_malformed_safetensors_headers(case, folder):
    path = _safetensors(folder / f"{case}.safetensors", MALFORMED_HEADERS[case], b"\0" * 8)
    _load_fails(path)
    _load_fails(path, loader="weights")


def test_safetensors_length_field_and_trailing_bytes(folder):
    good = folder / "good.weights.safetensors"
    _model().save_weights(good)
    data = good.read_bytes()
    variants = {
        "huge_header.safetensors": struct.pack("<Q", 2**60) + data[8:],
        "trailing.weights.safetensors": data + b"\0" * 8,
        "truncated.weights.safetensors": data[:-5],
        "empty.weights.safetensors": b"",
        "short.weights.safetensors": b"\x01\x02",
        "random.weights.safetensors": np.random.RandomState(1).bytes(1000),
    }
    for name, payload in variants.items():
        (folder / name).write_bytes(payload)
        _load_fails(folder / name, loader="weights")
    model_file = folder / "m.safetensors"
    _model().save(model_file)
    text = model_file.read_bytes()
    (folder / "cut.safetensors").write_bytes(text[: len(text) - 3])
    _load_fails(folder / "cut.safetensors")
    _load_fails(_safetensors(folder / "noconfig.safetensors", {"__metadata__": {"format": "pt"}}))


# -------------------------------------------------------------------------------------- HDF5


def test_hostile_h5_files(folder):
    h5py = pytest.importorskip("h5py")
    secret = folder / "secret.bin"
    secret.write_bytes(np.arange(6, dtype="float32").tobytes())
    files = {}
    with h5py.File(folder / "external.weights.h5", "w") as file:
        group = file.create_group("layers/dense_a/vars")
        group.create_dataset("0", shape=(4, 3), dtype="float32", external=[(str(secret), 0, 48)])
    with h5py.File(folder / "softlink.weights.h5", "w") as file:
        file.create_group("layers/dense_a/vars").create_dataset("0", data=np.zeros((4, 3), "float32"))
        file["layers/dense_b/vars"] = h5py.SoftLink("/layers/dense_a/vars")
    with h5py.File(folder / "extlink.weights.h5", "w") as file:
        file["layers/dense_a/vars"] = h5py.ExternalLink(str(folder / "other.h5"), "/x")
    with h5py.File(folder / "bomb.weights.h5", "w") as file:
        file.create_group("layers/dense_a/vars").create_dataset(
            "0", shape=(2**20, 2**10), dtype="float32", chunks=(1024, 1024), compression="gzip"
        )
    with h5py.File(folder / "strings.weights.h5", "w") as file:
        file.create_group("layers/dense_a/vars").create_dataset(
            "0", data=np.array([b"rm -rf"], dtype=object), dtype=h5py.string_dtype()
        )
    files = ["external", "softlink", "extlink", "bomb", "strings"]
    for name in files:
        _load_fails(folder / f"{name}.weights.h5", loader="weights")
    (folder / "random.weights.h5").write_bytes(np.random.RandomState(2).bytes(2048))
    _load_fails(folder / "random.weights.h5", loader="weights")


def test_missing_h5py_names_the_extra(folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    (folder / "k.weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n")
    with pytest.raises(ImportError, match=r"h5py.*`h5` extra"):
        _model().load_weights(folder / "k.weights.h5")


# ------------------------------------------------------------------------------ the code itself


def test_no_unsafe_calls_on_the_load_path():
    banned_names = {"pickle", "marshal", "eval", "exec", "cloudpickle", "dill", "shelve", "__import__"}
    for path in SAVING_SOURCES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                assert node.id not in banned_names, f"{path.name}: {node.id}"
            if isinstance(node, ast.Attribute):
                assert node.attr not in {"load", "loads"} or not (
                    isinstance(node.value, ast.Name)
                    and node.value.id in ("torch", "pickle", "marshal", "np", "numpy")
                ), f"{path.name}: {ast.unparse(node)}"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
                assert not banned_names & {n.split(".")[0] for n in names}, f"{path.name}: {names}"
            if isinstance(node, ast.keyword) and node.arg == "allow_pickle":
                raise AssertionError(f"{path.name}: allow_pickle")


# ------------------------------------------------------------------ bounded time and memory


def _cpu_seconds(load):
    before = time.process_time()
    load()
    return time.process_time() - before


def _peak_bytes(load):
    """The peak of memory allocated while `load` runs."""
    tracemalloc.start()
    try:
        load()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_config_scan_is_linear_for_unterminated_strings_of_escaped_quotes(folder):
    # The old pre-scan took ~10 s of CPU per load on these 60 KB (quadratic); one linear pass
    # takes milliseconds, so the bound is orders of magnitude from the answer either way.
    text = b'{"class_name": "' + b'\\"' * 30_000
    _archive(folder / "quotes.keras", text)
    _safetensors(folder / "quotes.weights.safetensors", b'{"__metadata__": {"a": "' + b'\\"' * 30_000)

    _load_fails(folder / "quotes.keras", match="not valid JSON")
    _load_fails(folder / "quotes.weights.safetensors", loader="weights", match="not valid JSON")
    model = _model()

    def load_all():
        for load, path in [
            (tk.models.load_model, folder / "quotes.keras"),
            (model.load_weights, folder / "quotes.weights.safetensors"),
            (tk.models.model_from_json, text.decode()),
        ]:
            with pytest.raises(ValueError, match="not valid JSON"):
                load(path)

    assert _cpu_seconds(load_all) < 2.0


def test_config_scan_counts_values_and_depth_before_parsing(folder):
    values = b"[" + b",".join([b"{}"] * 8_000_000) + b"]"  # 24 MB: json.loads would build ~1.4 GB
    path = _safetensors(folder / "values.weights.safetensors", b'{"a": ' + values + b"}")
    assert _peak_bytes(lambda: _load_fails(path, loader="weights", match="more than 1000000")) < 100 * 2**20
    assert serialization.scan_config_json(b'{"a": [1, 2, {}], "b": "x,[{\\"", "c": [ ]}') == (7, 3)
    assert serialization.scan_config_json(b'["\\\\", "\\\\\\"]"]') == (3, 1)
    with pytest.raises(ValueError, match="nested deeper"):
        serialization.scan_config_json(b'["\\\\", ' + b"[" * 200 + b"]" * 200 + b"]")


def test_small_deflated_members_are_checked_for_bombs(folder):
    bomb = folder / "values.keras"
    config = b"[" + b",".join([b"{}"] * 8_000_000) + b"]"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("config.json", config)
        archive.writestr("model.weights.h5", b"")
    assert bomb.stat().st_size < 100_000
    assert _peak_bytes(lambda: _load_fails(bomb, match="decompression bomb")) < 100 * 2**20


# ------------------------------------------------------------------ every tensor has a place


@pytest.mark.parametrize("duplicate", ["__metadata__", "vars/0"])
def test_safetensors_headers_with_a_duplicate_key_are_refused(folder, duplicate):
    entry = '{"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}'
    text = {
        "__metadata__": '{"__metadata__": {"format": "pt"}, "__metadata__": {"format": "pt"}, "vars/0": E}',
        "vars/0": '{"vars/0": E, "vars/0": E}',
    }[duplicate].replace("E", entry)
    path = _safetensors(folder / "twice.weights.safetensors", text.encode(), b"\0" * 4)
    _load_fails(path, loader="weights", match="appears twice")


def test_tensors_for_layers_the_model_lacks_are_refused(folder):
    bigger = tk.Sequential(
        [tk.Input((4,)), tk.layers.Dense(3), tk.layers.Dense(2), tk.layers.Dense(5, name="extra")]
    )
    bigger.save_weights(folder / "bigger.weights.safetensors")
    error = _load_fails(folder / "bigger.weights.safetensors", loader="weights", match="does not have")
    assert "layers/dense_2/vars" in str(error)
    model = _model()
    with pytest.warns(UserWarning, match="no place"):
        model.load_weights(folder / "bigger.weights.safetensors", skip_mismatch=True)
    np.testing.assert_allclose(
        model.layers[0].kernel.detach().numpy(), bigger.layers[0].kernel.detach().numpy()
    )


def test_an_optimizer_state_is_ignored_by_a_model_without_optimizer(folder):
    model = _model()
    model.compile("adam", "mse")
    model.fit(np.ones((4, 4)), np.ones((4, 2)), verbose=0)
    model.save(folder / "trained.keras")
    loaded = tk.models.load_model(folder / "trained.keras", compile=False)
    np.testing.assert_allclose(
        loaded.predict(np.ones((2, 4)), verbose=0), model.predict(np.ones((2, 4)), verbose=0)
    )
