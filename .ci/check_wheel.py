"""CI: the built wheel holds every file of the source package (Python files and package data)."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {name for name in archive.namelist() if name.startswith("torchkeras/")}
    in_source = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "torchkeras").rglob("*")
        if path.is_file() and path.suffix in (".py", ".npz") and "__pycache__" not in path.parts
    }
    missing = sorted(in_source - in_wheel)
    if missing:
        sys.exit(f"The wheel {wheel} lacks {len(missing)} file(s) of the source tree: {missing}")
    print(f"wheel ok: {len(in_wheel)} files, every source file included")


if __name__ == "__main__":
    main(sys.argv[1])
