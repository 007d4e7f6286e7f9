"""torchkeras.constraints: projections equal to keras.constraints, configs, lookups, errors."""

import numpy as np
import pytest
import torch

from torchkeras import constraints
from torchkeras.utils.registry import get_registered_object, register_keras_serializable

CASES = [
    ("MaxNorm", {}),
    ("MaxNorm", {"max_value": 0.5, "axis": 1}),
    ("MaxNorm", {"max_value": 1.0, "axis": [0, 1, 2]}),
    ("NonNeg", {}),
    ("UnitNorm", {}),
    ("UnitNorm", {"axis": -1}),
    ("UnitNorm", {"axis": [0, 1, 2]}),
    ("MinMaxNorm", {}),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 2.0, "rate": 0.5, "axis": 1}),
    ("MinMaxNorm", {"min_value": 1.0, "max_value": 1.5, "axis": [0, 1, 2]}),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_parity_with_keras(keras, name, kwargs):
    shape = (3, 3, 4, 5) if isinstance(kwargs.get("axis"), list) else (6, 5)
    w = torch.randn(shape) * 2
    result = getattr(constraints, name)(**kwargs)(w)
    expected = getattr(keras.constraints, name)(**kwargs)(w.clone())
    assert result.shape == w.shape and result.dtype == w.dtype
    np.testing.assert_allclose(result.numpy(), np.asarray(expected), rtol=1e-5, atol=1e-6)


def test_reference_behaviour():
    w = torch.randn(8, 5, dtype=torch.float64) * 3
    norms = constraints.MaxNorm(1.5)(w).norm(dim=0)
    assert (norms <= 1.5 + 1e-6).all()
    torch.testing.assert_close(
        constraints.UnitNorm(axis=1)(w).norm(dim=1), torch.ones(8, dtype=torch.float64)
    )
    bounded = constraints.MinMaxNorm(1.0, 2.0)(w).norm(dim=0)
    assert ((bounded >= 1.0 - 1e-6) & (bounded <= 2.0 + 1e-6)).all()
    assert (constraints.NonNeg()(w) >= 0).all()
    assert constraints.Constraint()(w) is w
    assert constraints.NonNeg()(np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_config_round_trip_and_serialize_match_keras(keras, name, kwargs):
    ours = getattr(constraints, name)(**kwargs)
    rebuilt = type(ours).from_config(ours.get_config())
    assert rebuilt.get_config() == ours.get_config()
    config = constraints.serialize(ours)
    assert config == keras.constraints.serialize(getattr(keras.constraints, name)(**kwargs))
    assert constraints.deserialize(config).get_config() == ours.get_config()


def test_get():
    assert constraints.get(None) is None
    names = {
        "max_norm": constraints.MaxNorm,
        "NonNeg": constraints.NonNeg,
        "unit_norm": constraints.UnitNorm,
        "min_max_norm": constraints.MinMaxNorm,
    }
    for name, cls in names.items():
        assert type(constraints.get(name)) is cls
    assert constraints.max_norm is constraints.MaxNorm and constraints.non_neg is constraints.NonNeg
    assert isinstance(constraints.get(constraints.UnitNorm), constraints.UnitNorm)
    instance = constraints.MaxNorm(3)
    assert constraints.get(instance) is instance
    assert constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 1}}).axis == 1
    assert get_registered_object("MinMaxNorm") is constraints.MinMaxNorm


def test_errors():
    with pytest.raises(ValueError, match=r"constraint.*'maxnorm'.*Did you mean 'max_norm'"):
        constraints.get("maxnorm")
    with pytest.raises(ValueError, match="constraint"):
        constraints.get(1)


def test_user_constraint_round_trip():
    @register_keras_serializable(package="test_constraints")
    class Clip(constraints.Constraint):
        def __init__(self, limit=1.0):
            self.limit = limit

        def __call__(self, w):
            return torch.clamp(w, -self.limit, self.limit)

        def get_config(self):
            return {"limit": self.limit}

    config = constraints.serialize(Clip(0.5))
    assert config["registered_name"] == "test_constraints>Clip"
    assert constraints.get(config)(torch.tensor([2.0])).item() == 0.5
