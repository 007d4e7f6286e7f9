"""torchkeras: Keras 3's API, running natively on PyTorch.

`import torchkeras as keras` exposes Keras's namespaces (`layers`, `models`, `losses`, ...), and
`keras.Model(any_torch_module)` gives compile / fit / evaluate / predict to existing torch code.
"""

__version__ = "0.1.0"

from torchkeras import (  # noqa: E402  (namespaces, in dependency order)
    activations,
    applications,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    distribution,
    export,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    saving,
    tree,
    utils,
)
from torchkeras.layers.input_layer import Input  # noqa: E402
from torchkeras.models.model import Model  # noqa: E402
from torchkeras.models.sequential import Sequential  # noqa: E402

__all__ = [
    "Input",
    "Model",
    "Sequential",
    "__version__",
    "activations",
    "applications",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "distribution",
    "export",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "optimizers",
    "random",
    "regularizers",
    "saving",
    "tree",
    "utils",
]
