"""`keras.distribution` in real 2-process runs: torchrun, gloo on loopback, bounded in time.

One torchrun launch of `distribution_job.py` (`initialize(address, 2, rank)` joins through the
launch) trains with `DataParallel` and then with `ModelParallel`; the same script run in this process
(one device: nothing to split) is the reference.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch.distributed

import torchkeras as keras

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed missing")

HERE = Path(__file__).parent
JOB = HERE / "distribution_job.py"
TIMEOUT = 240


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The launcher helpers of the trainer's torchrun tests (loopback, one thread, no inherited rank).
_env = _load(HERE.parent / "trainers" / "test_distributed.py", "trainer_distributed_tests")._env


def _assert_close(left, right):
    for a, b in zip(left, right, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def _assert_same_run(single, record):
    _assert_close(single["weights"], record["weights"])
    assert single["history"].keys() == record["history"].keys()
    for key, values in single["history"].items():
        np.testing.assert_allclose(record["history"][key], values, rtol=1e-5, atol=1e-6)
    for key, value in single["evaluation"].items():
        np.testing.assert_allclose(record["evaluation"][key], value, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(record["predictions"], single["predictions"], rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    single_out = tmp_path_factory.mktemp("one_process")
    single = _load(JOB, "distribution_job").main(str(single_out))
    assert keras.distribution.distribution() is None  # the scopes restored the global
    out = tmp_path_factory.mktemp("two_processes")
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    command = [*launcher, str(JOB), str(out)]
    env = dict(_env(), CUDA_VISIBLE_DEVICES="")  # two CPU processes with gloo, also on a GPU machine
    result = subprocess.run(command, env=env, timeout=TIMEOUT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-4000:]
    ranks = [json.loads((out / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    return single_out, single, out, ranks


def test_devices_are_the_processes_and_distribute_tensor_gives_dtensors(runs):
    _, single, _, ranks = runs
    assert single["devices"] == keras.distribution.list_devices()  # ["cpu:0"] without a GPU
    assert [record["devices"] for record in ranks] == [["cpu:0", "cpu:1"]] * 2
    assert single["dtensor"] == ["Tensor", [3, 4]]  # one process: the tensor itself
    assert [record["dtensor"] for record in ranks] == [["DTensor", [3, 2]]] * 2


def test_data_parallel_trains_like_one_process_on_the_same_global_batches(runs):
    _, single, _, ranks = runs
    for record in ranks:
        _assert_same_run(single["data_parallel"], record["data_parallel"])


def test_model_parallel_stores_half_of_each_sharded_weight_and_trains_like_one_process(runs):
    _, single, _, ranks = runs
    assert single["stored_shapes"] == {"hidden": [[6, 8], [8]], "head": [[8, 2], [2]]}
    for record in ranks:
        # hidden: kernel columns and bias split over "model"; head: kernel rows split, bias replicated
        assert record["stored_shapes"] == {"hidden": [[6, 4], [4]], "head": [[4, 2], [2]]}
        _assert_same_run(single["model_parallel"], record["model_parallel"])
        np.testing.assert_allclose(record["layer_alone"], single["layer_alone"], rtol=1e-5, atol=1e-6)
        assert record["regathers"] >= 10  # the backward pass of each step gathered head/kernel again
        assert record["reloaded"] and record["optimizer_iterations"] == 10  # 2 epochs of 5 steps


def test_model_parallel_splits_a_model_built_by_its_first_call(runs):
    _, single, _, ranks = runs
    assert single["unbuilt"]["stored"] == [6, 4]
    for record in ranks:
        assert record["unbuilt"]["stored"] == [6, 2]
        _assert_close(single["unbuilt"]["weights"], record["unbuilt"]["weights"])
        np.testing.assert_allclose(record["unbuilt"]["loss"], single["unbuilt"]["loss"], rtol=1e-5)


def test_model_parallel_refusals_name_the_problem(runs):
    _, single, _, ranks = runs
    expected = {"uneven": None, "untouched": True, "torch_optimizer": None, "still_sharded": None}
    assert single["errors"] == expected  # one device: nothing to split, nothing refused
    for record in ranks:
        errors = record["errors"]
        assert (
            "'odd/kernel': axis 1 (size 3) must be divisible by the size 2 of mesh axis 'model'"
            in errors["uneven"]
        )
        assert errors["untouched"]  # refused before any weight changed
        assert "needs a Keras optimizer" in errors["torch_optimizer"]
        assert errors["still_sharded"] is None


def test_model_parallel_saves_full_weights_that_load_in_one_process(runs):
    single_out, single, out, _ = runs
    path = out / "model_parallel.safetensors"
    written = ["checkpoint.weights.safetensors", "epoch.weights.safetensors", "model_parallel.safetensors"]
    assert sorted(p.name for p in out.iterdir()) == [*written, "rank0.json", "rank1.json"]
    model = keras.saving.load_model(path)
    _assert_close(single["model_parallel"]["weights"], model.get_weights())
    model.load_weights(out / "epoch.weights.safetensors")  # ModelCheckpoint's file, end of epoch 2
    _assert_close(single["model_parallel"]["weights"], model.get_weights())
    from safetensors.numpy import load_file

    ours, reference = load_file(str(path)), load_file(str(single_out / "model_parallel.safetensors"))
    assert ours.keys() == reference.keys()  # the same entries, the optimizer state gathered too
    for key, value in reference.items():
        np.testing.assert_allclose(ours[key], value, rtol=1e-5, atol=1e-6, err_msg=key)
