"""torchkeras.regularizers: penalties equal to keras.regularizers, configs, lookups, errors."""

import numpy as np
import pytest
import torch

from torchkeras import regularizers
from torchkeras.utils.registry import get_registered_object, register_keras_serializable

CASES = [
    ("L1", {}),
    ("L1", {"l1": 0.3}),
    ("L2", {}),
    ("L2", {"l2": 0.25}),
    ("L1L2", {}),
    ("L1L2", {"l1": 0.1}),
    ("L1L2", {"l1": 0.1, "l2": 0.2}),
    ("OrthogonalRegularizer", {}),
    ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"}),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_parity_with_keras(keras, name, kwargs, dtype):
    x = torch.randn(6, 4, dtype=dtype)
    x[2] = 0.0  # a zero row: the orthogonal regularizer must not divide by zero
    result = getattr(regularizers, name)(**kwargs)(x)
    expected = getattr(keras.regularizers, name)(**kwargs)(x.clone())
    assert result.shape == () and result.dtype == dtype
    # Keras keeps L1's and the orthogonal factor as float32 tensors, hence rtol 1e-6 in float64.
    np.testing.assert_allclose(
        result.numpy(), np.asarray(expected), rtol=1e-6 if dtype == torch.float32 else 1e-7
    )


def test_reference_formulas():
    x = torch.randn(5, 3)
    torch.testing.assert_close(regularizers.L1L2(0.1, 0.2)(x), 0.1 * x.abs().sum() + 0.2 * (x**2).sum())
    assert regularizers.L1L2()(x).item() == 0.0 and regularizers.Regularizer()(x).item() == 0.0
    orthonormal = torch.linalg.qr(torch.randn(5, 3))[0]
    assert regularizers.OrthogonalRegularizer(mode="columns")(orthonormal).item() == pytest.approx(
        0.0, abs=1e-6
    )
    same_rows = torch.ones(3, 4)
    # identical rows: every pair has |cosine| 1, so the penalty is the factor itself
    assert regularizers.OrthogonalRegularizer(factor=0.3)(same_rows).item() == pytest.approx(0.3)


def test_gradients_flow():
    x = torch.randn(4, 3, requires_grad=True)
    (regularizers.L2(0.5)(x) + regularizers.OrthogonalRegularizer()(x)).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_config_round_trip_and_serialize(keras, name, kwargs):
    ours = getattr(regularizers, name)(**kwargs)
    rebuilt = type(ours).from_config(ours.get_config())
    assert rebuilt.get_config() == ours.get_config()
    config = regularizers.serialize(ours)
    assert regularizers.deserialize(config).get_config() == ours.get_config()
    theirs = keras.regularizers.serialize(getattr(keras.regularizers, name)(**kwargs))
    # Same schema; Keras reports L1's and the orthogonal factor rounded to float32 (0.01 -> 0.0099999997).
    assert {k: v for k, v in config.items() if k != "config"} == {
        k: v for k, v in theirs.items() if k != "config"
    }
    assert config["config"].keys() == theirs["config"].keys()
    for key, value in config["config"].items():  # Keras rounds factors to float32
        expected = theirs["config"][key]
        assert value == (pytest.approx(expected, rel=1e-6) if isinstance(expected, float) else expected)


def test_get():
    assert regularizers.get(None) is None
    names = {
        "l1": regularizers.L1,
        "L2": regularizers.L2,
        "l1l2": regularizers.L1L2,
        "l1_l2": regularizers.L1L2,
        "orthogonal_regularizer": regularizers.OrthogonalRegularizer,
    }
    for name, cls in names.items():
        assert type(regularizers.get(name)) is cls
    assert regularizers.l1_l2 is regularizers.L1L2 and regularizers.l2 is regularizers.L2
    assert isinstance(regularizers.get(regularizers.L2), regularizers.L2)
    instance = regularizers.L1(0.5)
    assert regularizers.get(instance) is instance
    assert regularizers.get({"class_name": "L1", "config": {"l1": 0.5}}).get_config() == {"l1": 0.5}
    assert get_registered_object("OrthogonalRegularizer") is regularizers.OrthogonalRegularizer


def test_errors():
    with pytest.raises(ValueError, match=r"regularizer.*'l22'.*Did you mean 'l2'"):
        regularizers.get("l22")
    with pytest.raises(ValueError, match="regularizer"):
        regularizers.get(0.5)
    with pytest.raises(ValueError, match="`l1` must be a non-negative float"):
        regularizers.L1(-1.0)
    with pytest.raises(ValueError, match="`l2`"):
        regularizers.L1L2(l2=float("nan"))
    with pytest.raises(ValueError, match=r"`mode`.*Did you mean 'rows'"):
        regularizers.OrthogonalRegularizer(mode="row")
    with pytest.raises(ValueError, match="rank 2"):
        regularizers.OrthogonalRegularizer()(torch.ones(2, 2, 2))
    with pytest.raises(NotImplementedError):
        regularizers.Regularizer().get_config()
    assert regularizers.L1(None).l1 == 0.01 and regularizers.L1L2(None, None).get_config() == {
        "l1": 0.0,
        "l2": 0.0,
    }


def test_user_regularizer_round_trip():
    @register_keras_serializable(package="test_regularizers")
    class MeanSquare(regularizers.Regularizer):
        def __init__(self, factor=1.0):
            self.factor = factor

        def __call__(self, x):
            return self.factor * torch.mean(x**2)

        def get_config(self):
            return {"factor": self.factor}

    config = regularizers.serialize(MeanSquare(3.0))
    assert config["registered_name"] == "test_regularizers>MeanSquare"
    assert regularizers.get(config)(torch.ones(2)).item() == 3.0
