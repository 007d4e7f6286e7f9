"""`TorchModuleWrapper`: a plain `torch.nn.Module` used as a Keras layer.

Saving: the module's state (`state_dict()`) is written where Keras writes it, under the layer's
`vars/<state_dict key>`, so weights move between Keras and torchkeras files. Its architecture is
code, and torchkeras never saves or loads code (Keras writes a pickle of the module, loadable only
with `safe_mode=False`; torchkeras writes no pickle and never reads one). A saved wrapper therefore
records only a name in its config's `"module"`, and loading needs the module back from you:

- build the wrapper from a factory registered with `keras.saving.register_keras_serializable()`
  (a function returning the module, or a module class constructible without arguments):
  `TorchModuleWrapper(make_encoder)`; the factory's registered name is saved and called at load;
- or pass the module (or a factory) when loading, keyed by the layer's name:
  `load_model(path, custom_objects={"encoder": nn.Linear(4, 3)})`. This also loads Keras's files.

Anything else raises a `ValueError` at load that says which of the two to do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import (
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_builtin,
)

__all__ = ["TorchModuleWrapper"]


@register_builtin
class TorchModuleWrapper(Layer):
    """Wraps a `torch.nn.Module` as a Keras layer: its parameters become the layer's weights.

    Parameters are trainable weights (frozen ones non-trainable), floating buffers (e.g. batch
    norm statistics) non-trainable weights. `call` puts the module in train or eval mode from the
    `training` flag, then calls it with the layer's arguments. See the module docstring for how
    saving works: the state is saved; the module itself comes back from a registered factory or
    from `custom_objects` keyed by the layer's name.

    Args:
        module: a `torch.nn.Module` (lazy modules must be initialized first, e.g. by one call),
            or a registered factory: a function or class returning one, called without arguments.
        name: the layer's name; also the key under which loading looks for the module in
            `custom_objects`.
        output_shape: optional output shape, used for shape inference instead of a dry run.

    Example:
    ```python
    inputs = keras.Input((8,))
    outputs = keras.layers.TorchModuleWrapper(torch.nn.Linear(8, 2), name="head")(inputs)
    model = keras.Model(inputs, outputs)
    model.save("m.keras")
    keras.models.load_model("m.keras", custom_objects={"head": torch.nn.Linear(8, 2)})
    ```
    """

    def __init__(self, module: Any, name: str | None = None, output_shape: Any = None, **kwargs: Any):
        super().__init__(name=name, **kwargs)
        factory = None
        if not isinstance(module, torch.nn.Module) and callable(module):
            factory = module
            module = factory()
        if not isinstance(module, torch.nn.Module):
            raise ValueError(
                f"TorchModuleWrapper '{self.name}': `module` must be a torch.nn.Module or a function "
                f"returning one. Received: module={module!r}"
            )
        if isinstance(module, torch.nn.modules.lazy.LazyModuleMixin) and module.has_uninitialized_params():
            raise ValueError(
                f"TorchModuleWrapper '{self.name}': lazy modules must be initialized (called once) "
                f"before they are wrapped. Received: module={module}"
            )
        self.module = module
        self._factory = factory
        self.output_shape = tuple(output_shape) if isinstance(output_shape, list) else output_shape
        self.built = True

    def call(self, *args: Any, training: bool = False, **kwargs: Any) -> Any:
        if self.module.training != bool(training):
            self.module.train(bool(training))
        return self.module(*args, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self.output_shape is None:
            return super().compute_output_shape(input_shape)
        return self.output_shape

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if self.output_shape is None:
            return super().compute_output_spec(*args, **kwargs)
        return self._spec_from_output_shape(args, kwargs)

    # ----------------------------------------------------------------------------- saving

    def _saved_variables(self) -> dict[str, torch.Tensor]:
        """The module's `state_dict()`, saved under its keys as Keras saves it."""
        return dict(self.module.state_dict(keep_vars=True))

    def __dir__(self) -> list[str]:
        # The module's state is saved by the layer itself (`_saved_variables`), under the layer's
        # path as in Keras; hiding `module` keeps the attribute walk from saving it a second time.
        return [name for name in super().__dir__() if name != "module"]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "module": self._module_reference(),
            "output_shape": list(self.output_shape) if isinstance(self.output_shape, tuple) else None,
        }

    def _module_reference(self) -> str:
        """The registered name of the factory (or of the module's class when that is registered),
        else the module's class path, for information only: it is never imported."""
        for candidate in (self._factory, type(self.module)):
            if candidate is not None:
                name = get_registered_name(candidate)
                if get_custom_objects().get(name) is candidate:
                    return name
        cls = type(self.module)
        return f"{cls.__module__}.{cls.__qualname__}"

    @classmethod
    def from_config(cls, config: dict, custom_objects: Mapping[str, Any] | None = None) -> TorchModuleWrapper:
        config = dict(config)
        saved = config.pop("module", None)
        name = config.get("name")
        module = _given_module(name, saved, custom_objects)
        if module is None:
            described = saved if isinstance(saved, str) and len(saved) < 200 else "a pickled module"
            raise ValueError(
                f"TorchModuleWrapper '{name}': the wrapped torch module ({described}) cannot be rebuilt "
                "from a saved file, because torchkeras never loads code (nor unpickles). Pass it when "
                f"loading, keyed by the layer's name: `custom_objects={{{name!r}: module}}` (a module "
                "or a function returning one), or create the layer from a factory registered with "
                "`keras.saving.register_keras_serializable()`: `TorchModuleWrapper(make_module)`."
            )
        return cls(module, **config)


def _given_module(name: Any, saved: Any, custom_objects: Mapping[str, Any] | None) -> Any:
    """The module (or factory) for a loaded wrapper: `custom_objects[name]` first, then the saved
    registered factory name; `None` when neither is there."""
    if isinstance(name, str):
        found = get_registered_object(name, custom_objects, include_builtins=False)
        if found is not None:
            return found
    if isinstance(saved, str) and len(saved) < 1000:
        found = get_registered_object(saved, custom_objects, include_builtins=False)
        if isinstance(found, torch.nn.Module) or (callable(found) and _is_factory(found)):
            return found
    return None


def _is_factory(obj: Callable) -> bool:
    """A function, or a `torch.nn.Module` subclass (called without arguments)."""
    return not isinstance(obj, type) or issubclass(obj, torch.nn.Module)
