"""Learning rate schedules: values vs Keras at many steps, tensors in and out, config, errors."""

import numpy as np
import pytest
import torch

from torchkeras.optimizers import schedules
from torchkeras.utils.registry import register_keras_serializable

CASES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}),
    (
        "ExponentialDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.9, "staircase": True},
    ),
    ("PiecewiseConstantDecay", {"boundaries": [5, 17], "values": [1.0, 0.5, 0.1]}),
    ("PiecewiseConstantDecay", {"boundaries": [10], "values": [0.3, 0.03]}),
    (
        "PolynomialDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 20, "end_learning_rate": 0.01, "power": 2.0},
    ),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 20, "cycle": True}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5}),
    (
        "InverseTimeDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5, "staircase": True},
    ),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 50, "alpha": 0.1}),
    (
        "CosineDecay",
        {"initial_learning_rate": 0.0, "decay_steps": 40, "warmup_target": 1.0, "warmup_steps": 10},
    ),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 10}),
    (
        "CosineDecayRestarts",
        {"initial_learning_rate": 0.1, "first_decay_steps": 6, "t_mul": 1.0, "m_mul": 0.5},
    ),
]
STEPS = [0, 1, 2, 5, 6, 10, 17, 18, 33, 50, 99, 1000]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CASES)]


@pytest.mark.parametrize("name, kwargs", CASES, ids=IDS)
def test_values_match_keras(keras, name, kwargs):
    expected_schedule = getattr(keras.optimizers.schedules, name)(**kwargs)
    ours = getattr(schedules, name)(**kwargs)
    for step in STEPS:
        expected = float(keras.ops.convert_to_numpy(expected_schedule(step)))
        from_int = ours(step)
        from_tensor = ours(torch.tensor(step, dtype=torch.int64))
        assert isinstance(from_tensor, torch.Tensor) and from_tensor.dtype == torch.float32
        np.testing.assert_allclose(float(from_int), expected, rtol=1e-5, atol=1e-7, err_msg=f"step {step}")
        np.testing.assert_allclose(float(from_tensor), expected, rtol=1e-5, atol=1e-7, err_msg=f"step {step}")


def test_exponential_decay_formula():
    schedule = schedules.ExponentialDecay(0.5, decay_steps=4, decay_rate=0.1)
    np.testing.assert_allclose(float(schedule(torch.tensor(6))), 0.5 * 0.1 ** (6 / 4), rtol=1e-6)


@pytest.mark.parametrize("name, kwargs", CASES, ids=IDS)
def test_config_and_serialization_match_keras(keras, name, kwargs):
    expected_schedule = getattr(keras.optimizers.schedules, name)(**kwargs)
    ours = getattr(schedules, name)(**kwargs)
    assert ours.get_config() == expected_schedule.get_config()
    serialized = schedules.serialize(ours)
    assert serialized == keras.optimizers.schedules.serialize(expected_schedule)
    assert schedules.deserialize(serialized).get_config() == ours.get_config()
    assert keras.optimizers.schedules.deserialize(serialized).get_config() == ours.get_config()


def test_custom_schedule_subclass_and_registry():
    @register_keras_serializable(package="OptimizerTests")
    class Halving(schedules.LearningRateSchedule):
        def __init__(self, initial_learning_rate):
            self.initial_learning_rate = initial_learning_rate

        def __call__(self, step):
            return self.initial_learning_rate * 0.5 ** (step // 2)

        def get_config(self):
            return {"initial_learning_rate": self.initial_learning_rate}

    schedule = Halving(1.0)
    assert float(schedule(torch.tensor(5))) == 0.25
    serialized = schedules.serialize(schedule)
    assert serialized["registered_name"] == "OptimizerTests>Halving"
    assert isinstance(schedules.deserialize(serialized), Halving)


def test_base_class_must_be_overridden():
    with pytest.raises(NotImplementedError, match="__call__"):
        schedules.LearningRateSchedule()(0)
    with pytest.raises(NotImplementedError, match="get_config"):
        schedules.LearningRateSchedule().get_config()


@pytest.mark.parametrize("name", ["ExponentialDecay", "PolynomialDecay", "InverseTimeDecay", "CosineDecay"])
def test_decay_steps_must_be_positive(name):
    args = (0.1, 0) if name in ("PolynomialDecay", "CosineDecay") else (0.1, 0, 0.5)
    with pytest.raises(ValueError, match="`decay_steps` must be > 0"):
        getattr(schedules, name)(*args)


def test_other_errors():
    with pytest.raises(ValueError, match="first_decay_steps"):
        schedules.CosineDecayRestarts(0.1, first_decay_steps=-1)
    with pytest.raises(ValueError, match="boundaries should be 1 less"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="Did you mean 'ExponentialDecay'"):
        schedules.deserialize({"class_name": "ExponentialDecy", "config": {}})
