"""Boston and California housing prices (`keras.datasets.boston_housing`, `california_housing`)."""

from __future__ import annotations

import numpy as np

from torchkeras.datasets.remote_file import ORIGIN, fetch
from torchkeras.datasets.safe_unpickle import load_npz
from torchkeras.datasets.tabular_split import check_test_split, shuffled, split_point

__all__ = ["load_housing"]

_HASHES = {
    "boston_housing.npz": "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
    "california_housing.npz": "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f",
}


def load_housing(remote: str, path: str, test_split: float, seed: int, rows: int | None = None):
    """Reads `x`/`y` from the file, keeps the first `rows`, shuffles with `seed` and splits."""
    check_test_split(test_split)
    arrays = load_npz(fetch(path, origin=ORIGIN + remote, file_hash=_HASHES[remote]))
    x, y = arrays["x"], arrays["y"]
    if rows is not None:
        x, y = x[:rows], y[:rows]
    x, y = shuffled(np.random.RandomState(seed), x, y)
    cut = split_point(len(x), test_split)
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
