"""`ExportArchive`: several inference endpoints and variable collections, as `torch.export` files."""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable
from typing import Any

import torch

from torchkeras.export.model_export import exported_program, inference_mode
from torchkeras.export.signatures import sample_inputs
from torchkeras.utils.io import atomic_write

__all__ = ["ExportArchive"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Endpoint(torch.nn.Module):
    """Holds the tracked resources (so their weights are part of the program) and calls `fn`."""

    def __init__(self, fn: Callable, resources: list[torch.nn.Module]) -> None:
        super().__init__()
        self.resources = torch.nn.ModuleList(resources)
        self.fn = fn

    def forward(self, *args: Any) -> Any:
        return self.fn(*args)


class ExportArchive:
    """Collects endpoints (functions of tracked layers or models) and writes them for plain torch.

    Maps Keras's `ExportArchive` onto `torch.export`: each endpoint becomes an `ExportedProgram`
    saved as `<name>.pt2` (load it with `torch.export.load(path).module()`), each variable
    collection a `<name>.safetensors` file, all in the folder given to `write_out`, with a
    `manifest.json` listing them.

    Example:
    ```python
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", model.__call__, input_signature=[keras.InputSpec(shape=(None, 3))])
    archive.write_out("exported")
    serve = torch.export.load("exported/serve.pt2").module()
    ```
    """

    def __init__(self) -> None:
        self._tracked: list[torch.nn.Module] = []
        self._endpoints: dict[str, torch.export.ExportedProgram] = {}
        self._variables: dict[str, dict[str, torch.Tensor]] = {}

    def track(self, resource: torch.nn.Module) -> None:
        """Tracks a layer or model whose weights the endpoints use."""
        if not isinstance(resource, torch.nn.Module):
            raise ValueError(
                f"`resource` must be a layer, model or torch module. Received: {type(resource).__name__}"
            )
        if not any(resource is tracked for tracked in self._tracked):
            self._tracked.append(resource)

    def add_endpoint(self, name: str, fn: Callable, input_signature: Any = None, **kwargs: Any) -> Callable:
        """Exports `fn` (called on inputs matching `input_signature`) as endpoint `name`.

        Args:
            name: endpoint name (an identifier), also the file name `<name>.pt2`.
            fn: a callable of the tracked resources, e.g. `model.__call__` or a function.
            input_signature: a list of `keras.InputSpec`s, KerasTensors, shape tuples or example
                tensors, one per positional argument; `None` axes stay dynamic.
            **kwargs: passed to `torch.export.export` (e.g. `strict`).

        Returns:
            The exported endpoint, callable like `fn`.
        """
        self._check_name(name, self._endpoints)
        if input_signature is None:
            raise ValueError(f"`input_signature` is required to add endpoint '{name}'.")
        if not self._tracked:
            raise ValueError("Call `track(resource)` with the layer or model the endpoint uses first.")
        args, dynamic_shapes = sample_inputs(None, input_signature)
        endpoint = _Endpoint(fn, self._tracked)
        with inference_mode(endpoint):
            varargs_shapes = None if all(axes is None for axes in dynamic_shapes) else (dynamic_shapes,)
            program = exported_program(endpoint, args, varargs_shapes, **kwargs)
        self._endpoints[name] = program
        return program.module()

    def track_and_add_endpoint(
        self, name: str, resource: torch.nn.Module, input_signature: Any, **kwargs: Any
    ):
        """Tracks `resource` and adds an endpoint that calls it."""
        self.track(resource)
        return self.add_endpoint(name, resource, input_signature, **kwargs)

    def add_variable_collection(self, name: str, variables: Any) -> None:
        """Stores a list of variables (weights) to be written as `<name>.safetensors`."""
        self._check_name(name, self._variables)
        if isinstance(variables, torch.Tensor) or not isinstance(variables, (list, tuple)):
            raise ValueError(f"`variables` must be a list of variables. Received: {type(variables).__name__}")
        collection = {}
        for index, variable in enumerate(variables):
            if not isinstance(variable, torch.Tensor):
                raise ValueError(
                    f"`variables[{index}]` is not a variable. Received: {type(variable).__name__}"
                )
            collection[f"{index}:{getattr(variable, 'path', getattr(variable, 'name', index))}"] = (
                variable.detach().cpu().contiguous().clone()
            )
        self._variables[name] = collection

    def write_out(self, filepath: str | os.PathLike, verbose: bool = True) -> None:
        """Writes every endpoint and variable collection into the folder `filepath`."""
        from safetensors.torch import save as safetensors_bytes

        if not self._endpoints:
            raise ValueError("No endpoint was added: call `add_endpoint` before `write_out`.")
        folder = os.fspath(filepath)
        os.makedirs(folder, exist_ok=True)
        for name, program in self._endpoints.items():
            buffer = io.BytesIO()
            torch.export.save(program, buffer)
            atomic_write(os.path.join(folder, f"{name}.pt2"), buffer.getvalue())
        for name, collection in self._variables.items():
            atomic_write(os.path.join(folder, f"{name}.safetensors"), safetensors_bytes(collection))
        manifest = {
            "endpoints": {name: f"{name}.pt2" for name in self._endpoints},
            "variable_collections": {name: f"{name}.safetensors" for name in self._variables},
        }
        atomic_write(os.path.join(folder, "manifest.json"), json.dumps(manifest, indent=2).encode())
        if verbose:
            print(f"Saved an export archive of {len(self._endpoints)} endpoint(s) at '{folder}'.")

    @staticmethod
    def _check_name(name: str, taken: dict) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"`name` must be an identifier. Received: name={name!r}")
        if name in taken:
            raise ValueError(f"'{name}' was already added to this archive.")
