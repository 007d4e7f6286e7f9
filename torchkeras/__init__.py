"""torchkeras: Keras 3's API, running natively on PyTorch.

`import torchkeras as keras` exposes Keras's namespaces (`layers`, `models`, `losses`, ...), and
`keras.Model(any_torch_module)` gives compile / fit / evaluate / predict to existing torch code.
"""

__version__ = "0.1.0"

from torchkeras import (  # noqa: E402  (namespaces, in dependency order)
    activations,
    backend,
    callbacks,
    config,
    constraints,
    dtype_policies,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    ops,
    optimizers,
    preprocessing,
    quantizers,
    random,
    regularizers,
    saving,
    tree,
    utils,
)
from torchkeras.initializers.initializer import Initializer  # noqa: E402
from torchkeras.layers.function import Function  # noqa: E402
from torchkeras.layers.input_layer import Input  # noqa: E402
from torchkeras.layers.input_spec import InputSpec  # noqa: E402
from torchkeras.layers.keras_tensor import KerasTensor  # noqa: E402
from torchkeras.layers.layer import Layer  # noqa: E402
from torchkeras.layers.operation import Operation  # noqa: E402
from torchkeras.layers.variable import Variable  # noqa: E402
from torchkeras.losses.loss import Loss  # noqa: E402
from torchkeras.metrics.metric import Metric  # noqa: E402
from torchkeras.mixed_precision import DTypePolicy, FloatDTypePolicy  # noqa: E402
from torchkeras.models.model import Model  # noqa: E402
from torchkeras.models.sequential import Sequential  # noqa: E402
from torchkeras.optimizers.optimizer import Optimizer  # noqa: E402
from torchkeras.quantizers import Quantizer  # noqa: E402
from torchkeras.regularizers import Regularizer  # noqa: E402
from torchkeras.utils.device_scope import device  # noqa: E402
from torchkeras.utils.name_scope import name_scope  # noqa: E402
from torchkeras.utils.remat import RematScope, remat  # noqa: E402
from torchkeras.utils.stateless_scope import StatelessScope  # noqa: E402
from torchkeras.utils.symbolic_scope import SymbolicScope  # noqa: E402

# Namespaces a plain fit does not need load on first access (`keras.applications`,
# `from torchkeras import datasets`), which keeps `import torchkeras` cheap (and free of scikit-learn).
_LAZY_NAMESPACES = (
    "applications",
    "datasets",
    "distillation",
    "distribution",
    "export",
    "visualization",
    "wrappers",
)
# Objects only those namespaces define: a saved model holding one loads without importing them first.
utils.registry.register_deferred_builtins(
    "torchkeras.applications", ("CustomScaleLayer", "LayerScale", "StochasticDepth")
)
utils.registry.register_deferred_builtins(
    "torchkeras.distillation", ("Distiller", "FeatureDistillation", "LogitsDistillation")
)


def __getattr__(name: str):
    if name in _LAZY_NAMESPACES:
        import importlib

        return importlib.import_module(f"torchkeras.{name}")
    raise AttributeError(f"module 'torchkeras' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_NAMESPACES))


def version() -> str:
    """The version of torchkeras (`keras.version()`)."""
    return __version__


__all__ = [
    "DTypePolicy",
    "FloatDTypePolicy",
    "Function",
    "Initializer",
    "Input",
    "InputSpec",
    "KerasTensor",
    "Layer",
    "Loss",
    "Metric",
    "Model",
    "Operation",
    "Optimizer",
    "Quantizer",
    "Regularizer",
    "RematScope",
    "Sequential",
    "StatelessScope",
    "SymbolicScope",
    "Variable",
    "__version__",
    "activations",
    "applications",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "device",
    "distillation",
    "distribution",
    "dtype_policies",
    "export",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "name_scope",
    "ops",
    "optimizers",
    "preprocessing",
    "quantizers",
    "random",
    "regularizers",
    "remat",
    "saving",
    "tree",
    "utils",
    "version",
    "visualization",
    "wrappers",
]
