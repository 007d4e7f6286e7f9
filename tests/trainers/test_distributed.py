"""fit() under torchrun: real multi-process runs with gloo on loopback, bounded in time."""

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch.distributed

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed missing")

JOB = Path(__file__).with_name("distributed_job.py")
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 240


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    return env


def _torchrun(out, mode, *launcher_args):
    args = launcher_args or ("--standalone", "--nproc_per_node=2")
    command = [sys.executable, "-m", "torch.distributed.run", *args, str(JOB), str(out), mode]
    return subprocess.run(command, env=_env(), timeout=TIMEOUT, capture_output=True, text=True)


def _single(out, mode):
    spec = importlib.util.spec_from_file_location("distributed_job", JOB)
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)
    return job.main(str(out), mode)


def _record(out, rank):
    return json.loads((Path(out) / f"rank{rank}.json").read_text())


def _assert_same_training(a, b):
    for left, right in zip(a["weights"], b["weights"]):
        np.testing.assert_allclose(left, right, rtol=1e-5, atol=1e-6)
    assert a["history"].keys() == b["history"].keys()
    for key in a["history"]:
        np.testing.assert_allclose(a["history"][key], b["history"][key], rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    out = tmp_path_factory.mktemp("single")
    return out, _single(out, "train")


def test_two_processes_train_like_one_on_the_same_global_batches(tmp_path, one_process):
    single_out, single = one_process
    result = _torchrun(tmp_path, "train")
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [_record(tmp_path, r) for r in (0, 1)]
    for record in ranks:  # every rank ends with the same weights, History and evaluation
        _assert_same_training(single, record)
        for key, value in single["evaluation"].items():
            np.testing.assert_allclose(record["evaluation"][key], value, rtol=1e-5)
    # 43 rows in batches of 8 over 3 epochs: each rank saw its half of every global batch.
    assert ranks[0]["rows"] + ranks[1]["rows"] == single["rows"] == 3 * 43
    assert abs(ranks[0]["rows"] - ranks[1]["rows"]) <= 3 * 6
    expected = np.load(single_out / "predictions0.npy")
    for rank in (0, 1):  # predict returns the whole result, in order, on every rank
        np.testing.assert_allclose(
            np.load(tmp_path / f"predictions{rank}.npy"), expected, rtol=1e-5, atol=1e-6
        )
    # Only rank 0 writes: save() and CSVLogger of rank 1 wrote nothing.
    assert (tmp_path / "model0.safetensors").exists() and (tmp_path / "log0.csv").exists()
    assert not (tmp_path / "model1.safetensors").exists() and not (tmp_path / "log1.csv").exists()


def test_a_failing_rank_ends_the_job_with_an_error(tmp_path):
    result = _torchrun(tmp_path, "fail")  # bounded by TIMEOUT: a hang fails the test
    assert result.returncode != 0
    assert "rank 1 fails on purpose" in result.stderr + result.stdout


def test_backup_and_restore_resumes_a_distributed_run(tmp_path):
    uninterrupted, interrupted = tmp_path / "full", tmp_path / "cut"
    uninterrupted.mkdir()
    interrupted.mkdir()
    assert _torchrun(uninterrupted, "resume").returncode == 0  # shuffle=True, no backup yet
    assert _torchrun(interrupted, "interrupt").returncode == 0  # stops during epoch 2
    assert (interrupted / "backup").exists() and not (interrupted / "rank0.json").exists()
    result = _torchrun(interrupted, "resume")
    assert result.returncode == 0, result.stderr[-3000:]
    full, resumed = _record(uninterrupted, 0), _record(interrupted, 0)
    for left, right in zip(full["weights"], resumed["weights"]):
        np.testing.assert_allclose(left, right, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(resumed["history"]["loss"], full["history"]["loss"][1:], rtol=1e-5)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_nodes_on_loopback_train_like_one_process(tmp_path, one_process):
    _, single = one_process
    port = _free_port()
    launchers = []
    for node in (0, 1):
        args = [
            "--nnodes=2",
            "--nproc_per_node=1",
            f"--node_rank={node}",
            "--master_addr=127.0.0.1",
            f"--master_port={port}",
        ]
        command = [sys.executable, "-m", "torch.distributed.run", *args, str(JOB), str(tmp_path), "train"]
        launchers.append(
            subprocess.Popen(command, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        )
    try:
        codes = [launcher.wait(timeout=TIMEOUT) for launcher in launchers]
    finally:
        for launcher in launchers:
            launcher.kill()
    assert codes == [0, 0], [launcher.stderr.read()[-2000:] for launcher in launchers]
    for rank in (0, 1):
        _assert_same_training(single, _record(tmp_path, rank))


def test_synchronized_batch_normalization_uses_global_batch_statistics(tmp_path):
    single_out = tmp_path / "single"
    single_out.mkdir()
    single = _single(single_out, "batchnorm")
    result = _torchrun(tmp_path, "batchnorm")
    assert result.returncode == 0, result.stderr[-3000:]
    for rank in (0, 1):  # moving statistics and gradients as one process on the global batch
        _assert_same_training(single, _record(tmp_path, rank))
