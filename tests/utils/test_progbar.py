"""`Progbar`: Keras's averaging and lines; tensors read only when a line is drawn."""

import logging
import re

import numpy as np
import pytest
import torch

import torchkeras as tk
from torchkeras.utils import progbar as progbar_module


def without_times(text):
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return re.sub(r" \d+s -? ?\d+(us|ms|s)/(step|sample)", " T", text)


def _run(lib, verbose, finalize_last=True, **kwargs):
    bar = lib.utils.Progbar(target=4, verbose=verbose, **kwargs)
    bar.update(1, [("loss", 1.0), ("acc", 0.5)])
    bar.update(3, [("loss", 3.0), ("acc", 0.7)])  # covers two steps: weight 2
    bar.update(4 if finalize_last else 3, [("loss", 2.0), ("acc", 0.9)])


@pytest.mark.parametrize("kwargs", [{}, {"stateful_metrics": ["acc"]}, {"unit_name": "sample"}])
def test_verbose_2_matches_keras(keras, capsys, kwargs):
    _run(keras, 2, **kwargs)
    theirs = capsys.readouterr().out
    _run(tk, 2, **kwargs)
    ours = capsys.readouterr().out
    assert without_times(ours) == without_times(theirs)
    assert ours.count("\n") == 1


def test_averages_over_steps_as_keras(monkeypatch, capsys):
    monkeypatch.setattr(progbar_module, "_dynamic_display", lambda: True)
    bar = tk.utils.Progbar(target=10, verbose=1, interval=0.0, stateful_metrics=["acc"])
    bar.update(1, [("loss", torch.tensor(1.0)), ("acc", 0.5)])
    bar.update(3, [("loss", torch.tensor(4.0)), ("acc", 0.7)])  # (1 * 1 + 4 * 2) / 3 = 3
    line = capsys.readouterr().out.split("\r")[-1]
    assert line.rstrip().endswith(" - loss: 3.0000 - acc: 0.7000")
    bar.add(7, [("loss", 9.0)])  # the final update shows its own value, as Keras
    assert re.search(r" - loss: 9.0000 - acc: 0.7000 *\n$", capsys.readouterr().out)


def test_tensors_are_read_only_when_drawn(monkeypatch, capsys):
    reads = []
    real = progbar_module.pythonify_logs
    monkeypatch.setattr(progbar_module, "pythonify_logs", lambda logs: reads.append(logs) or real(logs))
    bar = tk.utils.Progbar(target=5, verbose=1)  # piped output: only the final line is drawn
    for step in range(5):
        bar.update(step + 1, {"loss": torch.tensor(float(step))})
    assert len(reads) == 1
    assert capsys.readouterr().out.endswith(" - loss: 4.0000\n")


def test_unknown_target_and_silent_mode(capsys):
    bar = tk.utils.Progbar(target=None, verbose=1)
    bar.update(3, [("loss", 0.5)], finalize=True)
    assert without_times(capsys.readouterr().out) == "      3/Unknown T - loss: 0.5000\n"
    silent = tk.utils.Progbar(target=3, verbose=0)
    silent.update(3, [("loss", 0.5)])
    assert capsys.readouterr().out == ""


def test_interactive_logging_switch(caplog, capsys):
    assert tk.utils.is_interactive_logging_enabled()
    tk.utils.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="torchkeras"):
            tk.utils.Progbar(target=2, verbose=2).update(2, [("loss", np.float32(0.25))])
        assert not tk.utils.is_interactive_logging_enabled()
    finally:
        tk.utils.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    assert any("loss: 0.2500" in record.getMessage() for record in caplog.records)


def test_bad_arguments():
    with pytest.raises(ValueError, match="only one"):
        tk.utils.Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])
    with pytest.raises(ValueError, match="target"):
        tk.utils.Progbar(-1)
