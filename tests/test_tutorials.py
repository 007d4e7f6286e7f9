"""Every tutorial runs end to end in its quick mode (CI runs them through this test)."""

import importlib.util
from pathlib import Path

import pytest

TUTORIALS = sorted((Path(__file__).resolve().parents[1] / "tutorials").glob("*.py"))


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"tutorial_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_quickstart(result, output):
    assert result > 0.5  # two quick epochs already beat chance (0.1) by far
    assert "the reloaded model predicts the same: True" in output


def _check_functional(result, output):
    assert {"digit_accuracy", "even_acc", "digit_loss", "even_loss", "loss"} <= set(result)
    assert result["digit_accuracy"] > 0.3


def _check_custom(result, output):
    assert result > 0.3 and "config round trip: True" in output


def _check_torch_module(result, output):
    assert result > 0.3


def _check_text(result, output):
    assert result["accuracy"] > 0.8  # word order matters in these reviews: the LSTM learns "not"
    negated_bad, negated_good, great = result["scores"]
    assert negated_bad > 0.5 > negated_good and great > 0.5


def _check_images(result, output):
    assert result["deterministic_inference"]  # augmentation is off at inference
    assert result["frozen_base_unchanged"]  # a frozen base's BatchNormalization statistics stay put
    assert 0.0 <= result["transfer_accuracy"] <= 1.0


def _check_callbacks(result, output):
    assert result["resumed_epochs"] and result["resumed_epochs"][0] == 2  # resumed after epoch 2
    assert result["accuracy"] > 0.3


def _check_saving(result, output):
    assert result and all(result.values()), result


def _check_speed(result, output):
    assert result["float32"]["compute_dtype"] == "float32"
    assert result["mixed_bfloat16"]["compute_dtype"] == "bfloat16"
    assert result["mixed_bfloat16"]["weight_dtype"] == "torch.float32"
    assert all(0.0 <= run["accuracy"] <= 1.0 and run["seconds"] > 0 for run in result.values())


def _check_distributed(result, output):
    first, second = result["ranks"]
    assert (first["world_size"], second["world_size"]) == (2, 2)
    assert first["accuracy"] == second["accuracy"] > 0.3  # evaluate is reduced over the ranks
    assert first["rows_predicted"] == second["rows_predicted"] == 360  # predict gathers every row


CHECKS = {
    "01_quickstart": _check_quickstart,
    "02_functional_api": _check_functional,
    "03_custom_layers_and_train_step": _check_custom,
    "04_fit_a_torch_module": _check_torch_module,
    "05_text_classification": _check_text,
    "06_images_and_transfer_learning": _check_images,
    "07_callbacks": _check_callbacks,
    "08_saving_and_keras_interop": _check_saving,
    "09_speed": _check_speed,
    "10_distributed_training": _check_distributed,
}


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs_quick(path, capsys):
    module = _load(path)
    assert module.__doc__ and "--quick" in module.__doc__, "each tutorial says how to run it"
    result = module.main(["--quick"])
    output = capsys.readouterr().out
    assert "Total params" in output  # each tutorial shows its model
    CHECKS[path.stem](result, output)
