"""`import torchkeras` imports only what a plain fit needs: optional extras, SciPy and torch's
compiler stack load when first used."""

import subprocess
import sys

# Optional extras and heavy modules a plain `import torchkeras` must not load.
LAZY = (
    "h5py",
    "scipy",
    "safetensors",
    "tqdm",
    "PIL",
    "matplotlib",
    "pydot",
    "pandas",
    "onnx",
    "torch._dynamo",
    "sympy",
    "sklearn",
)


def test_import_torchkeras_loads_no_optional_or_heavy_module():
    code = (
        "import sys, torch; before = set(sys.modules); import torchkeras; "
        f"print(sorted(m for m in {LAZY!r} if m in sys.modules and m not in before))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_namespaces_a_fit_does_not_need_load_on_first_use():
    code = (
        "import sys, torchkeras as keras; from torchkeras.utils import registry\n"
        "lazy = ('applications', 'datasets', 'distillation', 'distribution', 'export', 'visualization',\n"
        "        'wrappers')\n"
        "assert not [n for n in lazy if 'torchkeras.' + n in sys.modules], 'loaded eagerly'\n"
        "assert set(lazy) <= set(dir(keras))\n"
        # A saved ConvNeXt layer resolves by name without importing the applications first.
        "config = {'class_name': 'StochasticDepth', 'config': {'drop_path_rate': 0.1}}\n"
        "layer = keras.layers.deserialize(config)\n"
        "assert type(layer).__name__ == 'StochasticDepth' and 'torchkeras.applications' in sys.modules\n"
        "from torchkeras import datasets\n"
        "assert keras.applications.ResNet50 and datasets.mnist and keras.export.ExportArchive\n"
        "before = set(registry._BUILTINS); import importlib\n"
        "for n in lazy: importlib.import_module('torchkeras.' + n)\n"
        "owner = lambda k: registry._BUILTINS[k].__module__.split('.')[1]\n"
        "lazily_defined = {k for k in registry._BUILTINS if owner(k) in lazy}\n"
        "print(sorted(set(registry._DEFERRED) ^ lazily_defined))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"  # every builtin of a lazy namespace is declared as deferred


def test_eager_fit_evaluate_predict_never_load_the_compiler():
    """A model that never runs symbolically (a wrapped torch module, the torch user's path) fits
    without `torch._dynamo`. Symbolic shape inference (`keras.Input`, a Sequential's first call,
    which builds its graph as Keras does) uses fake tensors, and those load Dynamo's config."""
    code = (
        "import sys, numpy as np, torch, torchkeras as keras\n"
        "module = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.BatchNorm1d(8),"
        " torch.nn.Dropout(0.2), torch.nn.Linear(8, 3))\n"
        "model = keras.Model(module)\n"
        "model.compile('adam', 'sparse_categorical_crossentropy', metrics=['accuracy'])\n"
        "x = np.random.default_rng(0).normal(size=(64, 4)).astype('float32')\n"
        "y = np.arange(64) % 3\n"
        "model.fit(x, y, batch_size=16, epochs=2, verbose=0, validation_split=0.25)\n"
        "model.evaluate(x, y, verbose=0); model.predict(x, verbose=0)\n"
        "print(sorted(m for m in ('torch._dynamo', 'sympy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
