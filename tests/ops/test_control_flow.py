"""torchkeras.ops.control_flow (and core's dtype helpers, einops) against keras.ops."""

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import ops

rng = np.random.default_rng(8)
XS = torch.as_tensor(rng.standard_normal((5, 3)).astype("float32"))


def close(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            close(a, b)
        return
    if isinstance(theirs, dict):
        for key in theirs:
            close(ours[key], theirs[key])
        return
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-6, atol=1e-6)


def test_scan_matches_keras(keras):
    def step(carry, x):
        return carry + x, carry * x

    for kwargs in ({}, {"reverse": True}):
        close(
            ops.scan(step, torch.zeros(3), XS, **kwargs), keras.ops.scan(step, torch.zeros(3), XS, **kwargs)
        )
    counted = ops.scan(lambda c, _: (c + 1, c * 2), torch.tensor(0), length=4)
    close(counted, keras.ops.scan(lambda c, _: (c + 1, c * 2), torch.tensor(0), length=4))
    nested = ops.scan(lambda c, x: (c + x["a"], {"b": x["a"] - c}), torch.zeros(3), {"a": XS})
    close(nested, keras.ops.scan(lambda c, x: (c + x["a"], {"b": x["a"] - c}), torch.zeros(3), {"a": XS}))


def test_loops_and_branches_match_keras(keras):
    body = lambda i, x: x * 2 + i  # noqa: E731
    close(ops.fori_loop(0, 4, body, torch.ones(2)), keras.ops.fori_loop(0, 4, body, torch.ones(2)))
    args = (lambda i, s: i < 10, lambda i, s: (i + 1, s + i), (torch.tensor(0), torch.tensor(0.0)))
    close(ops.while_loop(*args), keras.ops.while_loop(*args))
    close(ops.while_loop(*args, maximum_iterations=3), keras.ops.while_loop(*args, maximum_iterations=3))
    single = ops.while_loop(lambda x: x < 100, lambda x: x * 3, torch.tensor(1))
    assert int(single) == int(keras.ops.while_loop(lambda x: x < 100, lambda x: x * 3, torch.tensor(1)))
    branches = [lambda x: x + 1, lambda x: x * 10, lambda x: -x]
    for index in (-2, 0, 1, 2, 7):
        close(ops.switch(index, branches, XS), keras.ops.switch(index, branches, XS))
    close(ops.cond(torch.tensor(True), lambda: XS, lambda: -XS), XS)


def test_maps_match_keras(keras):
    close(ops.map(lambda x: x.sum() * x, XS), keras.ops.map(lambda x: x.sum() * x, XS))
    close(ops.vectorized_map(lambda x: x @ x, XS), keras.ops.vectorized_map(lambda x: x @ x, XS))
    pairs = {"a": XS, "b": XS * 2}
    close(ops.map(lambda d: d["a"] + d["b"], pairs), keras.ops.map(lambda d: d["a"] + d["b"], pairs))


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("axis", [0, 1])
def test_associative_scan_matches_keras(keras, reverse, axis):
    x = torch.as_tensor(rng.standard_normal((7, 6)).astype("float64"))
    ours = ops.associative_scan(torch.add, x, reverse=reverse, axis=axis)
    close(ours, keras.ops.associative_scan(torch.add, x, reverse=reverse, axis=axis))
    pairs = (x, x * 0.5)

    def affine(a, b):  # composition of x -> a0 x + a1 maps: associative, not commutative
        return a[0] * b[0], a[1] * b[0] + b[1]

    close(ops.associative_scan(affine, pairs, reverse=reverse, axis=axis),
          keras.ops.associative_scan(affine, pairs, reverse=reverse, axis=axis))  # fmt: skip


def test_custom_gradient_and_stop_gradient():
    @ops.custom_gradient
    def clipped_identity(x):
        def grad(*args, upstream=None):
            return torch.clamp(upstream, -0.5, 0.5)

        return x * 1.0, grad

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (clipped_identity(x) * torch.tensor([3.0, -0.2])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, -0.2])
    y = torch.tensor(2.0, requires_grad=True)
    (ops.stop_gradient(y * 3) * y).backward()
    assert float(y.grad) == 6.0


def test_dtype_saturate_cast_rearrange(keras):
    assert (
        ops.dtype(torch.ones(2, dtype=torch.int16))
        == "int16"
        == keras.ops.dtype(torch.ones(2, dtype=torch.int16))
    )
    assert ops.dtype(torchkeras.Input((3,), dtype="int32")) == "int32"
    values = torch.tensor([-300.0, -1.5, 0.4, 200.0, 1e10])
    for dtype in ("uint8", "int8", "float16"):
        close(ops.saturate_cast(values, dtype), keras.ops.saturate_cast(values, dtype))
    # 2**31 - 1 is no float32: Keras 3.15's torch backend clips to 2**31 and wraps to -2**31.
    assert ops.saturate_cast(values, "int32").tolist() == [-300, -1, 0, 200, 2147483520]
    close(
        ops.saturate_cast(torch.tensor([-5, 70000]), "int16"),
        keras.ops.saturate_cast(torch.tensor([-5, 70000]), "int16"),
    )
    images = torch.as_tensor(rng.standard_normal((2, 6, 4, 3)).astype("float32"))
    patterns = [
        ("b h w c -> b c h w", {}),
        ("b h w c -> b (h w) c", {}),
        ("b (h p) w c -> b h p (w c)", {"p": 2}),
        ("b h w c -> (b h) w c", {}),
    ]
    for pattern, lengths in patterns:
        close(ops.rearrange(images, pattern, **lengths), keras.ops.rearrange(images, pattern, **lengths))
    with pytest.raises(ValueError, match="pattern"):
        ops.rearrange(images, "b h w -> b w h")


def test_control_flow_errors():
    with pytest.raises(ValueError, match="length"):
        ops.scan(lambda c, x: (c, x), 0)
    with pytest.raises(TypeError, match="branches"):
        ops.switch(0, [1], XS)
    with pytest.raises(TypeError, match="body"):
        ops.while_loop(lambda x: True, None, 1)


def test_control_flow_on_keras_tensors():
    inputs = torchkeras.Input((5, 3))
    total = ops.vectorized_map(lambda row: ops.cumsum(row, axis=0), inputs)
    _, scanned = ops.scan(lambda c, x: (c + x, c), ops.zeros((3,)), inputs[0])
    assert total.shape == (None, 5, 3) and scanned.shape == (5, 3)
    model = torchkeras.Model(inputs, total)
    np.testing.assert_allclose(model(XS[None]).detach().numpy()[0], np.cumsum(XS.numpy(), 0), rtol=1e-6)
