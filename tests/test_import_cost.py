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
    "pandas",
    "onnx",
    "torch._dynamo",
    "sympy",
)


def test_import_torchkeras_loads_no_optional_or_heavy_module():
    code = (
        "import sys, torch; before = set(sys.modules); import torchkeras; "
        f"print(sorted(m for m in {LAZY!r} if m in sys.modules and m not in before))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
