"""Where Keras's dataset files come from, and how a loader finds them in Keras's cache."""

from __future__ import annotations

__all__ = ["ORIGIN", "fetch"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def fetch(fname: str, origin: str, file_hash: str | None = None, **kwargs) -> str:
    """Returns the local path of a dataset file, downloading it into Keras's cache if needed.

    Files Keras already downloaded (`$KERAS_HOME/datasets`, default `~/.keras/datasets`) are
    reused. Without network access the error names the file and the folder to place it in.
    """
    from torchkeras.utils.file_utils import get_file  # the download machinery, loaded on use

    return get_file(fname=fname, origin=origin, file_hash=file_hash, **kwargs)
