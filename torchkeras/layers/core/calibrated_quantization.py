"""GPTQ and AWQ on `Dense` and `EinsumDense`: the weights a calibrated layer keeps, its kernel,
and the block-by-block calibration `Model.quantize("gptq" / "awq", config=...)` runs.

A layer's kernel is quantized as a 2D matrix `(rows, columns)` (`kernel_matrix_shape`: the
input features by the output features). Keras's variables, in its file order:

- `quantized_kernel` (variable name `"kernel"`): uint8 levels `(columns, rows)`, two 4-bit
  levels per byte along the first axis when `weight_bits == 4`;
- `kernel_scale`, `kernel_zero` (`"zero_point"` on `EinsumDense`): `(columns, n_groups)`;
- `awq_scales` (AWQ): `(rows,)`, the per-input-channel scales the kernel was multiplied by;
- `g_idx`: `(rows,)`, the group of each input row, as float32.

The kernel is `scale * (levels - zero)` (per group), transposed, divided by `awq_scales`.
While a layer waits for calibration its float `kernel` stays and computes as before.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from typing import Any

import torch

from torchkeras.layers.core.quantization import matches_filters, set_quantized_policy
from torchkeras.quantizers import pack_int4, unpack_int4
from torchkeras.quantizers.awq import AWQ
from torchkeras.quantizers.calibration import get_dataloader
from torchkeras.quantizers.gptq import GPTQ, kernel_matrix_shape
from torchkeras.quantizers.zero_point import dequantize_with_sz_map

__all__ = [
    "CALIBRATED_MODES",
    "add_calibrated_weights",
    "calibrated_kernel",
    "calibrated_settings",
    "calibrated_variables",
    "current_kernel",
    "find_layers_in_block",
    "is_calibrated",
    "prepare_layer",
    "quantize_layerwise",
    "quantize_model",
]

CALIBRATED_MODES = ("gptq", "awq")


def calibrated_settings(layer: Any, config: Any = None) -> tuple[int, int]:
    """`(weight_bits, group_size)` from `config` (a `GPTQConfig` / `AWQConfig`) or, for a layer
    read back from a file, from its `GPTQDTypePolicy` / `AWQDTypePolicy`."""
    source = config if config is not None and getattr(config, "mode", None) in CALIBRATED_MODES else None
    source = source or layer.dtype_policy
    bits, group_size = getattr(source, "weight_bits", None), getattr(source, "group_size", None)
    if bits is None or group_size is None:
        raise ValueError(
            f"Layer '{layer.name}': GPTQ/AWQ need `weight_bits` and `group_size`, from a GPTQConfig / "
            f"AWQConfig or a GPTQDTypePolicy / AWQDTypePolicy. Received: config={config!r}, "
            f"dtype_policy={layer.dtype_policy!r}"
        )
    return bits, group_size


def add_calibrated_weights(layer: Any, kernel_shape: tuple[int, ...], mode: str, config: Any = None) -> None:
    """Adds Keras's GPTQ / AWQ variables (see the module docstring) to `layer`, initialized as
    Keras does; a layer without a float `kernel` (read back from a file) counts as calibrated."""
    bits, group_size = calibrated_settings(layer, config)
    rows, columns = kernel_matrix_shape(kernel_shape)
    n_groups = 1 if group_size == -1 else math.ceil(rows / group_size)
    packed = (columns + 1) // 2 if bits == 4 else columns
    zero_name = "zero_point" if hasattr(layer, "equation") else "kernel_zero"

    def add(name: str, shape: tuple, initializer: str, dtype: str | None = None) -> torch.Tensor:
        return layer.add_weight(name=name, shape=shape, initializer=initializer, dtype=dtype, trainable=False)

    layer.quantized_kernel = add("kernel", (packed, rows), "zeros", "uint8")
    layer.kernel_scale = add("kernel_scale", (columns, n_groups), "ones", "float32")
    layer.kernel_zero = add(zero_name, (columns, n_groups), "zeros", "uint8")
    if mode == "awq":
        layer.awq_scales = add("awq_scales", (rows,), "ones", "float32")
    layer.g_idx = add("g_idx", (rows,), "zeros", "float32")
    layer._calibrated_kernel_shape = tuple(int(d) for d in kernel_shape)
    layer._weight_bits = bits
    if mode == "gptq" and hasattr(layer, "equation"):
        layer.gptq_unpacked_column_size = columns  # Keras's EinsumDense config key


def is_calibrated(layer: Any) -> bool:
    """Whether `layer`'s quantized weights hold its kernel (no float kernel left)."""
    return "kernel" not in layer._parameters and "kernel" not in layer._buffers


def calibrated_kernel(layer: Any) -> torch.Tensor:
    """The kernel a calibrated layer computes with, in its Keras shape and float32."""
    rows, columns = kernel_matrix_shape(layer._calibrated_kernel_shape)
    levels = layer.quantized_kernel
    if layer._weight_bits == 4:
        levels = unpack_int4(levels, columns, axis=0, dtype="uint8")
    kernel = dequantize_with_sz_map(levels, layer.kernel_scale, layer.kernel_zero, layer.g_idx).T
    if hasattr(layer, "awq_scales"):
        kernel = kernel / layer.awq_scales[:, None]
    return kernel.reshape(layer._calibrated_kernel_shape)


def current_kernel(layer: Any, dtype: torch.dtype) -> torch.Tensor:
    """The kernel `layer` computes with now: its float kernel until calibration, then the
    dequantized one, in `dtype`."""
    kernel = layer.kernel if not is_calibrated(layer) else calibrated_kernel(layer)
    return kernel.to(dtype)


def prepare_layer(layer: Any, config: Any) -> None:
    """`layer.quantize("gptq" / "awq", config=...)`: adds the quantized variables (the float kernel
    stays until calibration) and the policy `config.dtype_policy_string()`."""
    add_calibrated_weights(layer, tuple(layer.kernel.shape), config.mode, config)
    layer.quantization_config = config
    set_quantized_policy(layer, config.dtype_policy_string())


def calibrated_variables(layer: Any) -> list[torch.Tensor]:
    """Keras's file order: `bias`, `quantized_kernel`, `kernel_scale`, `kernel_zero`,
    (`awq_scales`,) `g_idx`. Keras 3.15 leaves `kernel_zero` out of its files (and then cannot
    load them); torchkeras writes it, as the layer's variable list says."""
    names = ["bias", "quantized_kernel", "kernel_scale", "kernel_zero", "awq_scales", "g_idx"]
    variables = [getattr(layer, name, None) for name in names]
    return [v for v in variables if v is not None]


def _store(
    layer: Any,
    quantized: torch.Tensor,
    scale: torch.Tensor,
    zero: torch.Tensor,
    g_idx: torch.Tensor,
    awq_scales: torch.Tensor | None = None,
) -> None:
    """Writes a calibration's results into `layer` and drops its float kernel."""
    if layer._weight_bits == 4:
        quantized = pack_int4(quantized, axis=0, dtype="uint8")[0]
    with torch.no_grad():
        layer.quantized_kernel.copy_(quantized)
        layer.kernel_scale.copy_(scale)
        layer.kernel_zero.copy_(zero)
        layer.g_idx.copy_(g_idx)
        if awq_scales is not None:
            layer.awq_scales.copy_(awq_scales)
    del layer.kernel


# ------------------------------------------------------------------------------ calibration


def _leaves(block: Any) -> Iterator[Any]:
    modules = block.modules() if isinstance(block, torch.nn.Module) else [block]
    for module in modules:
        if hasattr(module, "quantize") and not getattr(module, "layers", None):
            yield module


def find_layers_in_block(block: Any, filters: Any = None) -> dict[str, Any]:
    """The `Dense` / `EinsumDense` layers of `block` (itself included) that GPTQ / AWQ quantize,
    by path: the leaves whose class takes the modes (`_QUANTIZATION_MODES`) and that pass `filters`."""
    found = {}
    for layer in _leaves(block):
        modes = getattr(type(layer), "_QUANTIZATION_MODES", ())
        if any(mode in modes for mode in CALIBRATED_MODES) and matches_filters(layer, filters):
            found[layer.path] = layer
    return found


@contextlib.contextmanager
def _stream_inputs(layers: dict[str, Any], observers: dict[str, Any]) -> Iterator[None]:
    """Feeds every call's first input of each layer to its observer's `observe` (forward pre-hooks,
    so they fire whichever way the layer computes; Keras patches `layer.call`, which a quantized
    layer never runs, and its statistics stay empty)."""

    def hook(name: str):  # noqa: ANN202
        def observe(module: Any, args: tuple, kwargs: dict) -> None:
            inputs = args[0] if args else kwargs["inputs"]
            observers[name].observe(inputs.reshape(-1, observers[name].rows))

        return observe

    handles = [
        layer.register_forward_pre_hook(hook(name), with_kwargs=True) for name, layer in layers.items()
    ]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


class _Observer:
    """One layer's GPTQ or AWQ state during calibration, and the step that writes its results."""

    def __init__(self, layer: Any, mode: str, config: Any):
        self.layer = layer
        kernel = layer.kernel.detach()
        self.state = GPTQ(kernel, config) if mode == "gptq" else AWQ(kernel, config)
        self.rows = self.state.rows

    def observe(self, inputs: torch.Tensor) -> None:
        if isinstance(self.state, GPTQ):
            self.state.update_hessian_with_batch(inputs)
        else:
            self.state.update_activation_magnitudes(inputs)

    def quantize_layer(self) -> None:
        if isinstance(self.state, GPTQ):
            quantized, scale, zero, g_idx = self.state.quantize()
            _store(self.layer, quantized, scale, zero, g_idx)
        else:
            quantized, scale, zero, awq_scales, g_idx = self.state.quantize()
            _store(self.layer, quantized, scale, zero, g_idx, awq_scales)


def _first_output(outputs: Any) -> torch.Tensor:
    return outputs[0] if isinstance(outputs, (tuple, list)) else outputs


def resolve_structure(model: Any, mode: str, config: Any) -> dict[str, Any]:
    """The `{"pre_block_layers", "sequential_blocks"}` of `config` or of
    `model.get_quantization_layer_structure(mode)`; raises when neither gives one with blocks."""
    structure = config.quantization_layer_structure
    if structure is None:
        structure = model.get_quantization_layer_structure(mode)
    if structure is None:
        raise ValueError(
            f"For mode='{mode}', a valid quantization structure must be provided either via "
            "`config.quantization_layer_structure` or by overriding "
            "`model.get_quantization_layer_structure(mode)`. The structure should be a dictionary "
            "with keys 'pre_block_layers' and 'sequential_blocks'."
        )
    if not structure.get("sequential_blocks"):
        raise ValueError(
            "No sequential blocks found in the provided structure to quantize. Received: "
            f"sequential_blocks={structure.get('sequential_blocks')!r}"
        )
    if config.dataset is None:
        raise ValueError(
            f"{mode.upper()} quantization requires a calibration `dataset` in its config. "
            "Received: dataset=None"
        )
    return structure


def quantize_layerwise(config: Any, structure: dict[str, Any], filters: Any = None) -> None:
    """Calibrates and quantizes the layers of `structure`'s blocks one block at a time.

    The calibration windows go through the pre-block layers; then, per block, its layers'
    inputs are recorded over all windows, each layer is quantized, and the windows go through
    the quantized block to become the next block's inputs (so later blocks see earlier ones'
    quantization error). The layers must already be in the mode (`layer.quantize(mode, config)`).
    """
    mode = config.mode
    windows = get_dataloader(config.tokenizer, config.sequence_length, config.dataset, config.num_samples)
    with torch.no_grad():
        inputs = []
        for window in windows[: config.num_samples]:
            x = window  # a NumPy array: each layer moves it to its own device
            for layer in structure.get("pre_block_layers", []):
                x = layer(x)
            inputs.append(x)
        blocks = structure["sequential_blocks"]
        for index, block in enumerate(blocks):
            found = find_layers_in_block(block, filters).items()
            layers = {
                name: layer
                for name, layer in found
                if layer.quantization_mode == mode and not is_calibrated(layer)
            }
            if layers:
                observers = {name: _Observer(layer, mode, config) for name, layer in layers.items()}
                with _stream_inputs(layers, observers):
                    for x in inputs:
                        block(x)
                for observer in observers.values():
                    observer.quantize_layer()
            if index < len(blocks) - 1:
                inputs = [_first_output(block(x)) for x in inputs]


def quantize_model(
    model: Any, mode: str | None, config: Any, filters: Any = None, type_check: bool = True
) -> None:
    """`model.quantize("gptq" / "awq", config=...)`: checks everything first, puts the blocks'
    `Dense` / `EinsumDense` layers (those passing `filters`) in the mode, then calibrates.

    Only the layers of `structure`'s blocks are quantized: the others would get no calibration
    data (Keras 3.15 marks them too, leaves their float kernel in use, and its saved files then
    lose that kernel).
    """
    from torchkeras.quantizers.quantization_config import validate_and_resolve_config

    config = validate_and_resolve_config(mode, config)
    structure = resolve_structure(model, config.mode, config)
    layers = {}
    for block in structure["sequential_blocks"]:
        layers.update(find_layers_in_block(block, filters))
    for layer in layers.values():
        if not layer.built or layer.quantization_mode is not None:
            state = (
                "is not built yet" if not layer.built else f"is already quantized ({layer.dtype_policy.name})"
            )
            raise ValueError(f"Cannot quantize layer '{layer.name}' with {config.mode.upper()}: it {state}.")
    for layer in layers.values():
        try:
            layer.quantize(config.mode, type_check=type_check, config=config)
        except NotImplementedError as error:  # a subclass under `type_check`: skipped, as Keras does
            warnings.warn(str(error), stacklevel=3)
    quantize_layerwise(config, structure, filters)
