"""`utils.Config`: attribute/item access, freezing, JSON; the same answers as Keras's."""

import json

import pytest

import torchkeras as tk


def _use(lib):
    config = lib.utils.Config(learning_rate=0.1, momentum=0.9)
    config.use_ema = True
    config["seed"] = 123
    config.update(batch=32)
    return config


def test_matches_keras(keras):
    ours, theirs = _use(tk), _use(keras)
    assert ours.as_dict() == theirs.as_dict()
    assert json.loads(ours.to_json()) == json.loads(theirs.to_json())
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert ours.seed == theirs.seed == 123 and ours.get("missing", 5) == 5


def test_freeze_and_errors():
    config = _use(tk)
    config.freeze()
    assert config.frozen
    for change in (
        lambda: setattr(config, "x", 1),
        lambda: config.__setitem__("x", 1),
        lambda: config.pop("seed"),
    ):
        with pytest.raises(ValueError, match="frozen"):
            change()
    config.unfreeze()
    del config["seed"]
    assert "seed" not in config
    with pytest.raises(AttributeError, match="Did you mean 'momentum'"):
        config.momentun  # noqa: B018
