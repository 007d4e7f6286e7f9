"""The layers' own random streams in a saved file, so that fitting on after a load is exact.

Layers with a `seed` draw from their own streams (`SeededRandomness`: Dropout, the noise layers,
RNN dropout, attention dropout, the random augmentations), and custom layers may draw from a
`keras.random.SeedGenerator`. Neither is a weight, so Keras's files leave them out and a reloaded
model would restart its draws from the seed. Our files carry them too, as one JSON text beside
the weights (a root `torchkeras_random_state` dataset in HDF5, a metadata entry in safetensors;
Keras ignores both): `{layer path: {attribute: state}}`, with the weights' layer paths.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import torch

from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.random.seed_generator import SeedGenerator
from torchkeras.saving.saveables import walk

__all__ = ["NAME", "collect_random_state", "random_state_plan"]

NAME = "torchkeras_random_state"  # the HDF5 dataset / safetensors metadata key


def _owners(layer: Any) -> dict[str, SeededRandomness | SeedGenerator]:
    """The layer's own random state holders, by attribute name."""
    return {
        name: value
        for name, value in vars(layer).items()
        if isinstance(value, (SeededRandomness, SeedGenerator))
    }


def collect_random_state(model: Any) -> str | None:
    """The JSON text of every layer's streams drawn from so far (`None` when there are none)."""
    layers: dict[str, dict[str, Any]] = {}
    for saveable in walk(model, include_optimizer=False):
        if saveable.kind != "layer":
            continue
        for name, owner in _owners(saveable.obj).items():
            state = _encode(owner)
            if state:
                layers.setdefault(saveable.path, {})[name] = state
    return json.dumps({"layers": layers}) if layers else None


def _encode(owner: SeededRandomness | SeedGenerator) -> dict[str, Any]:
    if isinstance(owner, SeedGenerator):
        return {"seed_generator": [int(v) for v in owner.state.detach().cpu().tolist()]}
    states = owner.generator_states()
    seed = states.pop("seed")
    streams = {}
    for key, value in states.items():
        if key == "python":
            version, internal, gauss = value
            streams[key] = [version, list(internal), gauss]
        else:
            streams[key] = base64.b64encode(value.contiguous().numpy().tobytes()).decode()
    return {"seed": seed, "streams": streams} if seed is not None or streams else {}


def random_state_plan(model: Any, text: str | None, source: str) -> Callable[[], None]:
    """Decodes and checks `text` against `model`, assigning nothing; returns the function that
    assigns it. Streams of layers the model does not have are ignored.

    Raises:
        ValueError: naming `source`, when the text is malformed or a state does not fit its stream.
    """
    if text is None:
        return lambda: None
    try:
        saved = json.loads(text)
        layers = saved["layers"]
        if not isinstance(layers, dict):
            raise TypeError("`layers` is not an object")
        steps = []
        for saveable in walk(model, include_optimizer=False):
            states = layers.get(saveable.path) if saveable.kind == "layer" else None
            if not isinstance(states, dict):
                continue
            for name, owner in _owners(saveable.obj).items():
                if name in states:
                    steps.append(_step(owner, states[name], f"{saveable.path}/{name}"))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        raise ValueError(f"Cannot load {source!r}: the layers' random state is corrupt ({error}).") from None

    def assign() -> None:
        for step in steps:
            step()

    return assign


def _step(owner: SeededRandomness | SeedGenerator, state: Any, where: str) -> Callable[[], None]:
    if isinstance(owner, SeedGenerator):
        values = state["seed_generator"]
        if len(values) != 2 or not all(isinstance(v, int) and -(2**31) <= v < 2**31 for v in values):
            raise ValueError(f"{where}: a SeedGenerator state is two int32 values, not {values!r}")
        tensor = torch.tensor(values, dtype=torch.int32)
        return lambda: owner.state.assign(tensor)
    streams: dict[str, Any] = {"seed": state["seed"]}
    for key, value in state["streams"].items():
        if key == "python":
            version, internal, gauss = value
            streams[key] = (version, tuple(internal), gauss)
        else:
            raw = base64.b64decode(value, validate=True)
            streams[key] = (
                torch.frombuffer(bytearray(raw), dtype=torch.uint8)
                if raw
                else torch.zeros(0, dtype=torch.uint8)
            )
    try:
        owner.check_generator_states(streams)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    return lambda: owner.set_generator_states(streams)
