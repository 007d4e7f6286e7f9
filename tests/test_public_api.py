"""Every public name of Keras 3's namespaces exists at the same path in torchkeras.

The test compares `dir()` of each namespace with Keras's (skipped without Keras). A name Keras has
and torchkeras lacks must be listed, either in `OMITTED` (left out on purpose, with the reason) or in
`NOT_YET_BUILT` (work still to do). The second list only shrinks: the test also fails when a name on
it now exists, so whoever lands a name removes it from the list in the same commit.
"""

import importlib
import inspect
import types

import pytest

NAMESPACES = [
    "",
    "activations",
    "applications",
    *[
        f"applications.{family}"
        for family in (
            "convnext",
            "densenet",
            "efficientnet",
            "efficientnet_v2",
            "imagenet_utils",
            "inception_resnet_v2",
            "inception_v3",
            "mobilenet",
            "mobilenet_v2",
            "mobilenet_v3",
            "nasnet",
            "resnet",
            "resnet50",
            "resnet_v2",
            "vgg16",
            "vgg19",
            "xception",
        )
    ],  # fmt: skip
    "backend",
    "callbacks",
    "config",
    "constraints",
    "distillation",
    "distribution",
    "dtype_policies",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "ops.image",
    "ops.linalg",
    "ops.nn",
    "ops.numpy",
    "optimizers",
    "optimizers.schedules",
    "preprocessing",
    "preprocessing.image",
    "preprocessing.sequence",
    "quantizers",
    "random",
    "regularizers",
    "saving",
    "tree",
    "utils",
    "visualization",
    "wrappers",
]

# Left out on purpose (README, "Deliberate omissions").
OMITTED = {
    # Keras's own source tree, and the tf.keras 2 legacy shims (their classes raise on use in Keras 3).
    "": {"src", "legacy"},
    "optimizers": {"legacy"},
    "utils": {"legacy"},
    # Bound to another framework: JAX/Flax, TensorFlow SavedModel, Orbax.
    "layers": {"FlaxLayer", "JaxLayer", "TFSMLayer"},
    "callbacks": {"OrbaxCheckpoint"},
    "config": {"is_nnx_enabled"},
}

# Namespaces and names that have issues of their own (none left: export and TensorBoard landed).
OTHER_ISSUES: dict[str, set[str]] = {}

# Not built yet: remove a name here in the commit that lands it (issue 11).
NOT_YET_BUILT: dict[str, set[str]] = {}


def public_names(module: types.ModuleType) -> set[str]:
    return {name for name in dir(module) if not name.startswith("_")}


def kind(value: object) -> str:
    if isinstance(value, types.ModuleType):
        return "module"
    if inspect.isclass(value):
        return "class"
    return "callable" if callable(value) else "value"


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda n: n or "keras")
def test_namespace_has_every_keras_name(keras, namespace):
    suffix = f".{namespace}" if namespace else ""
    expected = public_names(importlib.import_module("keras" + suffix))
    try:
        ours = importlib.import_module("torchkeras" + suffix)
    except ModuleNotFoundError:
        ours = types.ModuleType("torchkeras" + suffix)
    have = public_names(ours)
    allowed = OMITTED.get(namespace, set()) | OTHER_ISSUES.get(namespace, set())
    pending = NOT_YET_BUILT.get(namespace, set())
    missing = expected - have - allowed - pending
    assert not missing, f"torchkeras{suffix} lacks Keras names (build them or list them): {sorted(missing)}"
    landed = pending & have
    assert not landed, f"torchkeras{suffix} now has {sorted(landed)}: remove them from NOT_YET_BUILT"
    stale = (pending | allowed) - expected
    assert not stale, f"keras{suffix} has no {sorted(stale)}: remove them from the lists"


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda n: n or "keras")
def test_shared_names_are_the_same_kind(keras, namespace):
    """A Keras class is a class here too, a function a function, a namespace a module."""
    suffix = f".{namespace}" if namespace else ""
    theirs = importlib.import_module("keras" + suffix)
    try:
        ours = importlib.import_module("torchkeras" + suffix)
    except ModuleNotFoundError:
        pytest.skip(f"torchkeras{suffix} is not built yet")
    wrong = {
        name: (kind(getattr(ours, name)), kind(getattr(theirs, name)))
        for name in public_names(theirs) & public_names(ours)
        if kind(getattr(ours, name)) != kind(getattr(theirs, name))
    }
    assert not wrong, f"torchkeras{suffix}: (ours, Keras's) kinds differ: {wrong}"
