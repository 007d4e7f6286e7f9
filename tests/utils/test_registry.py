"""The registry: allowlisted name lookups, Keras's config schema, user objects and scopes."""

import pytest

from torchkeras.utils import registry


class Doubler:
    def __init__(self, factor=2):
        self.factor = factor

    def __call__(self, x):
        return x * self.factor

    def get_config(self):
        return {"factor": self.factor}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def halve(x):
    return x / 2


TABLE = registry.ObjectTable(
    {"Doubler": Doubler, "doubler": Doubler, "halve": halve}, "keras.things", "thing"
)


def test_names_and_configs_resolve_only_from_the_table():
    assert isinstance(TABLE.deserialize("Doubler"), Doubler)
    built = TABLE.deserialize({"module": "keras.things", "class_name": "Doubler", "config": {"factor": 3}})
    assert built.factor == 3 and built(2) == 6
    assert TABLE.deserialize({"class_name": "function", "config": "halve"}) is halve
    assert TABLE.deserialize(None) is None and TABLE.get(None, "must be a thing") is None
    with pytest.raises(ValueError, match="Did you mean 'doubler'"):
        TABLE.deserialize("dobler")
    for hostile in ("os.system", "builtins.eval", "Dense"):  # other modules and other packages' built-ins
        with pytest.raises(ValueError, match="Unknown thing"):
            TABLE.deserialize({"class_name": hostile, "config": {}})
    with pytest.raises(ValueError, match="lambda"):
        TABLE.deserialize({"class_name": "__lambda__", "config": {"code": "..."}})
    with pytest.raises(ValueError, match="thing"):
        TABLE.get(42, "must be a name or a callable")


def test_custom_objects_scopes_and_registration():
    class Tripler(Doubler):
        pass

    with pytest.raises(ValueError):
        TABLE.deserialize("Tripler")
    assert isinstance(TABLE.deserialize("Tripler", custom_objects={"Tripler": Tripler}), Tripler)
    with registry.CustomObjectScope({"Tripler": Tripler}):
        assert isinstance(TABLE.deserialize("Tripler"), Tripler)
    registry.register_keras_serializable(package="tests_registry")(Tripler)
    config = TABLE.serialize(Tripler(5))
    assert config["registered_name"] == "tests_registry>Tripler"
    assert TABLE.deserialize(config).factor == 5


def test_snake_case_matches_keras():
    assert registry.to_snake_case("Conv2D") == "conv2d"
    assert registry.to_snake_case("BatchNormalization") == "batch_normalization"
    assert registry.to_snake_case("SpatialDropout1D") == "spatial_dropout1d"
    assert registry.to_snake_case("R2Score") == "r2_score"
