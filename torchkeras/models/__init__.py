"""Models: `Model`, `Sequential`, and (with saving) `load_model`, `clone_model`."""

from torchkeras.models.cloning import clone_model
from torchkeras.models.functional import Functional
from torchkeras.models.model import Model
from torchkeras.models.sequential import Sequential
from torchkeras.saving.saving_lib import load_model, save_model
from torchkeras.saving.serialization import model_from_json

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
