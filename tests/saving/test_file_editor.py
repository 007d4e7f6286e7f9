"""KerasFileEditor: reads Keras's own files and ours, edits, compares and re-saves weights."""

import numpy as np
import pytest

import torchkeras as tk

pytest.importorskip("h5py")


def _model(lib, units=3):
    model = lib.Sequential(
        [lib.Input((4,)), lib.layers.Dense(units, name="hidden"), lib.layers.Dense(1, name="out")]
    )
    return model


def test_reads_a_keras_file_and_matches_its_weights(keras, tmp_path, capsys):
    theirs = _model(keras)
    theirs.save(tmp_path / "theirs.keras")
    editor = tk.saving.KerasFileEditor(str(tmp_path / "theirs.keras"))
    expected = keras.saving.KerasFileEditor(str(tmp_path / "theirs.keras")).weights_dict
    capsys.readouterr()
    assert sorted(editor.weights_dict["layers"]) == sorted(expected["layers"]) == ["dense", "dense_1"]
    for layer in ("dense", "dense_1"):
        for key, value in expected["layers"][layer].items():
            np.testing.assert_array_equal(editor.weights_dict["layers"][layer][key], np.asarray(value))
    ours = _model(tk)
    ours.set_weights(theirs.get_weights())
    assert editor.compare(ours)["status"] == "success"
    editor.summary()
    assert "/layers/dense/0: shape=(4, 3)" in capsys.readouterr().out


def test_edit_compare_and_resave(tmp_path, capsys):
    model = _model(tk)
    model.save_weights(tmp_path / "model.weights.h5")
    editor = tk.saving.KerasFileEditor(str(tmp_path / "model.weights.h5"))
    bigger = _model(tk, units=5)
    result = editor.compare(bigger)
    assert result["status"] == "error" and result["error_count"] == 3  # kernel, bias, next kernel
    editor.delete_weight("layers/dense_1", "0")
    editor.add_weights("dense_1", {"0": np.zeros((3, 1), "float32")})
    editor.rename_object("dense_1", "renamed")
    assert "renamed" in editor.weights_dict["layers"] and "dense_1" not in editor.weights_dict["layers"]
    editor.rename_object("renamed", "dense_1")
    editor.save(tmp_path / "edited.weights.h5")
    fresh = _model(tk)
    fresh.load_weights(tmp_path / "edited.weights.h5")
    np.testing.assert_array_equal(fresh.layers[0].get_weights()[0], model.layers[0].get_weights()[0])
    np.testing.assert_array_equal(fresh.layers[1].get_weights()[0], np.zeros((3, 1)))
    editor.delete_object("layers/dense_1")
    editor.add_object("layers/dense_1", {"0": np.ones((3, 1), "float32"), "1": np.zeros(1, "float32")})
    assert editor.compare(fresh)["status"] == "success"
    capsys.readouterr()


def test_errors(tmp_path):
    model = _model(tk)
    model.save_weights(tmp_path / "m.weights.h5")
    editor = tk.saving.KerasFileEditor(str(tmp_path / "m.weights.h5"))
    with pytest.raises(ValueError, match="does not appear"):
        editor.delete_object("nothing")
    with pytest.raises(ValueError, match="occurs more than once"):
        editor.delete_weight("0", "x")
    with pytest.raises(ValueError, match="not found"):
        editor.delete_weight("layers/dense", "7")
    with pytest.raises(ValueError, match="leaf name"):
        editor.rename_object("dense", "a/b")
    with pytest.raises(ValueError, match="weights"):
        editor.add_weights("dense", [1, 2])
    with pytest.raises(ValueError, match=".weights.h5"):
        editor.save(tmp_path / "out.keras")
    with pytest.raises(ValueError, match="extension"):
        tk.saving.KerasFileEditor(str(tmp_path / "m.txt"))
