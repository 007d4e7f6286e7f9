"""Reading CIFAR's pickled batches without running code (shared by CIFAR-10 and CIFAR-100)."""

from __future__ import annotations

import numpy as np

from torchkeras import config
from torchkeras.datasets.safe_unpickle import read_pickle_stream

__all__ = ["load_batch", "to_image_format"]

_MAX_BATCH_BYTES = 1 << 30


def load_batch(path: str, label_key: str = "labels") -> tuple[np.ndarray, list]:
    """Reads one CIFAR batch file: `(data of shape (n, 3, 32, 32), labels)`."""
    with open(path, "rb") as handle:
        raw = handle.read(_MAX_BATCH_BYTES + 1)
    if len(raw) > _MAX_BATCH_BYTES:
        raise ValueError(f"Refusing {path}: larger than {_MAX_BATCH_BYTES} bytes.")
    batch = read_pickle_stream(raw, encoding="bytes")
    if not isinstance(batch, dict):
        raise ValueError(f"Refusing {path}: a CIFAR batch is a dict, got {type(batch).__name__}.")
    batch = {key.decode("utf8") if isinstance(key, bytes) else key: value for key, value in batch.items()}
    data, labels = batch.get("data"), batch.get(label_key)
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"Refusing {path}: its `data` is not an (n, 3072) array.")
    if labels is None or len(labels) != len(data):
        raise ValueError(f"Refusing {path}: `{label_key}` does not give one label per image.")
    return data.reshape(len(data), 3, 32, 32), labels


def to_image_format(images: np.ndarray) -> np.ndarray:
    """Transposes `(n, 3, 32, 32)` to channels_last when that is the configured image format."""
    return images.transpose(0, 2, 3, 1) if config.image_data_format() == "channels_last" else images
