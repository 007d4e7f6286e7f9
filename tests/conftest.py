"""Shared fixtures. Keras (for parity tests) must see the torch backend before it is imported."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

# Tests use tiny tensors: one thread avoids oversubscribing small CI machines.
torch.set_num_threads(1)


@pytest.fixture
def keras():
    """Keras 3 on the torch backend, or a clean skip where it is not installed."""
    return pytest.importorskip("keras")


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state."""
    np.random.seed(0)
    torch.manual_seed(0)
    yield
