"""Every tutorial runs end to end in its quick mode (CI runs them through this test)."""

import importlib.util
from pathlib import Path

import pytest

TUTORIALS = sorted((Path(__file__).resolve().parents[1] / "tutorials").glob("*.py"))


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs_quick(path, capsys):
    module = _load(path)
    result = module.main(["--quick"])
    output = capsys.readouterr().out
    assert "Epoch 1/" in output and "Total params" in output
    if path.stem == "digits_classifier":
        assert result > 0.5  # two quick epochs already beat chance (0.1) by far
        assert "the reloaded model predicts the same: True" in output
