"""Keras's dataset loaders on small files written in the real formats, and hostile files refused."""

import gzip
import os
import pickle

import numpy as np
import pytest

from torchkeras import datasets
from torchkeras.datasets import remote_file
from torchkeras.datasets.safe_unpickle import load_npz, read_pickle_stream


def _object_array(rows):
    array = np.empty(len(rows), dtype=object)
    array[:] = rows
    return array


@pytest.fixture
def files(tmp_path, monkeypatch):
    """Writes small dataset files and routes every fetch to them, recording the requests."""
    rng = np.random.default_rng(0)
    made = {}
    np.savez(
        tmp_path / "mnist.npz",
        x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, 6, dtype=np.uint8),
        x_test=rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, 3, dtype=np.uint8),
    )
    for name in ("boston_housing.npz", "california_housing.npz"):
        np.savez(tmp_path / name, x=rng.normal(size=(700, 8)), y=rng.normal(size=700))

    def reviews(n):
        return _object_array([[int(v) for v in rng.integers(0, 40, rng.integers(1, 12))] for _ in range(n)])

    np.savez(
        tmp_path / "imdb.npz",
        x_train=reviews(20),
        y_train=rng.integers(0, 2, 20),
        x_test=reviews(15),
        y_test=rng.integers(0, 2, 15),
    )
    np.savez(tmp_path / "reuters.npz", x=reviews(30), y=rng.integers(0, 46, 30))
    fashion = tmp_path / "fashion"
    fashion.mkdir()
    for prefix, n in (("train", 5), ("t10k", 4)):
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        with gzip.open(fashion / f"{prefix}-labels-idx1-ubyte.gz", "wb") as handle:
            handle.write(b"\0" * 8 + labels.tobytes())
        with gzip.open(fashion / f"{prefix}-images-idx3-ubyte.gz", "wb") as handle:
            handle.write(b"\0" * 16 + images.tobytes())
    for name, sub, batches, key in (
        (
            "cifar-10-batches-py-target",
            "cifar-10-batches-py",
            ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"],
            "labels",
        ),
        ("cifar-100-python-target", "cifar-100-python", ["train", "test"], None),
    ):
        folder = tmp_path / name / sub
        folder.mkdir(parents=True)
        for batch in batches:
            n = 4
            content = {b"batch_label": b"x", b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8)}
            if key:
                content[b"labels"] = [int(v) for v in rng.integers(0, 10, n)]
            else:
                content[b"fine_labels"] = [int(v) for v in rng.integers(0, 100, n)]
                content[b"coarse_labels"] = [int(v) for v in rng.integers(0, 20, n)]
            (folder / batch).write_bytes(pickle.dumps(content, protocol=4))
        made[name] = str(tmp_path / name)

    requests = []

    def fetch(fname, origin, file_hash=None, **kwargs):
        requests.append((fname, origin, file_hash, kwargs))
        if fname in made:
            return made[fname]
        if "fashion-mnist" in kwargs.get("cache_subdir", ""):
            return str(fashion / fname)
        return str(tmp_path / fname)

    monkeypatch.setattr(remote_file, "fetch", fetch)
    for module in (
        "mnist",
        "fashion_mnist",
        "cifar10",
        "cifar100",
        "imdb",
        "reuters",
        "housing",
        "word_sequences",
    ):
        target = getattr(datasets, module, None) or __import__(
            f"torchkeras.datasets.{module}", fromlist=["x"]
        )
        if hasattr(target, "fetch"):
            monkeypatch.setattr(target, "fetch", fetch)
    return {"path": tmp_path, "requests": requests, "fetch": fetch}


def _keras_with(keras, monkeypatch, module_name, fetch):
    import importlib

    module = importlib.import_module(f"keras.src.datasets.{module_name}")

    def get_file(fname=None, origin=None, file_hash=None, **kwargs):
        return fetch(fname, origin, file_hash, **kwargs)

    monkeypatch.setattr(module, "get_file", get_file)
    return module


def _assert_same(ours, theirs):
    for a, b in zip(ours, theirs):
        for x, y in zip(a, b):
            x, y = np.asarray(x), np.asarray(y)
            assert x.shape == y.shape and x.dtype == y.dtype
            if x.dtype == object:
                assert [list(map(int, row)) for row in x] == [list(map(int, row)) for row in y]
            else:
                np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("mnist", {}),
        ("fashion_mnist", {}),
        ("cifar100", {}),
        ("cifar100", {"label_mode": "coarse"}),
        ("boston_housing", {}),
        ("california_housing", {"version": "small", "test_split": 0.3, "seed": 4}),
        ("imdb", {}),
        ("imdb", {"num_words": 20, "skip_top": 2, "maxlen": 8, "seed": 3}),
        ("imdb", {"oov_char": None, "start_char": None, "index_from": 0}),
        ("reuters", {}),
        ("reuters", {"num_words": 25, "maxlen": 9, "test_split": 0.5, "oov_char": None}),
    ],
)
def test_loaders_match_keras(files, keras, monkeypatch, name, kwargs):
    keras_module = _keras_with(keras, monkeypatch, name, files["fetch"])
    ours = getattr(datasets, name).load_data(**kwargs)
    _assert_same(ours, keras_module.load_data(**kwargs))


def test_cifar10_joins_keras_batches(files, keras):
    from keras.src.datasets.cifar import load_batch as keras_load_batch

    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()
    folder = files["path"] / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    parts = [keras_load_batch(str(folder / f"data_batch_{i}")) for i in range(1, 6)]
    expected_x = np.concatenate([data for data, _ in parts]).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(x_train, expected_x)
    np.testing.assert_array_equal(y_train[:, 0], np.concatenate([labels for _, labels in parts]))
    data, labels = keras_load_batch(str(folder / "test_batch"))
    np.testing.assert_array_equal(x_test, data.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_test[:, 0], labels)


def test_loaders_ask_for_keras_cache_names_and_hashes(files):
    datasets.mnist.load_data()
    datasets.cifar10.load_data()
    fname, origin, file_hash, _ = files["requests"][0]
    assert (fname, origin) == (
        "mnist.npz",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    )
    assert file_hash.startswith("731c5ac6")
    assert files["requests"][1][3] == {"extract": True}


def test_cifar_follows_image_data_format(files):
    import torchkeras

    (x, y), _ = datasets.cifar10.load_data()
    assert x.shape == (20, 32, 32, 3) and y.shape == (20, 1) and y.dtype == np.uint8
    torchkeras.config.set_image_data_format("channels_first")
    try:
        (x, _), _ = datasets.cifar10.load_data()
    finally:
        torchkeras.config.set_image_data_format("channels_last")
    assert x.shape == (20, 3, 32, 32)


def test_argument_errors():
    with pytest.raises(ValueError, match="label_mode"):
        datasets.cifar100.load_data(label_mode="medium")
    with pytest.raises(ValueError, match="version"):
        datasets.california_housing.load_data(version="tiny")
    with pytest.raises(ValueError, match="test_split"):
        datasets.boston_housing.load_data(test_split=1.0)
    assert len(datasets.reuters.get_label_names()) == 46


def test_word_index_reads_json(files):
    (files["path"] / "imdb_word_index.json").write_text('{"the": 1, "movie": 17}')
    assert datasets.imdb.get_word_index() == {"the": 1, "movie": 17}
    (files["path"] / "reuters_word_index.json").write_text('["not", "a", "dict"]')
    with pytest.raises(ValueError, match="word index"):
        datasets.reuters.get_word_index()


# ------------------------------------------------------------------ hostile files never run code


class _Gadget:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_code_in_a_pickle_stream_is_refused(protocol):
    stream = pickle.dumps({b"data": _Gadget()}, protocol=protocol)
    with pytest.raises(ValueError, match="Refusing"):
        read_pickle_stream(stream, encoding="bytes")


def test_hostile_object_array_in_npz_is_refused(tmp_path):
    np.savez(tmp_path / "evil.npz", x=_object_array([_Gadget(), [1, 2]]))
    with pytest.raises(ValueError, match="Refusing"):
        load_npz(str(tmp_path / "evil.npz"))


def test_hostile_cifar_batch_is_refused(files):
    batch = files["path"] / "cifar-10-batches-py-target" / "cifar-10-batches-py" / "test_batch"
    batch.write_bytes(pickle.dumps({b"data": _Gadget(), b"labels": [1]}, protocol=2))
    with pytest.raises(ValueError, match="Refusing"):
        datasets.cifar10.load_data()


@pytest.mark.parametrize(
    "stream",
    [
        b"\x80\x02]q\x00(K\x01K\x02e.extra",  # stops with data after STOP: only the first value is read
        b"\x80\x02(K\x01K\x02.",  # two values left on the stack
        b"\x80\x02cbuiltins\ngetattr\n.",  # a bare dangerous global
        b"\x80\x02" + b"]" * 3 + b".",
        b"\x80\x02X\xff\xff\xff\x00abc.",  # declared length beyond the data
    ],
)
def test_malformed_streams_raise_value_error(stream):
    if stream.endswith(b"extra"):
        assert read_pickle_stream(stream) == [1, 2]
        return
    with pytest.raises(ValueError):
        read_pickle_stream(stream)


def test_plain_values_round_trip():
    rng = np.random.default_rng(1)
    value = {
        "ints": [1, -5, 2**40, 7],
        "floats": (0.5, -1e300),
        "text": "héllo",
        "raw": b"\x00\xff",
        "flags": [True, False, None],
        "arrays": [rng.normal(size=(2, 3)).astype("float32"), np.arange(6, dtype=">i4").reshape(3, 2)],
        "fortran": np.asfortranarray(rng.integers(0, 9, (3, 4))),
    }
    for protocol in (2, 3, 4, 5):
        out = read_pickle_stream(pickle.dumps(value, protocol=protocol))
        assert out["ints"] == value["ints"] and out["floats"] == value["floats"]
        assert out["text"] == value["text"] and out["raw"] == value["raw"] and out["flags"] == value["flags"]
        for a, b in zip(out["arrays"] + [out["fortran"]], value["arrays"] + [value["fortran"]]):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


def test_offline_error_names_file_and_folder(tmp_path, monkeypatch):
    import urllib.error
    import urllib.request

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(OSError, match=r"mnist\.npz.*" + str(tmp_path / "datasets").replace("/", r"\/")):
        datasets.mnist.load_data()


def test_file_already_in_keras_cache_is_used(tmp_path, monkeypatch):
    import urllib.request

    def no_download(*args, **kwargs):
        raise AssertionError("the cached file must be used")

    monkeypatch.setattr(urllib.request, "urlopen", no_download)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    rng = np.random.default_rng(5)
    np.savez(tmp_path / "datasets" / "reuters.npz", x=_object_array([[1, 2, 3], [4, 5]]), y=np.array([3, 4]))
    from torchkeras.datasets import reuters

    monkeypatch.setattr(reuters, "_HASH", None)  # a stand-in file: skip the published hash
    (x_train, y_train), (x_test, y_test) = reuters.load_data(test_split=0.5, seed=int(rng.integers(100)))
    assert len(x_train) == 1 and len(x_test) == 1
