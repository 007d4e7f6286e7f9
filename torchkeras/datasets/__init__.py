"""Small datasets shipped with the package (no download needed)."""

from torchkeras.datasets import digits

__all__ = ["digits"]
