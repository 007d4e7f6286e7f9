"""The Keras reference cases of `text_reference.json` (see `make_text_reference.py`)."""

import json
import os

import numpy as np

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "text_reference.json")


def reference_cases(layer: str) -> list:
    """The cases for one layer class, as pytest parameters with readable ids."""
    import pytest

    with open(_PATH, encoding="utf-8") as file:
        cases = [c for c in json.load(file)["cases"] if c["layer"] == layer]
    return [
        pytest.param(c, id=f"{i}-{'-'.join(f'{k}={v}' for k, v in c['kwargs'].items())[:60]}")
        for i, c in enumerate(cases)
    ]


def check_reference_case(cls, case: dict) -> None:
    """Builds `cls(**kwargs)`, adapts it as Keras did, and compares the output (and vocabulary)."""
    layer = cls(**case["kwargs"])
    if case["adapt"] is not None:
        layer.adapt(np.array(case["adapt"]))
    if case["layer"] == "HashedCrossing":
        inputs = [np.array(x) for x in case["inputs"]]
    else:
        inputs = np.array(case["inputs"])
    output = layer(inputs)
    if case["dtype"] == "string":
        assert np.asarray(output).tolist() == case["output"]
    else:
        output = output.cpu().numpy()
        # Encoded lookups are float32 here (Keras declares floatx, computes int64): values equal.
        np.testing.assert_allclose(output, np.array(case["output"], dtype="float64"), rtol=1e-6, atol=1e-6)
        assert output.shape == np.array(case["output"]).shape
    if "vocabulary" in case:
        assert layer.get_vocabulary() == case["vocabulary"]
