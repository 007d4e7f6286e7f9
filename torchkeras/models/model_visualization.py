"""`model_to_dot` and `plot_model`: a model's layer graph as a pydot graph, or as an image.

Nodes, labels and edges follow Keras: one node per layer (id `str(id(layer))`) labelled with an
HTML table, an edge per connection, nested models drawn as one node or expanded into dashed
clusters. Writing an image needs pydot (the `plot` extra); when Graphviz's `dot` program is not
installed, `plot_model` draws the same graph with matplotlib (`utils/graph_drawing.py`) instead.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from torchkeras.layers.input_layer import InputLayer
from torchkeras.models.functional import Functional
from torchkeras.models.sequential import Sequential
from torchkeras.utils.nest import map_structure

__all__ = ["model_to_dot", "plot_model"]

_RANKDIRS = ("TB", "LR", "BT", "RL")
# Written by pydot itself (the graph's source), so Graphviz is not needed for them.
_SOURCE_FORMATS = ("dot", "gv", "raw")
# What `IPython.display.Image` shows in a notebook.
_INLINE_FORMATS = ("png", "jpg", "jpeg", "gif", "webp")


def _import_pydot(function_name: str) -> Any:
    try:
        import pydot
    except ImportError as error:
        raise ImportError(
            f"You must install pydot (`pip install pydot`, or the `plot` extra: "
            f'pip install -e ".[plot]") for `{function_name}` to work.'
        ) from error
    return pydot


def _has_graphviz() -> bool:
    """Whether Graphviz's `dot` program (which pydot runs to write images) is installed."""
    return shutil.which("dot") is not None


def _check_model(model: Any, rankdir: str) -> None:
    if not getattr(model, "built", False):
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or by "
            "calling the model on a batch of data."
        )
    if rankdir not in _RANKDIRS:
        raise ValueError(f"`rankdir` must be one of {_RANKDIRS}. Received: rankdir={rankdir!r}")


def _check_kwargs(kwargs: dict) -> None:
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")


def _activation_name(layer: Any) -> str:
    activation = layer.activation
    if hasattr(activation, "name"):
        return activation.name
    if hasattr(activation, "__name__"):
        return activation.__name__
    return str(activation)


def _tensors_value(tensors: list) -> Any:
    """A node's tensors as Keras's `layer.input` / `layer.output`: one alone, else the list."""
    return tensors[0] if len(tensors) == 1 else tensors


def _layer_tensors(layer: Any) -> tuple[Any, Any]:
    """The layer's first call's input(s) and output(s), or `(None, None)` if never called."""
    if isinstance(layer, (Functional, Sequential)):
        try:
            return _tensors_value(layer.inputs), _tensors_value(layer.outputs)
        except AttributeError:
            pass
    nodes = getattr(layer, "_inbound_nodes", None)
    if not nodes:
        return None, None
    return _tensors_value(nodes[0].input_tensors), _tensors_value(nodes[0].output_tensors)


def _format_shape(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, dict):
        text = ", ".join(f"{key}: {value}" for key, value in shape.items())
    else:
        text = f"{shape}"
    return text.replace("}", "").replace("{", "")


def _cell(text: str) -> str:
    return f'<td bgcolor="white"><font point-size="14">{text}</font></td>'


def _layer_label(
    layer: Any,
    show_layer_names: bool,
    show_layer_activations: bool,
    show_dtype: bool,
    show_shapes: bool,
    show_trainable: bool,
) -> str:
    """Keras's HTML-table label: a title row, an optional activation row, then one row of cells
    (input / output shapes, output dtype, trainable)."""
    class_name = type(layer).__name__
    colspan = max(1, int(show_dtype) + int(show_trainable) + 2 * int(show_shapes))
    name = getattr(layer, "name", None) or class_name.lower()  # a plain torch module has no name
    title = f"<b>{name}</b> ({class_name})" if show_layer_names else f"<b>{class_name}</b>"
    table = '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    table += (
        f'<tr><td colspan="{colspan}" bgcolor="black">'
        f'<font point-size="16" color="white">{title}</font></td></tr>'
    )
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        table += (
            f'<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">'
            f"Activation: <b>{_activation_name(layer)}</b></font></td></tr>"
        )
    inputs, outputs = _layer_tensors(layer)
    cells = []
    if show_shapes:
        input_shape = None if inputs is None else map_structure(lambda t: t.shape, inputs)
        output_shape = None if outputs is None else map_structure(lambda t: t.shape, outputs)
        if not isinstance(layer, InputLayer):
            cells.append(_cell(f"Input shape: <b>{_format_shape(input_shape)}</b>"))
        cells.append(_cell(f"Output shape: <b>{_format_shape(output_shape)}</b>"))
    if show_dtype:
        dtype = None if outputs is None else map_structure(lambda t: str(t.dtype), outputs)
        cells.append(_cell(f"Output dtype: <b>{dtype or '?'}</b>"))
    if show_trainable and hasattr(layer, "trainable") and list(getattr(layer, "weights", [])):
        if layer.trainable:
            cells.append(
                '<td bgcolor="forestgreen"><font point-size="14" color="white"><b>Trainable</b></font></td>'
            )
        else:
            cells.append(
                '<td bgcolor="firebrick"><font point-size="14" color="white"><b>Non-trainable</b></font></td>'
            )
    if cells:
        table += f"<tr>{''.join(cells)}</tr>"
    return table + "</table>>"


def _make_node(pydot: Any, layer: Any, label_options: dict) -> Any:
    node = pydot.Node(str(id(layer)), label=_layer_label(layer, **label_options))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    return node


def _add_edge(pydot: Any, dot: Any, source: Any, destination: Any) -> None:
    source_id, destination_id = str(id(source)), str(id(destination))
    if not dot.get_edge(source_id, destination_id):
        edge = pydot.Edge(source_id, destination_id)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def _is_graph_model(layer: Any) -> bool:
    return isinstance(layer, (Functional, Sequential))


def _edge_source(source: Any, output_index: int) -> Any:
    """The real layer producing a nested model's `output_index`-th output."""
    while _is_graph_model(source):
        node, output_index = source.outputs[output_index]._keras_history
        source = node.layer
    return source


def _edge_destination(destination: Any, input_index: int) -> Any:
    """The box a nested model's `input_index`-th input arrives at: a functional model's
    `InputLayer`, a Sequential's first layer (itself possibly a model)."""
    while _is_graph_model(destination):
        if isinstance(destination, Functional):
            destination = destination.inputs[input_index]._keras_history[0].layer
        else:
            destination = destination.layers[0]
    return destination


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs: Any,
) -> Any:
    """Converts a model to a pydot graph (no Graphviz needed).

    Args:
        model: a built model.
        show_shapes: whether to show each layer's input and output shapes.
        show_dtype: whether to show each layer's output dtype.
        show_layer_names: whether to show layer names (else only class names).
        rankdir: `"TB"` (top to bottom, vertical), `"LR"` (left to right), `"BT"` or `"RL"`.
        expand_nested: whether to draw nested functional / Sequential models as clusters of their
            layers instead of one node.
        dpi: image resolution in dots per inch.
        subgraph: whether to return a `pydot.Cluster` (used for nested models).
        show_layer_activations: whether to show the activation of layers that have one.
        show_trainable: whether to show whether each layer with weights is trainable.
        splines: how edges are drawn (`"ortho"`, `"curved"`, `"polyline"`, `"spline"`, `"line"`).

    Returns:
        A `pydot.Dot`, or a `pydot.Cluster` when `subgraph=True`.

    Raises:
        ImportError: if pydot is not installed.
        ValueError: if the model is not built, or on an unknown argument.
    """
    _check_model(model, rankdir)
    pydot = _import_pydot("model_to_dot")
    _check_kwargs(kwargs)
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    label_options = {
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_dtype": show_dtype,
        "show_shapes": show_shapes,
        "show_trainable": show_trainable,
    }
    if isinstance(model, Sequential):
        layers = model.layers
    elif isinstance(model, Functional):
        layers = list(model._operation_order)  # Keras's `_operations`: inputs, layers and ops
    else:
        dot.add_node(_make_node(pydot, model, label_options))  # a subclassed model is one box
        return dot

    for layer in layers:
        if expand_nested and _is_graph_model(layer):
            nested = model_to_dot(
                layer,
                show_shapes,
                show_dtype,
                show_layer_names,
                rankdir,
                expand_nested,
                subgraph=True,
                show_layer_activations=show_layer_activations,
                show_trainable=show_trainable,
            )
            dot.add_subgraph(nested)
        else:
            dot.add_node(_make_node(pydot, layer, label_options))

    if isinstance(model, Sequential):
        if not expand_nested:
            for source, destination in zip(layers, layers[1:]):
                _add_edge(pydot, dot, source, destination)
            return dot
        # The edge into the first layer comes from outside: the one drawn to the model itself.
        layers = layers[1:]

    own_nodes = {id(node) for node in model._nodes} if isinstance(model, Functional) else None
    for layer in layers:
        for node in getattr(layer, "_inbound_nodes", []):
            if own_nodes is not None and id(node) not in own_nodes:
                continue  # a call of a shared layer outside this model
            for input_index, tensor in enumerate(node.input_tensors):
                if tensor._keras_history is None:
                    continue
                parent, output_index = tensor._keras_history
                source, destination = parent.layer, layer
                if expand_nested:
                    source = _edge_source(source, output_index)
                    destination = _edge_destination(destination, input_index)
                _add_edge(pydot, dot, source, destination)
    return dot


def plot_model(
    model: Any,
    to_file: str = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs: Any,
) -> Any:
    """Draws a model's layer graph and writes it to `to_file`.

    With Graphviz's `dot` program installed, pydot renders the file, as in Keras. Without it,
    `.dot` / `.gv` files are written as graph source and image formats (`.png`, `.pdf`, `.svg`,
    `.jpg`) are drawn with matplotlib: the same boxes, labels and edges, in a simpler layout.

    Args:
        model: a built model.
        to_file: the file to write; its extension picks the format (`.png` if none).
        show_shapes: whether to show each layer's input and output shapes.
        show_dtype: whether to show each layer's output dtype.
        show_layer_names: whether to show layer names (else only class names).
        rankdir: `"TB"` (top to bottom, vertical), `"LR"` (left to right), `"BT"` or `"RL"`.
        expand_nested: whether to draw nested models as clusters of their layers.
        dpi: image resolution in dots per inch.
        show_layer_activations: whether to show the activation of layers that have one.
        show_trainable: whether to show whether each layer with weights is trainable.
        splines: how Graphviz draws edges (`"ortho"`, `"curved"`, `"polyline"`, `"spline"`,
            `"line"`); the matplotlib drawing uses right angles for `"ortho"`, else straight lines.

    Returns:
        An `IPython.display.Image` of the file when IPython is installed and the format is one
        it shows (PNG, JPEG, GIF, WebP), else `None`.

    Raises:
        ImportError: if pydot is not installed, or Graphviz and matplotlib are both missing.
        ValueError: if the model is not built, or on an unknown argument.

    Example:
    ```python
    keras.utils.plot_model(model, to_file="model.png", show_shapes=True)
    ```
    """
    _check_model(model, rankdir)
    _import_pydot("plot_model")
    _check_kwargs(kwargs)
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
    )
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    if _has_graphviz():
        dot.write(to_file, format=extension)
    elif extension in _SOURCE_FORMATS:
        dot.write(to_file, format="raw")
    else:
        from torchkeras.utils.graph_drawing import draw_dot

        draw_dot(dot, to_file, format=extension)
    if extension not in _INLINE_FORMATS:
        return None  # Keras tries `display.Image` here too, which refuses these formats
    try:
        from IPython import display
    except ImportError:
        return None
    return display.Image(filename=to_file, format=extension)
