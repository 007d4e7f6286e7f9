"""`PyDataset`: Keras's base class for Python data sources that produce whole batches."""

from __future__ import annotations

from typing import Any

__all__ = ["PyDataset", "Sequence"]


class PyDataset:
    """Base class for datasets that return one batch per index.

    Subclasses implement `__getitem__(index)` (returning `(x, y)` or `(x, y, sample_weight)`)
    and `__len__()` (the number of batches); `on_epoch_end()` runs after each epoch (e.g. to
    reshuffle). `fit` iterates indices `0 .. len - 1` each epoch.

    Args:
        workers, use_multiprocessing, max_queue_size: accepted for Keras compatibility; batches
            are produced in the training process (wrap a `torch.utils.data.DataLoader` for
            parallel loading).

    Example:
    ```python
    class Batches(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = x, y, batch_size

        def __len__(self):
            return math.ceil(len(self.x) / self.batch_size)

        def __getitem__(self, index):
            part = slice(index * self.batch_size, (index + 1) * self.batch_size)
            return self.x[part], self.y[part]
    ```
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement `__getitem__`.")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement `__len__`.")

    @property
    def num_batches(self) -> int:
        return len(self)

    def on_epoch_end(self) -> None:
        """Called after each epoch; override to reshuffle."""


Sequence = PyDataset
