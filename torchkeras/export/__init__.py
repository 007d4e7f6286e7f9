"""Exporting models for inference without torchkeras (`keras.export`).

`Model.export(path)` writes a `torch.export` program (`.pt2`) that plain torch loads
(`torch.export.load(path).module()`), or an ONNX model with `format="onnx"`.
`ExportArchive` bundles several endpoints and variable collections.
"""

from torchkeras.export.export_archive import ExportArchive

__all__ = ["ExportArchive"]
