"""`get_file`: Keras's cache layout, hash checks, safe extraction, and a clear offline error.

No test touches the network: origins are `file://` URLs or a loopback HTTP server.
"""

import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile

import pytest

from torchkeras.utils import get_file
from torchkeras.utils.file_utils import hash_file, validate_file


def _source(tmp_path, name="data.bin", payload=b"torchkeras payload"):
    folder = tmp_path / "remote"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(payload)
    return path, path.as_uri()


def _read(path):
    with open(path, "rb") as file:
        return file.read()


def _visible(folder):
    return sorted(name for name in os.listdir(folder))


def test_downloads_into_keras_home_layout_and_then_uses_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    source, origin = _source(tmp_path)
    path = get_file(origin=origin)
    assert path == str(tmp_path / "home" / "datasets" / "data.bin")
    assert _read(path) == b"torchkeras payload"
    source.unlink()  # the origin is gone: the cached copy must be used
    assert get_file("data.bin", origin=origin) == path
    other = get_file(
        "renamed.bin", origin=_source(tmp_path)[1], cache_subdir="models", cache_dir=tmp_path / "c"
    )
    assert other == str(tmp_path / "c" / "models" / "renamed.bin")
    assert _visible(tmp_path / "home" / "datasets") == ["data.bin"]


def test_http_download_with_sha256_and_md5(tmp_path):
    payload = b"x" * 200_000
    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "weights.h5").write_bytes(payload)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path / "served"), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        origin = f"http://127.0.0.1:{server.server_address[1]}/weights.h5"
        sha = hashlib.sha256(payload).hexdigest()
        path = get_file(origin=origin, file_hash=sha, cache_dir=tmp_path / "cache")
        assert _read(path) == payload
        md5 = hashlib.md5(payload).hexdigest()
        path = get_file("w2.h5", origin=origin, md5_hash=md5, cache_dir=tmp_path / "cache")
        assert _read(path) == payload
        missing = f"http://127.0.0.1:{server.server_address[1]}/missing.h5"
        with pytest.raises(OSError, match="404"):
            get_file(origin=missing, cache_dir=tmp_path / "cache")
    finally:
        server.shutdown()
        server.server_close()
    assert _visible(tmp_path / "cache" / "datasets") == ["w2.h5", "weights.h5"]


def test_hash_helpers_match_hashlib(tmp_path):
    path, _ = _source(tmp_path)
    assert hash_file(path) == hashlib.sha256(b"torchkeras payload").hexdigest()
    assert hash_file(path, "md5") == hashlib.md5(b"torchkeras payload").hexdigest()
    assert validate_file(path, hashlib.md5(b"torchkeras payload").hexdigest())  # auto: 32 digits -> md5
    assert not validate_file(path, "0" * 64)


def test_bad_download_hash_is_rejected_and_nothing_is_left(tmp_path):
    _, origin = _source(tmp_path)
    with pytest.raises(ValueError, match="does not match"):
        get_file(origin=origin, file_hash="0" * 64, cache_dir=tmp_path / "cache")
    assert _visible(tmp_path / "cache" / "datasets") == []


def test_cached_file_with_wrong_hash_is_downloaded_again(tmp_path):
    _, origin = _source(tmp_path)
    stale = tmp_path / "cache" / "datasets" / "data.bin"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"truncated")
    sha = hashlib.sha256(b"torchkeras payload").hexdigest()
    path = get_file(origin=origin, file_hash=sha, cache_dir=tmp_path / "cache")
    assert _read(path) == b"torchkeras payload"
    stale.write_bytes(b"changed")
    get_file(origin=origin, force_download=True, cache_dir=tmp_path / "cache")
    assert stale.read_bytes() == b"torchkeras payload"


def _tar_bytes(members, mode="w:gz"):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def _file_member(name, data=b"hello"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _link_member(name, target, kind):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def test_extracts_tar_and_zip_with_keras_folder_names(tmp_path):
    payload = _tar_bytes(
        [_file_member("flowers/a.txt"), _link_member("flowers/b.txt", "a.txt", tarfile.SYMTYPE)]
    )
    _, origin = _source(tmp_path, "flowers.tgz", payload)
    folder = get_file(origin=origin, extract=True, cache_dir=tmp_path / "c")
    assert folder == str(tmp_path / "c" / "datasets" / "flowers.tgz")
    assert _read(os.path.join(folder, "flowers", "b.txt")).decode() == "hello"
    assert os.path.exists(str(tmp_path / "c" / "datasets" / "flowers.tgz_archive"))

    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("inner/x.txt", "zip data")
    _, origin = _source(tmp_path, "pack.zip", zipped.getvalue())
    folder = get_file("pack.zip", origin=origin, extract=True, cache_dir=tmp_path / "c")
    assert folder == str(tmp_path / "c" / "datasets" / "pack_extracted")
    assert _read(os.path.join(folder, "inner", "x.txt")).decode() == "zip data"
    folder = get_file(
        "pack", origin=origin, untar=False, extract=True, archive_format="zip", cache_dir=tmp_path / "c"
    )
    assert folder == str(tmp_path / "c" / "datasets" / "pack")


@pytest.mark.parametrize(
    "member",
    [
        _file_member("../escape.txt"),
        _file_member("/tmp/absolute.txt"),
        _link_member("link", "../../outside", tarfile.SYMTYPE),
        _link_member("link", "/etc/passwd", tarfile.SYMTYPE),
        _link_member("hard", "../outside", tarfile.LNKTYPE),
    ],
    ids=["dotdot", "absolute", "symlink-up", "symlink-absolute", "hardlink-up"],
)
def test_tar_members_leaving_the_folder_are_refused_before_extraction(tmp_path, member):
    payload = _tar_bytes([_file_member("ok.txt"), member])
    _, origin = _source(tmp_path, "bad.tar.gz", payload)
    with pytest.raises(ValueError, match="Refusing to extract"):
        get_file("bad", origin=origin, extract=True, cache_dir=tmp_path / "c")
    assert _visible(tmp_path / "c" / "datasets") == ["bad_archive"]  # no folder, no staging left
    assert not (tmp_path / "escape.txt").exists()


def test_zip_member_leaving_the_folder_is_refused(tmp_path):
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("ok.txt", "fine")
        archive.writestr("../../escape.txt", "evil")
    _, origin = _source(tmp_path, "bad.zip", zipped.getvalue())
    with pytest.raises(ValueError, match=r"'\.\./\.\./escape\.txt'"):
        get_file(origin=origin, extract=True, cache_dir=tmp_path / "c")
    assert _visible(tmp_path / "c" / "datasets") == ["bad.zip_archive"]


def test_offline_error_names_the_file_and_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    origin = "http://127.0.0.1:9/models/resnet.h5"  # the discard port: connection refused
    folder = str(tmp_path / "home" / "models")
    with pytest.raises(OSError) as info:
        get_file(origin=origin, cache_subdir="models")
    message = str(info.value)
    assert "resnet.h5" in message and folder in message and origin in message
    assert _visible(folder) == []


def test_argument_errors():
    with pytest.raises(ValueError, match="origin"):
        get_file("x")
    with pytest.raises(ValueError, match="fname"):
        get_file(os.path.join("a", "b"), origin="file:///x")
    with pytest.raises(ValueError, match="hash_algorithm"):
        get_file("x", origin="file:///x", hash_algorithm="sha1")
    with pytest.raises(ValueError, match="archive_format"):
        get_file("x", origin="file:///x", extract=True, archive_format="rar")
    with pytest.raises(ValueError, match="file name"):
        get_file(origin="http://example.com/")


def test_same_paths_as_keras(tmp_path, keras):
    payload = _tar_bytes([_file_member("d/a.txt")])
    _, origin = _source(tmp_path, "arch.tar.gz", payload)
    cases = [{}, {"fname": "f.tar.gz", "extract": True}, {"extract": True}, {"fname": "g", "extract": True}]
    for index, kwargs in enumerate(cases):
        ours, theirs = tmp_path / f"ours{index}", tmp_path / f"keras{index}"
        ours.mkdir()
        theirs.mkdir()  # Keras falls back to /tmp/.keras for a folder it cannot write yet
        ours_path = get_file(origin=origin, cache_dir=str(ours), **kwargs)
        keras_path = keras.utils.get_file(origin=origin, cache_dir=str(theirs), **kwargs)
        assert os.path.relpath(ours_path, ours) == os.path.relpath(keras_path, theirs)
        assert _visible(ours / "datasets") == _visible(theirs / "datasets")
