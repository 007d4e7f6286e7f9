"""`losses.get` / `serialize` / `deserialize`: Keras's names, aliases, schema and errors."""

import pytest
import torch

from torchkeras import losses
from torchkeras.utils.registry import CustomObjectScope, register_keras_serializable


def test_public_names_match_keras(keras):
    theirs = {name for name in dir(keras.losses) if not name.startswith("_")}
    assert set(losses.__all__) == theirs | {"LossFunctionWrapper"}


@pytest.mark.parametrize(
    "identifier",
    ["mse", "MAE", "bce", "kld", "KLD", "mape", "msle", "huber", "log_cosh", "kl_divergence", "dice",
     "sparse_categorical_crossentropy", "CategoricalCrossentropy", "Huber", "Tversky"],
)  # fmt: skip
def test_get_resolves_what_keras_resolves(keras, identifier):
    ours, theirs = losses.get(identifier), keras.losses.get(identifier)
    if isinstance(theirs, keras.losses.Loss):
        assert type(ours).__name__ == type(theirs).__name__
        assert ours.get_config() == theirs.get_config()
    else:
        assert ours.__name__ == theirs.__name__


@pytest.mark.parametrize("identifier", ["logcosh", "huber_loss", "kullback_leibler_divergence", "msee"])
def test_get_rejects_what_keras_rejects(keras, identifier):
    with pytest.raises(ValueError):
        keras.losses.get(identifier)
    with pytest.raises(ValueError, match="Unknown loss"):
        losses.get(identifier)


def test_unknown_name_suggests_close_ones():
    with pytest.raises(ValueError, match="Did you mean 'mse'"):
        losses.get("msee")
    with pytest.raises(ValueError, match="Unknown loss: 'relu'"):
        losses.get("relu")  # an activation is not a loss


def test_get_passes_through_none_callables_and_instantiates_classes():
    assert losses.get(None) is None
    loss = losses.BinaryCrossentropy(from_logits=True)
    assert losses.get(loss) is loss and losses.get(losses.hinge) is losses.hinge
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    with pytest.raises(ValueError, match="`loss` must be"):
        losses.get(3)


@pytest.mark.parametrize(
    "loss",
    [
        lambda m: m.MeanSquaredError(),
        lambda m: m.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, reduction="sum", name="b"),
        lambda m: m.SparseCategoricalCrossentropy(ignore_class=0),
        lambda m: m.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=3.0),
        lambda m: m.Tversky(alpha=0.2, beta=0.8, axis=(1, 2)),
        lambda m: m.categorical_crossentropy,
    ],
)
def test_serialize_matches_keras_and_round_trips(keras, loss):
    ours, theirs = loss(losses), loss(keras.losses)
    config = losses.serialize(ours)
    assert config == keras.losses.serialize(theirs)
    clone = losses.deserialize(config)
    if callable(ours) and not isinstance(ours, losses.Loss):
        assert clone is ours
    else:
        assert type(clone) is type(ours) and clone.get_config() == ours.get_config()


def test_deserialize_names_dicts_and_custom_objects():
    assert isinstance(losses.deserialize("MeanSquaredError"), losses.MeanSquaredError)
    assert losses.deserialize("mse") is losses.mean_squared_error
    config = {"class_name": "Huber", "config": {"name": "h", "reduction": "sum"}}
    assert losses.get(config).get_config() == {"name": "h", "reduction": "sum"}

    class Scaled(losses.Loss):
        def call(self, y_true, y_pred):
            return 2 * (y_pred - y_true).abs().mean(-1)

    config = losses.serialize(Scaled(name="scaled"))
    assert config["class_name"] == "Scaled" and config["registered_name"] == "Scaled"
    with pytest.raises(ValueError, match="Unknown loss"):
        losses.deserialize(config)
    clone = losses.deserialize(config, custom_objects={"Scaled": Scaled})
    assert isinstance(clone, Scaled) and clone.name == "scaled"
    with CustomObjectScope({"Scaled": Scaled}):
        assert isinstance(losses.get(config), Scaled)
    assert clone(torch.zeros(2, 1), torch.ones(2, 1)).item() == 2.0


def test_registered_function_round_trips():
    @register_keras_serializable(package="test_losses")
    def my_loss(y_true, y_pred):
        return (y_pred - y_true).mean(-1)

    config = losses.serialize(my_loss)
    assert config["config"] == "test_losses>my_loss"
    assert losses.deserialize(config) is my_loss
    wrapper = losses.LossFunctionWrapper(my_loss, name="w")
    assert losses.LossFunctionWrapper.from_config(wrapper.get_config()).fn is my_loss


def test_lambdas_and_bad_configs_are_refused():
    with pytest.raises(ValueError, match="lambdas"):
        losses.serialize(lambda y_true, y_pred: y_pred)
    with pytest.raises(ValueError, match="config dict"):
        losses.deserialize({"config": {}})
    with pytest.raises(ValueError, match="lambda"):
        losses.deserialize({"class_name": "__lambda__", "config": {"code": "..."}})
