"""Ops whose output size depends on the data (`nonzero`, `unique`, `bincount`, one-argument `where`,
`segment_*` without `num_segments`) give symbolic outputs with unknown (`None`) sizes, and run in
functional models."""

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import ops
from torchkeras.ops._symbolic import OutputSpec, symbolic_op


def _ints(seed, shape, high=6):
    return np.random.default_rng(seed).integers(0, high, size=shape).astype("int32")


def _check_runs_like_the_op(inputs, outputs, data, direct):
    """The functional model gives what the op gives on real data, and fits its symbolic spec."""
    model = torchkeras.Model(inputs, outputs)
    got = model([torch.tensor(d) for d in data]) if len(data) > 1 else model(torch.tensor(data[0]))
    expected = direct(*[torch.tensor(d) for d in data])
    got_flat = got if isinstance(got, (list, tuple)) else [got]
    expected_flat = expected if isinstance(expected, (list, tuple)) else [expected]
    specs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    for spec, value, reference in zip(specs, got_flat, expected_flat):
        torch.testing.assert_close(value, reference)
        assert len(spec.shape) == value.ndim
        assert all(s is None or s == v for s, v in zip(spec.shape, value.shape)), (spec.shape, value.shape)
        assert spec.dtype == value.dtype


def test_nonzero():
    x = torchkeras.Input((5,))
    out = ops.nonzero(x)
    assert out.shape == (2, None) and out.dtype == "int32"
    data = np.array([[0, 1.5, 0, 2, 0], [3, 0, 0, 0, 4], [0, 0, 0, 0, 1]], "float32")
    _check_runs_like_the_op(x, out, [data], ops.nonzero)


def test_where_with_only_a_condition():
    x = torchkeras.Input((2, 3))
    out = ops.where(x)
    assert out.shape == (3, None) and out.dtype == "int64"
    data = (np.random.default_rng(0).random((4, 2, 3)) > 0.5).astype("float32")
    _check_runs_like_the_op(x, out, [data], ops.where)


def test_where_with_branches_is_still_traced():
    x = torchkeras.Input((3,))
    out = ops.where(x > 0, x, 0.0)
    assert out.shape == (None, 3) and out.dtype == "float32"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"return_inverse": True},
        {"return_index": True, "return_counts": True},
        {"return_inverse": True, "return_counts": True, "axis": 0},
        {"size": 8, "return_counts": True},
    ],
)
def test_unique(kwargs):
    x = torchkeras.Input((4,), dtype="int32")
    out = ops.unique(x, **kwargs)
    values = out[0] if isinstance(out, tuple) else out
    if kwargs.get("axis") == 0:
        assert values.shape == (None, 4)
    else:
        assert values.shape == (kwargs.get("size"),)
    assert values.dtype == "int32"
    data = _ints(1, (5, 4))
    data[3] = data[1]  # a repeated row for axis=0
    _check_runs_like_the_op(x, out, [data], lambda t: ops.unique(t, **kwargs))


@pytest.mark.parametrize("weighted", [False, True])
def test_bincount(weighted):
    x = torchkeras.Input((6,), dtype="int32")
    if weighted:
        w = torchkeras.Input((6,))
        out = ops.bincount(x, weights=w)
        assert out.shape == (None, None) and out.dtype == "float32"
        data = [_ints(2, (3, 6)), np.random.default_rng(3).random((3, 6)).astype("float32")]
        _check_runs_like_the_op([x, w], out, data, lambda a, b: ops.bincount(a, weights=b))
    else:
        out = ops.bincount(x)
        assert out.shape == (None, None) and out.dtype == "int32"
        _check_runs_like_the_op(x, out, [_ints(2, (3, 6))], ops.bincount)


def test_bincount_symbolic_errors_match_eager_ones():
    with pytest.raises(ValueError, match="sparse"):
        ops.bincount(torchkeras.Input((3,), dtype="int32"), sparse=True)
    with pytest.raises(ValueError, match="integers"):
        ops.bincount(torchkeras.Input((3,)))


@pytest.mark.parametrize("name", ["segment_sum", "segment_max", "segment_min", "segment_prod"])
def test_segment_ops_without_num_segments(name):
    op = getattr(ops, name)
    data = torchkeras.Input((3,), batch_size=5)
    ids = torchkeras.Input((), dtype="int32", batch_size=5)
    out = op(data, ids)
    assert out.shape == (None, 3) and out.dtype == "float32"
    values = [np.random.default_rng(4).random((5, 3)).astype("float32"), np.array([0, 0, 2, 3, 3], "int32")]
    _check_runs_like_the_op([data, ids], out, values, op)


def test_segment_ops_with_num_segments_keep_a_static_size():
    out = ops.segment_sum(
        torchkeras.Input((3,), batch_size=5), torchkeras.Input((), dtype="int32", batch_size=5), 4
    )
    assert out.shape == (4, 3)


def test_segment_ids_must_match_rows():
    with pytest.raises(ValueError, match="segment_ids"):
        ops.segment_sum(
            torchkeras.Input((3,), batch_size=5), torchkeras.Input((2,), dtype="int32", batch_size=5)
        )


def test_shapes_match_keras_where_keras_agrees(keras):
    ours = {
        "unique": ops.unique(torchkeras.Input((4,), dtype="int32")).shape,
        "bincount": ops.bincount(torchkeras.Input((4,), dtype="int32")).shape,
        "segment_sum": ops.segment_sum(torchkeras.Input((5,)), torchkeras.Input((), dtype="int32")).shape,
    }
    theirs = {
        "unique": keras.ops.unique(keras.Input((4,), dtype="int32")).shape,
        "bincount": keras.ops.bincount(keras.Input((4,), dtype="int32")).shape,
        "segment_sum": keras.ops.segment_sum(keras.Input((5,)), keras.Input((), dtype="int32")).shape,
    }
    assert ours == theirs


def test_a_custom_op_can_declare_its_output_and_fall_back_to_tracing():
    def spec(x, keep=None):
        return None if keep is not None else OutputSpec((None,), "float32")

    @symbolic_op(output_spec=spec)
    def positives(x, keep=None):
        return x[x > 0] if keep is None else x[:, :keep]

    x = torchkeras.Input((4,))
    declared = positives(x)
    assert declared.shape == (None,) and declared.dtype == "float32"
    traced = positives(x, keep=2)
    assert traced.shape == (None, 2)
    model = torchkeras.Model(x, declared)
    data = torch.tensor([[1.0, -2.0, 3.0, 0.0], [-1.0, 5.0, 0.0, 2.0]])
    torch.testing.assert_close(model(data), torch.tensor([1.0, 3.0, 5.0, 2.0]))


def test_a_saved_functional_model_keeps_the_declared_spec(tmp_path):
    x = torchkeras.Input((4,), dtype="int32")
    model = torchkeras.Model(x, ops.bincount(x))
    model.save(tmp_path / "counts.keras")
    loaded = torchkeras.saving.load_model(tmp_path / "counts.keras")
    assert loaded.outputs[0].shape == (None, None)
    data = torch.tensor([[1, 2, 2, 0], [3, 0, 0, 1]], dtype=torch.int32)
    torch.testing.assert_close(loaded(data), ops.bincount(data))
