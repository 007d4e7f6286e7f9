"""ProgbarLogger: what verbose 0/1/2 print for fit, evaluate and predict (captured with capsys)."""

from __future__ import annotations

import re
import sys
import types

import pytest
import torch

from torchkeras.callbacks import CallbackList, ProgbarLogger
from torchkeras.utils import progbar as progbar_module

# Key-sorted, as Keras's CallbackList hands logs to its ProgbarLogger.
BATCH_LOGS = [
    {"accuracy": 0.25, "loss": 0.5},
    {"accuracy": 0.5, "loss": 0.4},
    {"accuracy": 0.75, "loss": 0.3},
]
EPOCH_LOGS = {"accuracy": 0.75, "loss": 0.3, "val_accuracy": 0.0001, "val_loss": 0.35}


def fit(callback, verbose, epochs=2, steps=3, tensors=False):
    callback.set_params({"verbose": verbose, "epochs": epochs, "steps": steps})
    callback.on_train_begin()
    for epoch in range(epochs):
        callback.on_epoch_begin(epoch)
        for batch, logs in enumerate(BATCH_LOGS):
            if tensors:
                logs = {key: torch.tensor(value) for key, value in logs.items()}
            callback.on_train_batch_end(batch, logs)
        callback.on_test_begin()  # validation inside fit: silent
        callback.on_test_batch_end(0, {"loss": 0.35})
        callback.on_test_end({"loss": 0.35})
        callback.on_epoch_end(epoch, dict(EPOCH_LOGS))
    callback.on_train_end()


def evaluate(callback, verbose, steps=3):
    callback.set_params({"verbose": verbose, "epochs": 1, "steps": steps})
    callback.on_test_begin()
    for batch, logs in enumerate(BATCH_LOGS):
        callback.on_test_batch_end(batch, logs)
    callback.on_test_end({"accuracy": 0.75, "loss": 0.3})


def predict(callback, verbose, steps=3):
    callback.set_params({"verbose": verbose, "epochs": 1, "steps": steps})
    callback.on_predict_begin()
    for batch in range(3):
        callback.on_predict_batch_end(batch, {"outputs": torch.zeros(2, 1)})
    callback.on_predict_end()


def without_times(text):
    return re.sub(r" - \d+s - \d+(us|ms|s)/step", " - Ts - T/step", text)


@pytest.mark.parametrize("steps", [3, None])
@pytest.mark.parametrize("run", [fit, evaluate, predict])
def test_verbose_2_matches_keras(run, steps, keras, capsys):
    run(keras.callbacks.ProgbarLogger(), 2, steps=steps)
    keras_out = capsys.readouterr().out
    run(ProgbarLogger(), 2, steps=steps)
    ours = capsys.readouterr().out
    assert without_times(ours) == without_times(keras_out)
    assert ours.count("\n") == {fit: 4, evaluate: 1, predict: 1}[run]


def test_verbose_2_lines(capsys):
    fit(ProgbarLogger(), 2, tensors=True)
    lines = capsys.readouterr().out.splitlines()
    line = (
        r"3/3 - \d+s - \d+(us|ms|s)/step - accuracy: 0.7500 - loss: 0.3000"
        r" - val_accuracy: 1.0000e-04 - val_loss: 0.3500"
    )
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert re.fullmatch(line, lines[1]) and re.fullmatch(line, lines[3])


@pytest.mark.parametrize("run", [fit, evaluate, predict])
def test_verbose_0_is_silent(run, capsys):
    run(ProgbarLogger(), 0)
    assert capsys.readouterr().out == ""


def final_lines(out):
    """The last state of each bar: the text after the last carriage return of every line."""
    return [line.split("\r")[-1] for line in out.split("\n")[:-1]]


def test_verbose_1_fit(capsys):
    fit(ProgbarLogger(), 1, tensors=True)
    lines = final_lines(capsys.readouterr().out)
    assert len(lines) == 4
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    for line in lines[1::2]:
        assert line.startswith("3/3 ")
        assert line.endswith(
            " - accuracy: 0.7500 - loss: 0.3000 - val_accuracy: 1.0000e-04 - val_loss: 0.3500"
        )


def test_verbose_1_single_epoch_has_no_header(capsys):
    fit(ProgbarLogger(), 1, epochs=1)
    lines = final_lines(capsys.readouterr().out)
    assert len(lines) == 1 and lines[0].startswith("3/3 ")


def test_verbose_1_unknown_steps(monkeypatch, capsys):
    monkeypatch.setattr(progbar_module, "_dynamic_display", lambda: True)
    callback = ProgbarLogger()
    fit(callback, 1, steps=None)
    out = capsys.readouterr().out
    assert "\r      0/Unknown " in out  # live, as Keras: the count padded to 7 characters
    lines = final_lines(out)
    assert lines[1].startswith("3/3 ")  # the final line and later epochs use the count found
    assert lines[3].startswith("3/3 ")
    assert callback.target == 3


def test_verbose_1_evaluate_and_predict(capsys):
    evaluate(ProgbarLogger(), 1)
    predict(ProgbarLogger(), 1)
    lines = final_lines(capsys.readouterr().out)
    assert len(lines) == 2
    assert lines[0].startswith("3/3 ") and lines[0].endswith(" - accuracy: 0.7500 - loss: 0.3000")
    assert lines[1].startswith("3/3 ") and "loss" not in lines[1]


def test_auto_verbose_is_1(capsys):
    callback = ProgbarLogger()
    callback.set_params({"verbose": "auto", "epochs": 1, "steps": 3})
    assert callback.verbose == 1


class FakeClock:
    def __init__(self, step):
        self.now = 0.0
        self.step = step

    def monotonic(self):
        return self.now


def test_verbose_1_reads_logs_only_when_redrawing(monkeypatch, capsys):
    """With 60 ms between batches and a 0.1 s redraw interval, every second batch redraws."""
    clock = FakeClock(0.06)
    monkeypatch.setattr(progbar_module, "time", clock)
    monkeypatch.setattr(progbar_module, "_dynamic_display", lambda: True)
    reads = []
    real = progbar_module.pythonify_logs
    monkeypatch.setattr(progbar_module, "pythonify_logs", lambda logs: reads.append(logs) or real(logs))
    callback = ProgbarLogger()
    callback.set_params({"verbose": 1, "epochs": 1, "steps": 10})
    callback.on_train_begin()
    callback.on_epoch_begin(0)
    for batch in range(10):
        clock.now += clock.step
        callback.on_train_batch_end(batch, {"loss": torch.tensor(float(batch))})
    callback.on_epoch_end(0, {"loss": 9.0})
    assert [float(logs["loss"]) for logs in reads] == [1.0, 3.0, 5.0, 7.0, 9.0, 9.0]
    draws = capsys.readouterr().out.split("\r")
    assert [draw.split("/")[0].strip() for draw in draws[1:]] == ["0", "2", "4", "6", "8", "10", "10"]


def test_through_callback_list_with_tensor_logs(capsys):
    class Model:
        pass

    callbacks = CallbackList(add_progbar=True, model=Model(), verbose=2, epochs=1, steps=2)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    for batch in range(2):
        callbacks.on_train_batch_end(batch, {"loss": torch.tensor(0.5)})
    callbacks.on_epoch_end(0, {"loss": 0.5})
    callbacks.on_train_end()
    assert re.fullmatch(r"2/2 - \d+s - \d+(us|ms|s)/step - loss: 0.5000\n", capsys.readouterr().out)


ANSI = re.compile(r"\x1b\[[0-9;]*m")
LONG_EPOCH_LOGS = {
    **{f"output_{i}_accuracy": 0.5 for i in range(4)},
    "loss": 0.3,
    **{f"val_output_{i}_accuracy": 0.25 for i in range(4)},
    "val_loss": 0.35,
}


def shown(out):
    """What a reader sees: colors removed, the last state of each line after carriage returns."""
    return [ANSI.sub("", line.replace("\b", "")).split("\r")[-1].rstrip() for line in out.split("\n")[:-1]]


def without_clock(line):
    return re.sub(r" \d+s \d+(us|ms|s)/step", " Ts T/step", line)


@pytest.mark.parametrize("steps", [3, None])
@pytest.mark.parametrize("run", [fit, evaluate])
def test_verbose_1_line_matches_keras(run, steps, keras, capsys):
    run(keras.callbacks.ProgbarLogger(), 1, steps=steps)
    theirs = [without_clock(line) for line in shown(capsys.readouterr().out)]
    run(ProgbarLogger(), 1, steps=steps)
    ours = [without_clock(line) for line in shown(capsys.readouterr().out)]
    assert ours == theirs
    assert "━" * 20 in ours[-1] or "/Unknown" in ours[-1]


def long_fit(callback, epochs=2, steps=3):
    callback.set_params({"verbose": 1, "epochs": epochs, "steps": steps})
    callback.on_train_begin()
    for epoch in range(epochs):
        callback.on_epoch_begin(epoch)
        for batch in range(steps):
            callback.on_train_batch_end(batch, {k: v for k, v in LONG_EPOCH_LOGS.items() if "val" not in k})
        callback.on_epoch_end(epoch, dict(LONG_EPOCH_LOGS))
    callback.on_train_end()


def every_metric_in(line):
    return all(f" - {key}: " in line for key in LONG_EPOCH_LOGS)


def test_at_80_columns_the_final_line_shows_every_metric(monkeypatch, capsys):
    clock = FakeClock(0.2)  # every batch redraws
    monkeypatch.setattr(progbar_module, "time", clock)
    monkeypatch.setattr(progbar_module, "_dynamic_display", lambda: True)
    monkeypatch.setattr(progbar_module, "_terminal_width", lambda: 80)
    callback = ProgbarLogger()
    callback.set_params({"verbose": 1, "epochs": 1, "steps": 3})
    callback.on_train_begin()
    callback.on_epoch_begin(0)
    for batch in range(3):
        clock.now += clock.step
        callback.on_train_batch_end(batch, {k: v for k, v in LONG_EPOCH_LOGS.items() if "val" not in k})
    callback.on_epoch_end(0, dict(LONG_EPOCH_LOGS))
    out = capsys.readouterr().out
    live, final = out.split("\n")[0].split("\r")[1:-1], shown(out)[-1]
    assert live and all(len(ANSI.sub("", draw).rstrip()) <= 79 for draw in live)  # redraws in place
    assert every_metric_in(final) and len(final) > 80  # printed in full: the terminal wraps it


@pytest.mark.parametrize("where", ["pipe", "notebook"])
def test_without_a_terminal_size_every_metric_shows(where, monkeypatch, capsys):
    if where == "notebook":
        monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    long_fit(ProgbarLogger())
    out = capsys.readouterr().out
    lines = shown(out)
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert every_metric_in(lines[1]) and every_metric_in(lines[3])
    if where == "pipe":
        assert "\r" not in out and len(out.splitlines()) == 4  # one final line per epoch, no redraws


def test_verbose_2_prints_every_metric_in_one_line_per_epoch(capsys):
    callback = ProgbarLogger()
    callback.set_params({"verbose": 2, "epochs": 2, "steps": 3})
    callback.on_train_begin()
    for epoch in range(2):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, dict(LONG_EPOCH_LOGS))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and every_metric_in(lines[1]) and every_metric_in(lines[3])


def test_fit_through_a_pipe_shows_validation_metrics(capsys):
    import numpy as np

    import torchkeras as tk

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.integers(0, 2, 32)
    model = tk.Sequential([tk.Input((4,)), tk.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=2, validation_split=0.25, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("Epoch")] == ["Epoch 1/2", "Epoch 2/2"]
    for line in (lines[1], lines[3]):
        metrics = r" - accuracy: \S+ - loss: \S+ - val_accuracy: \S+ - val_loss: \S+"
        assert re.fullmatch(r"3/3 ━{20} \d+s \d+(us|ms|s)/step" + metrics, line)
