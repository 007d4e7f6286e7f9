"""The house layering: a module never imports one from a higher row (see shared/STYLE.md)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "torchkeras"

# (module prefix, row); the longest matching prefix wins.
ROWS = [
    ("torchkeras.config", 1),
    ("torchkeras.utils", 1),
    ("torchkeras.ops", 1),
    ("torchkeras.mixed_precision", 1),
    ("torchkeras.dtype_policies", 1),
    ("torchkeras.tree", 1),
    ("torchkeras.datasets", 1),
    ("torchkeras.preprocessing", 1),
    ("torchkeras.visualization", 1),
    ("torchkeras.activations", 2),
    ("torchkeras.initializers", 2),
    ("torchkeras.regularizers", 2),
    ("torchkeras.constraints", 2),
    ("torchkeras.quantizers", 2),
    ("torchkeras.layers", 3),  # files directly in layers/: the base
    ("torchkeras.random", 3),
    ("torchkeras.backend", 3),  # the namespace re-exports is_keras_tensor
    ("torchkeras.backend.dtypes", 1),  # its SeedGenerator state is a layer Variable
    ("torchkeras.layers.core", 4),
    ("torchkeras.layers.convolutional", 4),
    ("torchkeras.layers.pooling", 4),
    ("torchkeras.layers.normalization", 4),
    ("torchkeras.layers.regularization", 4),
    ("torchkeras.layers.reshaping", 4),
    ("torchkeras.layers.merging", 4),
    ("torchkeras.layers.activations", 4),
    ("torchkeras.layers.rnn", 4),
    ("torchkeras.layers.attention", 4),
    ("torchkeras.layers.preprocessing", 4),
    ("torchkeras.losses", 5),
    ("torchkeras.metrics", 5),
    ("torchkeras.optimizers", 5),
    ("torchkeras.callbacks", 6),
    ("torchkeras.saving", 7),
    ("torchkeras.trainers", 8),
    ("torchkeras.distribution", 8),  # DataParallel is the trainers' DDP machinery
    ("torchkeras.export", 8),
    ("torchkeras.models", 9),
    ("torchkeras.applications", 9),
    ("torchkeras.distillation", 9),  # a Model subclass
    ("torchkeras.wrappers", 9),  # scikit-learn estimators around a Model
]


def row_of(module: str) -> int:
    if module == "torchkeras":
        return 10
    if module == "torchkeras.layers":  # the package __init__ re-exports every family
        return 4
    matches = [
        (len(prefix), row) for prefix, row in ROWS if module == prefix or module.startswith(prefix + ".")
    ]
    assert matches, f"no row declared for {module}"
    return max(matches)[1]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith("torchkeras")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("torchkeras"):
            # `from torchkeras.layers import symbolic` imports the submodule `torchkeras.layers.symbolic`
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.append(candidate if is_module(candidate) else node.module)
    return found


def test_no_module_imports_a_higher_row():
    violations = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        own = row_of(name)
        for imported in imported_modules(path):
            if row_of(imported) > own:
                violations.append(f"{name} (row {own}) imports {imported} (row {row_of(imported)})")
    assert not violations, "\n".join(violations)


def test_no_pickle_or_eval_anywhere():
    banned = {"pickle", "marshal", "dill", "cloudpickle"}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not banned & {a.name.split(".")[0] for a in node.names}, path
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in banned, path
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"eval", "exec"}, path
            if isinstance(node, ast.Attribute) and node.attr == "load" and isinstance(node.value, ast.Name):
                assert node.value.id != "torch", f"torch.load in {path}"
