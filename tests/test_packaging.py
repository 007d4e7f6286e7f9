"""Packaging: every folder of torchkeras/ holding Python files is a package that setup.cfg's
`packages = find:` picks up, so `pip install .` and the wheel carry all of it (a folder without
`__init__.py` is silently left out of both, while an editable install hides the gap)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "torchkeras"


def _folders_with_python_files() -> list[Path]:
    folders = {path.parent for path in PACKAGE.rglob("*.py")}
    return sorted(folder for folder in folders if "__pycache__" not in folder.parts)


def test_every_folder_with_python_files_has_an_init():
    missing = [
        str(f.relative_to(ROOT)) for f in _folders_with_python_files() if not (f / "__init__.py").exists()
    ]
    assert not missing, f"These folders hold .py files but no __init__.py (left out of the wheel): {missing}"


def test_setup_cfg_finds_every_package():
    setuptools = pytest.importorskip("setuptools")
    found = set(setuptools.find_packages(where=str(ROOT), include=["torchkeras*"]))
    expected = {".".join(f.relative_to(ROOT).parts) for f in _folders_with_python_files()}
    assert expected <= found, f"setup.cfg's find: misses {sorted(expected - found)}"
