"""`keras.distribution` in one process: devices, meshes, layouts, the layout map, distributions,
validation errors, and parity of names, signatures and lookups with Keras."""

import inspect

import numpy as np
import pytest
import torch
from torch.distributed.tensor import Replicate, Shard

import torchkeras as keras

D = keras.distribution
CPU2 = ["cpu:0", "cpu:1"]


@pytest.fixture(autouse=True)
def _no_distribution():
    yield
    D.set_distribution(None)


def test_signatures_match_keras(keras):
    for name in [n for n in dir(keras.distribution) if not n.startswith("_")]:
        theirs, ours = getattr(keras.distribution, name), getattr(D, name)
        expected = [(p.name, p.kind, p.default) for p in inspect.signature(theirs).parameters.values()]
        got = [(p.name, p.kind, p.default) for p in inspect.signature(ours).parameters.values()]
        assert got == expected, name


@pytest.mark.skipif(torch.cuda.is_available(), reason="counts the CPU of a machine without GPUs")
def test_devices_of_one_process():
    assert D.list_devices() == ["cpu:0"] == D.list_devices("CPU")
    assert D.get_device_count() == 1 and D.get_device_count("cpu") == 1
    assert D.list_devices("gpu") == [] and D.get_device_count("gpu") == 0
    with pytest.raises(ValueError, match="device_type"):
        D.list_devices("tpu")


def test_device_mesh_validation():
    mesh = D.DeviceMesh((1, 2), ["batch", "model"], CPU2)
    assert mesh.shape == (1, 2) and mesh.axis_names == ["batch", "model"]
    assert mesh.devices.tolist() == [CPU2]
    assert repr(mesh) == "<DeviceMesh shape=(1, 2), axis_names=['batch', 'model']>"
    with pytest.raises(ValueError, match="cannot be empty"):
        D.DeviceMesh((), [], CPU2)
    with pytest.raises(ValueError, match="same length"):
        D.DeviceMesh((2,), ["batch", "model"], CPU2)
    with pytest.raises(ValueError, match="number of devices"):
        D.DeviceMesh((4,), ["batch"], CPU2)
    with pytest.raises(ValueError, match="distinct"):
        D.DeviceMesh((1, 2), ["x", "x"], CPU2)
    with pytest.raises(ValueError, match="positive integers"):
        D.DeviceMesh((-2, -1), ["batch", "model"], CPU2)
    assert D.DeviceMesh((1,), ["batch"]).devices.tolist() == D.list_devices()


def test_device_mesh_needs_the_processes_to_become_a_torch_mesh():
    with pytest.raises(ValueError, match="must be the 1 processes"):
        _ = D.DeviceMesh((2,), ["batch"], CPU2).backend_mesh
    with pytest.raises(ValueError, match="look like 'gpu:0'"):
        _ = D.DeviceMesh((1,), ["batch"], ["tpu:0"]).backend_mesh


def test_tensor_layout_validation_and_torch_placements():
    mesh = D.DeviceMesh((1, 2), ["batch", "model"], CPU2)
    layout = D.TensorLayout((None, "model"), mesh)
    assert layout.axes == (None, "model") and layout.device_mesh is mesh
    assert layout.backend_layout == (Replicate(), Shard(1))
    assert D.TensorLayout(("batch", "model"), mesh).backend_layout == (Shard(0), Shard(1))
    with pytest.raises(ValueError, match="Invalid axis names"):
        D.TensorLayout(("data",), mesh)
    with pytest.raises(ValueError, match="one tensor axis only"):
        D.TensorLayout(("model", "model"), mesh)
    with pytest.raises(ValueError, match="`axes`"):
        D.TensorLayout("model")
    unbound = D.TensorLayout(("model", None))
    with pytest.raises(ValueError, match="no device mesh"):
        _ = unbound.backend_layout
    unbound.device_mesh = mesh
    with pytest.raises(ValueError, match="Cannot override"):
        unbound.device_mesh = mesh
    late = D.TensorLayout(("data",))
    with pytest.raises(ValueError, match="Invalid axis names"):
        late.device_mesh = mesh


def test_layout_map_lookups_match_keras(keras):
    keys = {
        ".*dense.*kernel": (None, "model"),
        ".*dense.*bias": ("model",),
        ".*conv2d.*kernel": (None,) * 3 + ("model",),
    }
    theirs = keras.distribution.LayoutMap(
        keras.distribution.DeviceMesh((1, 2), ["batch", "model"], devices=CPU2)
    )
    ours = D.LayoutMap(D.DeviceMesh((1, 2), ["batch", "model"], CPU2))
    for key, axes in keys.items():
        theirs[key], ours[key] = axes, axes
    for path in ("dense_1/kernel", "dense_1/bias", "my_model/conv2d_123/kernel", "my_model/conv3d_1/kernel"):
        expected, got = theirs[path], ours[path]
        assert (got is None) == (expected is None), path
        if got is not None:
            assert got.axes == expected.axes and got.device_mesh is ours.device_mesh
    assert list(ours) == list(theirs) and len(ours) == 3


def test_layout_map_errors():
    layout_map = D.LayoutMap(D.DeviceMesh((2,), ["model"], CPU2))
    layout_map["dense.*"] = ("model",)
    layout_map[".*kernel"] = (None, "model")
    assert layout_map["dense.*"].axes == ("model",)  # an exact key first
    with pytest.raises(ValueError, match="matches several layout keys"):
        layout_map["dense/kernel"]
    with pytest.raises(ValueError, match="already in the LayoutMap"):
        layout_map["dense.*"] = ("model",)
    with pytest.raises(ValueError, match="TensorLayout"):
        layout_map["other"] = "model"
    with pytest.raises(ValueError, match="valid regex"):
        layout_map["("] = ("model",)
    with pytest.raises(ValueError, match="Invalid axis names"):
        layout_map["other"] = ("batch",)
    with pytest.raises(ValueError, match="device_mesh"):
        D.LayoutMap("mesh")
    del layout_map["dense.*"]
    assert layout_map["dense/kernel"].axes == (None, "model")


def test_data_parallel_meshes_and_layouts():
    default = D.DataParallel()
    assert default.device_mesh.devices.tolist() == D.list_devices()
    assert default.batch_dim_name == "batch" and default.num_model_replicas == len(D.list_devices())
    parallel = D.DataParallel(devices=CPU2)
    assert parallel.device_mesh.shape == (2,) and parallel.num_model_replicas == 2
    layout = parallel.get_data_layout((16, 3))
    assert layout.axes == ("batch", None) and layout.device_mesh is parallel.device_mesh
    assert parallel.get_variable_layout(torch.zeros(3, 4)).axes == (None, None)
    assert parallel.get_tensor_layout("dense/kernel") is None
    with pytest.warns(UserWarning, match="first axis"):
        D.DataParallel(device_mesh=D.DeviceMesh((1, 2), ["data", "model"], CPU2))
    with pytest.raises(ValueError, match="`device_mesh` must be a `DeviceMesh`"):
        D.DataParallel(device_mesh="mesh")
    with pytest.raises(ValueError, match="auto_shard_dataset"):
        D.DataParallel(auto_shard_dataset=False)


def test_model_parallel_arguments_and_variable_layouts():
    mesh = D.DeviceMesh((1, 2), ["batch", "model"], CPU2)
    layout_map = D.LayoutMap(mesh)
    layout_map["dense.*kernel"] = (None, "model")
    parallel = D.ModelParallel(layout_map=layout_map)
    assert parallel.batch_dim_name == "batch" and parallel.num_model_replicas == 1
    assert parallel.device_mesh is mesh
    dense = keras.layers.Dense(4)
    dense.build((None, 3))
    assert parallel.get_variable_layout(dense.kernel).axes == (None, "model")
    assert parallel.get_variable_layout(dense.bias).axes == (None,)
    assert D.ModelParallel(layout_map=layout_map, batch_dim_name="model").num_model_replicas == 2
    with pytest.raises(ValueError, match="layout_map"):
        D.ModelParallel()
    with pytest.raises(ValueError, match="`layout_map` must be a `LayoutMap`"):
        D.ModelParallel(layout_map={"x": (None,)})
    with pytest.raises(ValueError, match="batch_dim_name"):
        D.ModelParallel(layout_map=layout_map, batch_dim_name="data")


def test_set_distribution_and_scope():
    assert D.distribution() is None
    outer, inner = D.DataParallel(), D.DataParallel()
    D.set_distribution(outer)
    with inner.scope():
        assert D.distribution() is inner
    assert D.distribution() is outer
    with pytest.raises(ValueError, match="`value` must be a `Distribution`"):
        D.set_distribution("data_parallel")
    assert D.distribution() is outer


def _model():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_a_mesh_larger_than_the_run_is_refused_before_training():
    model = _model()
    before = [w.copy() for w in model.get_weights()]
    x = np.zeros((4, 3), "float32")
    with D.DataParallel(devices=CPU2).scope(), pytest.raises(ValueError, match="--nproc_per_node=2"):
        model.fit(x, x[:, :2], verbose=0)
    _assert_equal(before, model.get_weights())
    layout_map = D.LayoutMap(D.DeviceMesh((2,), ["model"], CPU2))
    parallel = D.ModelParallel(layout_map=layout_map)
    with parallel.scope(), pytest.raises(ValueError, match="2 devices but this run has 1"):
        model.predict(x, verbose=0)


def test_one_device_distributions_train_as_usual():
    x = np.random.default_rng(1).normal(size=(8, 3)).astype("float32")
    layout_map = D.LayoutMap(D.DeviceMesh((1,), ["model"]))
    layout_map[".*kernel"] = (None, "model")
    for distribution in (D.DataParallel(), D.ModelParallel(layout_map=layout_map)):
        keras.utils.set_random_seed(2)
        reference = _model()
        reference.fit(x, x[:, :2], epochs=2, verbose=0)
        keras.utils.set_random_seed(2)
        model = _model()
        with distribution.scope():
            model.fit(x, x[:, :2], epochs=2, verbose=0)
        _assert_equal(reference.get_weights(), model.get_weights())


def _assert_equal(left, right):
    for a, b in zip(left, right, strict=True):
        np.testing.assert_array_equal(a, b)


def test_initialize_validates_before_joining(monkeypatch):
    for name in (
        "KERAS_DISTRIBUTION_JOB_ADDRESSES",
        "KERAS_DISTRIBUTION_NUM_PROCESSES",
        "KERAS_DISTRIBUTION_PROCESS_ID",
        "WORLD_SIZE",
        "RANK",
        "LOCAL_RANK",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="together"):
        D.initialize(num_processes=2)
    with pytest.raises(ValueError, match="process_id"):
        D.initialize("127.0.0.1:1234", num_processes=2, process_id=2)
    with pytest.raises(ValueError, match="num_processes"):
        D.initialize("127.0.0.1:1234", num_processes=-1, process_id=0)
    with pytest.raises(ValueError, match="host:port"):
        D.initialize("127.0.0.1", num_processes=2, process_id=0)
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    with pytest.raises(ValueError, match="together"):  # the environment is read like the arguments
        D.initialize()
    monkeypatch.delenv("KERAS_DISTRIBUTION_NUM_PROCESSES")
    for name, value in {"WORLD_SIZE": "2", "RANK": "1", "LOCAL_RANK": "1"}.items():
        monkeypatch.setenv(name, value)  # a torchrun launch: its rendezvous wins, arguments must agree
    with pytest.raises(ValueError, match="disagrees with the torchrun launch"):
        D.initialize("127.0.0.1:1234", num_processes=4, process_id=1)
    with pytest.raises(ValueError, match="process_id"):
        D.initialize(process_id=0)
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name)
    D.initialize()  # one process, no launcher: nothing to join
    assert not torch.distributed.is_initialized()


def test_distribute_tensor_outside_a_process_group():
    layout = D.TensorLayout((None, "model"), D.DeviceMesh((1,), ["model"]))
    tensor = torch.arange(6.0).reshape(2, 3)
    assert D.distribute_tensor(tensor, layout) is tensor
    symbolic = keras.Input((3,))
    assert D.distribute_tensor(symbolic, layout) is symbolic
    with pytest.raises(ValueError, match="`layout` must be a `TensorLayout`"):
        D.distribute_tensor(tensor, (Replicate(),))
