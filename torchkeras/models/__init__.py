"""Models: `Model`, `Sequential`, and (with saving) `load_model`, `clone_model`."""

from torchkeras.models.functional import Functional
from torchkeras.models.model import Model
from torchkeras.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential"]
