"""BackupAndRestore: an interrupted fit resumes where its last backup was taken, exactly."""

import json
import os

import numpy as np
import pytest

import torchkeras as tk
from tests.interrupts import CrashAfter
from torchkeras.callbacks.backup_and_restore import BackupAndRestore

X = np.random.RandomState(0).rand(40, 4).astype("float32")
Y = np.random.RandomState(1).rand(40, 2).astype("float32")
OPTIMIZERS = {
    "adam": lambda: tk.optimizers.Adam(0.01),
    "sgd_momentum": lambda: tk.optimizers.SGD(0.1, momentum=0.9),
    "rmsprop": lambda: tk.optimizers.RMSprop(0.01),
}


def _model(optimizer="adam"):
    tk.config.set_random_seed(3)
    model = tk.Sequential(
        [tk.Input((4,)), tk.layers.Dense(8, activation="relu"), tk.layers.Dropout(0.3), tk.layers.Dense(2)]
    )
    model.compile(optimizer=OPTIMIZERS[optimizer](), loss="mse")
    return model


def _fit(model, backup, crash_after=None, epochs=4):
    callbacks = [backup] + ([CrashAfter(crash_after)] if crash_after else [])
    return model.fit(X, Y, batch_size=8, epochs=epochs, shuffle=False, verbose=0, callbacks=callbacks)


def _same_weights(a, b):
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("save_freq", ["epoch", 3])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_resume_equals_uninterrupted_run(optimizer, save_freq, tmp_path):
    reference = _model(optimizer)
    reference.fit(X, Y, batch_size=8, epochs=4, shuffle=False, verbose=0)
    backup_dir = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        _fit(_model(optimizer), BackupAndRestore(backup_dir, save_freq=save_freq), crash_after=13)
    metadata = json.loads((backup_dir / "training_metadata.json").read_text())
    assert (metadata["epoch"], metadata["step"]) == ((2, 0) if save_freq == "epoch" else (2, 2))
    resumed = _model(optimizer)
    history = _fit(resumed, BackupAndRestore(backup_dir, save_freq=save_freq))
    assert len(history.history["loss"]) == 2
    assert int(resumed.optimizer.iterations) == int(reference.optimizer.iterations) == 20
    _same_weights(resumed, reference)
    assert not backup_dir.exists()  # deleted after a completed fit


def test_two_crashes_and_keeping_the_backup(tmp_path):
    reference = _model()
    reference.fit(X, Y, batch_size=8, epochs=4, shuffle=False, verbose=0)
    backup_dir = tmp_path / "backup"
    for crash in (4, 9):
        with pytest.raises(KeyboardInterrupt):
            _fit(
                _model(),
                BackupAndRestore(backup_dir, save_freq=2, delete_checkpoint=False),
                crash_after=crash,
            )
    resumed = _model()
    _fit(resumed, BackupAndRestore(backup_dir, save_freq=2, delete_checkpoint=False))
    _same_weights(resumed, reference)
    assert sorted(os.listdir(backup_dir)) == [
        "backup-0.weights.safetensors",
        "backup-1.weights.safetensors",
        "training_metadata.json",
    ]


def test_crash_while_backing_up_keeps_the_previous_backup(tmp_path, monkeypatch):
    backup_dir = tmp_path / "backup"
    model = _model()
    calls = []
    real_save = type(model).save_weights

    def save_then_die(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # dies while writing the second backup
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(type(model), "save_weights", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        _fit(model, BackupAndRestore(backup_dir))
    monkeypatch.undo()
    metadata = json.loads((backup_dir / "training_metadata.json").read_text())
    assert metadata["epoch"] == 1
    resumed = _model()
    assert len(_fit(resumed, BackupAndRestore(backup_dir)).history["loss"]) == 3


def test_corrupt_backups_raise_instead_of_starting_over(tmp_path):
    backup_dir = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        _fit(_model(), BackupAndRestore(backup_dir, double_checkpoint=True), crash_after=17)
    metadata_path = backup_dir / "training_metadata.json"
    metadata = json.loads(metadata_path.read_text())
    weights = backup_dir / metadata["weights"]
    weights.write_bytes(weights.read_bytes()[:-7])  # truncated latest backup
    with pytest.raises(ValueError, match=r"cannot be loaded.*truncated|cover"):
        _fit(_model(), BackupAndRestore(backup_dir))
    resumed = _model()  # with double_checkpoint, the previous backup is used instead
    assert len(_fit(resumed, BackupAndRestore(backup_dir, double_checkpoint=True)).history["loss"]) == 2
    os.makedirs(backup_dir, exist_ok=True)
    for bad in (
        "{not json",
        json.dumps({**metadata, "weights": "../../etc/passwd"}),
        json.dumps({"epoch": -1}),
    ):
        metadata_path.write_text(bad)
        with pytest.raises(ValueError, match="metadata.*corrupt"):
            _fit(_model(), BackupAndRestore(backup_dir))


def test_arguments_and_unbuilt_models(tmp_path):
    with pytest.raises(ValueError, match="save_freq"):
        BackupAndRestore(tmp_path, save_freq="batch")
    with pytest.raises(ValueError, match="backup_dir"):
        BackupAndRestore("")
    with pytest.raises(KeyboardInterrupt):
        _fit(_model(), BackupAndRestore(tmp_path / "b"), crash_after=6)
    unbuilt = tk.Sequential([tk.layers.Dense(2)])
    unbuilt.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="must be built"):
        unbuilt.fit(X, Y, epochs=1, verbose=0, callbacks=[BackupAndRestore(tmp_path / "b")])
