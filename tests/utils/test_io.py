"""The atomic writer: a completed write replaces the file, a failed one leaves it untouched."""

import os
import stat

import pytest

from torchkeras.utils import io


def _files(folder):
    return sorted(os.listdir(folder))


def test_writes_bytes_and_chunks(tmp_path):
    target = tmp_path / "out.bin"
    io.atomic_write(target, b"hello")
    assert target.read_bytes() == b"hello"
    io.atomic_write(target, [b"ab", bytearray(b"cd"), memoryview(b"ef")])
    assert target.read_bytes() == b"abcdef"
    assert _files(tmp_path) == ["out.bin"]


def test_new_file_gets_default_permissions_and_existing_keeps_its_own(tmp_path):
    target = tmp_path / "out.bin"
    io.atomic_write(target, b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    target.chmod(0o600)
    io.atomic_write(target, b"y")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def _failing_chunks(error):
    yield b"partial data"
    raise error


@pytest.mark.parametrize(
    "error", [RuntimeError("boom"), KeyboardInterrupt(), OSError(28, "No space left on device")]
)
def test_failure_while_serializing_leaves_previous_file(tmp_path, error):
    target = tmp_path / "model.keras"
    target.write_bytes(b"previous")
    with pytest.raises(type(error)):
        io.atomic_write(target, _failing_chunks(error))
    assert target.read_bytes() == b"previous"
    assert _files(tmp_path) == ["model.keras"]


@pytest.mark.parametrize("error", [KeyboardInterrupt(), OSError(28, "No space left on device")])
def test_failure_while_writing_removes_temp_file(tmp_path, monkeypatch, error):
    target = tmp_path / "model.keras"
    target.write_bytes(b"previous")
    real_fsync = os.fsync

    def failing_fsync(descriptor):
        real_fsync(descriptor)
        raise error

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(type(error)):
        io.atomic_write(target, b"new content")
    monkeypatch.undo()
    assert target.read_bytes() == b"previous"
    assert _files(tmp_path) == ["model.keras"]


def test_failure_in_replace_keeps_previous(tmp_path, monkeypatch):
    target = tmp_path / "w.weights.safetensors"
    target.write_bytes(b"previous")

    def failing_replace(source, destination):
        raise PermissionError("denied")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(PermissionError):
        io.atomic_write(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"previous"
    assert _files(tmp_path) == ["w.weights.safetensors"]


def test_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        io.atomic_write(tmp_path / "missing" / "x.keras", b"x")
    with pytest.raises(IsADirectoryError, match=str(tmp_path)):
        io.atomic_write(tmp_path, b"x")


def test_read_limited(tmp_path):
    target = tmp_path / "meta.json"
    target.write_bytes(b"0123456789")
    assert io.read_limited(target, 10) == b"0123456789"
    with pytest.raises(ValueError, match="meta.json.*over the limit"):
        io.read_limited(target, 9)


def test_overwrite_prompt(monkeypatch, capsys):
    answers = iter(["maybe", "n"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    assert io.ask_to_proceed_with_overwrite("m.keras") is False
    monkeypatch.setattr("builtins.input", lambda prompt="": "y")
    assert io.ask_to_proceed_with_overwrite("m.keras") is True
    assert "overwrite=True" in capsys.readouterr().out
