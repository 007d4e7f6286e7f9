"""torchkeras.activations: parity with keras.activations, torch-only dispatch, name lookups."""

import numpy as np
import pytest
import torch

from torchkeras import activations
from torchkeras.utils.registry import custom_object_scope, get_registered_object, register_keras_serializable

# (name, kwargs): every function, with its defaults and with non-default arguments.
CASES = [
    ("relu", {}),
    ("relu", {"negative_slope": 0.1}),
    ("relu", {"max_value": 1.5}),
    ("relu", {"max_value": 6.0}),
    ("relu", {"threshold": 0.5}),
    ("relu", {"threshold": -0.5, "max_value": 2.0}),
    ("relu", {"negative_slope": 0.1, "max_value": 6.0}),
    ("relu", {"negative_slope": 0.2, "threshold": 0.5, "max_value": 2.0}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.05}),
    ("relu6", {}),
    ("sigmoid", {}),
    ("log_sigmoid", {}),
    ("sparse_sigmoid", {}),
    ("hard_sigmoid", {}),
    ("softmax", {}),
    ("softmax", {"axis": 0}),
    ("softmax", {"axis": (0, 2)}),
    ("softmax", {"axis": None}),
    ("log_softmax", {}),
    ("log_softmax", {"axis": 1}),
    ("log_softmax", {"axis": None}),
    ("tanh", {}),
    ("tanh_shrink", {}),
    ("hard_tanh", {}),
    ("linear", {}),
    ("gelu", {}),
    ("gelu", {"approximate": True}),
    ("silu", {}),
    ("swish", {}),
    ("hard_silu", {}),
    ("hard_swish", {}),
    ("mish", {}),
    ("elu", {}),
    ("elu", {"alpha": 0.5}),
    ("celu", {}),
    ("celu", {"alpha": 2.0}),
    ("selu", {}),
    ("softplus", {}),
    ("softsign", {}),
    ("squareplus", {}),
    ("squareplus", {"b": 1.0}),
    ("sparse_plus", {}),
    ("exponential", {}),
    ("glu", {}),
    ("glu", {"axis": 0}),
    ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 1.0}),
    ("soft_shrink", {}),
    ("soft_shrink", {"threshold": 1.0}),
    ("threshold", {"threshold": 0.3, "default_value": -1.0}),
]


def _inputs(dtype=torch.float32):
    """Values of both signs spread over [-8, 8], plus every breakpoint the functions have."""
    x = torch.randn(4, 6, 8, dtype=dtype) * 4
    x.view(-1)[:12] = torch.tensor(
        [0.0, -1.0, 1.0, -3.0, 3.0, 6.0, 0.5, -0.5, 0.3, 2.0, -2.0, 7.0], dtype=dtype
    )
    return x


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_parity_with_keras(keras, name, kwargs):
    x = _inputs()
    expected = getattr(keras.activations, name)(x.clone(), **kwargs)
    result = getattr(activations, name)(x, **kwargs)
    assert result.shape == expected.shape and result.dtype == x.dtype
    np.testing.assert_allclose(result.numpy(), np.asarray(expected), rtol=1e-5, atol=1e-6)


def test_every_keras_activation_is_covered(keras):
    ours = set(activations.ALL_OBJECTS_DICT)
    theirs = {n for n in dir(keras.activations) if not n.startswith("_")} - {
        "get",
        "serialize",
        "deserialize",
    }
    assert ours == theirs
    assert {name for name, _ in CASES} | {"sparsemax"} == ours


def test_float64_parity_and_dtype(keras):
    x = _inputs(torch.float64)
    for name in ("gelu", "softmax", "selu", "mish", "relu"):
        result = getattr(activations, name)(x)
        assert result.dtype == torch.float64
        np.testing.assert_allclose(
            result.numpy(), np.asarray(getattr(keras.activations, name)(x)), rtol=1e-12
        )


def test_reference_formulas():
    x = _inputs()
    torch.testing.assert_close(activations.gelu(x), 0.5 * x * (1 + torch.erf(x / 2**0.5)))
    torch.testing.assert_close(activations.hard_sigmoid(x), torch.clamp(x / 6 + 0.5, 0, 1))
    torch.testing.assert_close(activations.relu(x, max_value=2.0), torch.clamp(x, 0, 2))
    slope, cut = 0.2, 0.5
    expected = torch.where(x > cut, x, slope * (x - cut))
    torch.testing.assert_close(activations.relu(x, negative_slope=slope, threshold=cut), expected)
    torch.testing.assert_close(activations.leaky_relu(x), torch.where(x >= 0, x, 0.2 * x))
    torch.testing.assert_close(activations.softmax(x, axis=(1, 2)).sum(dim=(1, 2)), torch.ones(4))


def _sparsemax_reference(z):
    """Sparsemax of a 1D array by its definition: the projection onto the simplex."""
    ranked = np.sort(z)[::-1]
    cumulative = np.cumsum(ranked)
    k = np.arange(1, len(z) + 1)
    support = k[1 + k * ranked > cumulative].max()
    tau = (cumulative[support - 1] - 1) / support
    return np.maximum(z - tau, 0)


def test_sparsemax_is_the_simplex_projection():
    # Keras 3.15's own sparsemax sums the cumulative sums when computing tau, so its outputs do not
    # sum to 1 once two or more logits are in the support; we follow the definition instead.
    x = torch.randn(5, 7, dtype=torch.float64) * 2
    result = activations.sparsemax(x)
    expected = np.stack([_sparsemax_reference(row) for row in x.numpy()])
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(activations.sparsemax(x, axis=0).sum(0), torch.ones(7, dtype=torch.float64))


def test_sparsemax_matches_keras_with_a_single_winner(keras):
    x = torch.tensor([[5.0, 0.1, -1.0], [-2.0, 3.0, 0.5]])
    np.testing.assert_allclose(activations.sparsemax(x).numpy(), np.asarray(keras.activations.sparsemax(x)))


class Traced:
    """A stand-in for a symbolic tensor: not a `torch.Tensor`, it records every torch call."""

    calls: list = []

    def __init__(self, value):
        self.value = value
        self.shape, self.ndim, self.dtype, self.device = value.shape, value.ndim, value.dtype, value.device

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        cls.calls.append(func)
        unwrap = lambda a: a.value if isinstance(a, Traced) else a  # noqa: E731
        args = [unwrap(a) for a in args]
        kwargs = {k: unwrap(v) for k, v in (kwargs or {}).items()}
        out = func(*args, **kwargs)
        return tuple(Traced(o) for o in out) if isinstance(out, tuple) else Traced(out)


@pytest.mark.parametrize(
    "name,kwargs", CASES + [("sparsemax", {})], ids=[n for n, _ in CASES] + ["sparsemax"]
)
def test_works_through_torch_function(name, kwargs):
    x = _inputs()
    result = getattr(activations, name)(Traced(x), **kwargs)
    assert isinstance(result, Traced)
    torch.testing.assert_close(result.value, getattr(activations, name)(x, **kwargs))


def test_array_likes_become_tensors():
    result = activations.relu([-10.0, -5.0, 0.0, 5.0, 10.0], threshold=5.0)
    assert isinstance(result, torch.Tensor) and result.dtype == torch.float32
    assert result.tolist() == [0.0, 0.0, 0.0, 0.0, 10.0]
    assert activations.relu(np.array([-1.0, 2.0]), negative_slope=0.5).tolist() == [-0.5, 2.0]


def test_get():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    assert activations.get(torch.tanh) is torch.tanh
    keras_config = {
        "module": "keras.activations",
        "class_name": "function",
        "config": "gelu",
        "registered_name": "gelu",
    }
    assert activations.get(keras_config) is activations.gelu


def test_unknown_names_suggest():
    with pytest.raises(ValueError, match=r"activation.*'rleu'.*Did you mean 'relu'"):
        activations.get("rleu")
    with pytest.raises(ValueError, match="activation"):
        activations.get(3)
    with pytest.raises(ValueError, match="lambda"):
        activations.deserialize({"class_name": "__lambda__", "config": {"value": "..."}})


@pytest.mark.parametrize("name", sorted(activations.ALL_OBJECTS_DICT))
def test_serialize_matches_keras_and_round_trips(keras, name):
    fn = activations.get(name)
    assert activations.serialize(fn) == keras.activations.serialize(keras.activations.get(name))
    assert activations.deserialize(activations.serialize(fn)) is fn
    assert get_registered_object(name) is fn


def test_user_functions_round_trip():
    @register_keras_serializable(package="test_activations")
    def doubled(x):
        return 2 * x

    config = activations.serialize(doubled)
    assert config["class_name"] == "function" and config["config"] == "test_activations>doubled"
    assert activations.deserialize(config) is doubled
    assert activations.get(config) is doubled

    def halved(x):
        return x / 2

    with custom_object_scope({"halved": halved}):
        assert activations.get("halved") is halved
    with pytest.raises(ValueError, match="lambdas"):
        activations.serialize(lambda x: x)
