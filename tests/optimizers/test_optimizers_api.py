"""`optimizers.get` / `serialize` / `deserialize`, Keras interop of configs, custom optimizers."""

import numpy as np
import pytest
import torch

import torchkeras.optimizers as optimizers
from torchkeras.optimizers import schedules
from torchkeras.utils.registry import register_keras_serializable


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("adam", optimizers.Adam),
        ("Adam", optimizers.Adam),
        ("sgd", optimizers.SGD),
        ("rmsprop", optimizers.RMSprop),
        ("RMSprop", optimizers.RMSprop),
        ("ADAMW", optimizers.AdamW),
        ("adagrad", optimizers.Adagrad),
        ("adadelta", optimizers.Adadelta),
        ("adamax", optimizers.Adamax),
        ("nadam", optimizers.Nadam),
        ("lion", optimizers.Lion),
        ("ftrl", optimizers.Ftrl),
        ("adafactor", optimizers.Adafactor),
    ],
)
def test_get_by_name(identifier, cls):
    optimizer = optimizers.get(identifier)
    assert type(optimizer) is cls
    assert not optimizer.built


def test_get_returns_instances_unchanged():
    ours = optimizers.Adam()
    torch_optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    assert optimizers.get(ours) is ours
    assert optimizers.get(torch_optimizer) is torch_optimizer
    assert optimizers.get(None) is None


def test_unknown_names():
    with pytest.raises(ValueError, match="Did you mean 'adam'"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Unknown optimizer"):
        optimizers.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(42)


def test_serialize_schema_and_keras_interop(keras):
    ours = optimizers.Adam(learning_rate=0.01, amsgrad=True, name="opt")
    serialized = optimizers.serialize(ours)
    assert serialized == {
        "module": "keras.optimizers",
        "class_name": "Adam",
        "config": ours.get_config(),
        "registered_name": None,
    }
    assert keras.optimizers.deserialize(serialized).get_config() == ours.get_config()
    from_keras = optimizers.get(
        keras.optimizers.serialize(keras.optimizers.Adam(0.01, amsgrad=True, name="opt"))
    )
    assert type(from_keras) is optimizers.Adam
    assert from_keras.get_config() == ours.get_config()


def test_schedule_in_optimizer_config_matches_keras(keras):
    ours = optimizers.SGD(schedules.CosineDecay(0.1, 100, warmup_target=0.5, warmup_steps=10), name="opt")
    expected = keras.optimizers.SGD(
        keras.optimizers.schedules.CosineDecay(0.1, 100, warmup_target=0.5, warmup_steps=10), name="opt"
    )
    assert ours.get_config() == expected.get_config()
    restored = optimizers.deserialize(optimizers.serialize(ours))
    assert isinstance(restored.learning_rate, torch.Tensor)
    assert isinstance(restored._learning_rate, schedules.CosineDecay)
    assert restored.get_config() == ours.get_config()


def test_registered_function_learning_rate_round_trip():
    @register_keras_serializable(package="OptimizerTests")
    def constant_rate():
        return 0.125

    ours = optimizers.SGD(learning_rate=constant_rate)
    config = ours.get_config()
    assert config["learning_rate"]["registered_name"] == "OptimizerTests>constant_rate"
    restored = optimizers.SGD.from_config(config)
    w = torch.ones(1)
    restored.apply([torch.ones(1)], [w])
    np.testing.assert_allclose(w.numpy(), [0.875])


@register_keras_serializable(package="OptimizerTests")
class SignDescent(optimizers.Optimizer):
    """A Keras-style custom optimizer: `build` + `update_step`, as users write them."""

    def __init__(self, learning_rate=0.1, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.steps_seen = [self.add_variable_from_reference(v, "steps") for v in variables]

    def update_step(self, gradient, variable, learning_rate):
        self.assign_add(self.steps_seen[self._get_variable_index(variable)], torch.ones_like(variable))
        self.assign_sub(variable, learning_rate * torch.sign(gradient))


def test_keras_style_custom_optimizer():
    w = torch.tensor([1.0, -1.0])
    optimizer = SignDescent(0.25, clipnorm=1.0)
    for _ in range(2):
        optimizer.apply([torch.tensor([3.0, -0.5])], [w])
    np.testing.assert_allclose(w.numpy(), [0.5, -0.5])
    assert [tuple(v.shape) for v in optimizer.variables] == [(), (), (2,)]
    np.testing.assert_allclose(optimizer.variables[2].numpy(), [2.0, 2.0])
    serialized = optimizers.serialize(optimizer)
    assert serialized["registered_name"] == "OptimizerTests>SignDescent"
    assert type(optimizers.deserialize(serialized)) is SignDescent
