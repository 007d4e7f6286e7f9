"""model_to_dot / plot_model: the same pydot graph as Keras (labels, edges, clusters), and an
image written without Graphviz."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import torchkeras as tk
from torchkeras.models import model_visualization

pydot = pytest.importorskip("pydot")

ALL_LABELS = {"show_shapes": True, "show_dtype": True, "show_layer_activations": True, "show_trainable": True}


def _graph(dot):
    """The graph with node ids replaced by the layer names their labels carry (ids are
    `id(layer)`, which differ between the two libraries): labels per cluster, sorted edges."""
    labels = {}

    def collect(graph):
        for node in graph.get_nodes():
            if node.get_name() != "node":
                labels[node.get_name()] = node.get("label")
        for sub in graph.get_subgraphs():
            collect(sub)

    collect(dot)

    def name(node_id):
        return re.search(r"<b>(.*?)</b>", labels[node_id]).group(1)

    def walk(graph):
        return {
            "name": graph.get_name(),
            "attributes": dict(graph.get_attributes()),
            "labels": [n.get("label") for n in graph.get_nodes() if n.get_name() != "node"],
            "edges": sorted((name(e.get_source()), name(e.get_destination())) for e in graph.get_edges()),
            "edge_attributes": [e.get_attributes() for e in graph.get_edges()],
            "subgraphs": [walk(sub) for sub in graph.get_subgraphs()],
        }

    return walk(dot)


def _sequential(k):
    return k.Sequential(
        [k.Input((4,)), k.layers.Dense(3, activation="relu", name="d1"), k.layers.Dense(2, name="d2")],
        name="seq",
    )


def _branches(k):
    x = k.Input((4,), name="x")
    a = k.layers.Dense(3, name="a")(x)
    b = k.layers.Dense(3, name="b")(x)
    added = k.layers.Add(name="add")([a, b])
    frozen = k.layers.Dense(2, name="frozen", trainable=False)(added)
    return k.Model(x, [added, frozen], name="branches")


def _nested(k):
    i = k.Input((4,), name="i")
    h = k.layers.Dense(3, name="h")(i)
    inner = k.Model(i, [h, k.layers.Dense(2, name="h2")(h)], name="inner")
    x = k.Input((4,), name="x")
    a, b = inner(x)
    c = _sequential(k)(x)
    joined = k.layers.Concatenate(name="cat")([a, b, c])
    return k.Model(x, k.layers.Dense(1, name="head")(joined), name="outer")


def _nested_without_input(k):
    """A Sequential with no `Input`, built by its first (symbolic) call, inside a functional model."""
    inner = k.Sequential([k.layers.Dense(3, name="d1"), k.layers.Dense(2, name="d2")], name="seq")
    x = k.Input((4,), name="x")
    return k.Model(x, k.layers.Dense(1, name="head")(inner(x)), name="outer")


def _sequential_built_on_data(k):
    model = k.Sequential([k.layers.Dense(3, activation="relu", name="d1"), k.layers.Dense(2, name="d2")])
    model(np.ones((5, 4), "float32"))
    return model


@pytest.mark.parametrize(
    "build", [_sequential, _branches, _nested, _nested_without_input, _sequential_built_on_data]
)
@pytest.mark.parametrize("expand_nested", [False, True])
@pytest.mark.parametrize(
    "options", [{}, ALL_LABELS, {"show_layer_names": False, "rankdir": "LR", "dpi": 96, "splines": "line"}]
)
def test_model_to_dot_matches_keras(keras, build, expand_nested, options):
    from keras.src.utils import model_visualization as keras_visualization

    theirs = keras_visualization.model_to_dot(build(keras), expand_nested=expand_nested, **options)
    ours = tk.utils.model_to_dot(build(tk), expand_nested=expand_nested, **options)
    assert _graph(ours) == _graph(theirs)
    assert ours.to_string().count("->") == theirs.to_string().count("->")


def test_model_to_dot_node_ids_and_nested_edges():
    model = _nested(tk)
    inner, seq = model.get_layer("inner"), model.get_layer("seq")
    dot = tk.utils.model_to_dot(model, expand_nested=True)
    edges = {(e.get_source(), e.get_destination()) for e in dot.get_edges()}
    ids = {layer.name: str(id(layer)) for layer in [*model.layers, *inner.layers, *seq.layers]}
    # Into a nested functional model: its InputLayer; into a Sequential: its first layer.
    assert (ids["x"], ids["i"]) in edges and (ids["x"], ids["d1"]) in edges
    # Out of nested models: the layers computing their outputs.
    assert {(ids["h"], ids["cat"]), (ids["h2"], ids["cat"]), (ids["d2"], ids["cat"])} <= edges
    assert [sub.get_name() for sub in dot.get_subgraphs()] == ["cluster_inner", "cluster_seq"]
    assert not tk.utils.model_to_dot(model).get_subgraphs()


def test_model_to_dot_labels_of_a_sequential():
    model = _sequential(tk)
    dot = tk.utils.model_to_dot(model, show_shapes=True, show_layer_activations=True)
    label = dot.get_node(str(id(model.layers[0])))[0].get("label")
    assert "<b>d1</b> (Dense)" in label and "Activation: <b>relu</b>" in label
    assert "Input shape: <b>(None, 4)</b>" in label and "Output shape: <b>(None, 3)</b>" in label
    assert dot.get("rankdir") == "TB" and dot.get("dpi") == 200 and dot.get("splines") == "ortho"


def test_subgraph_returns_a_dashed_cluster():
    cluster = tk.utils.model_to_dot(_sequential(tk), subgraph=True)
    assert isinstance(cluster, pydot.Cluster)
    assert cluster.get_name() == "cluster_seq"
    assert cluster.get("style") == "dashed" and cluster.get("label") == "seq"


def test_subclassed_model_is_one_node():
    class Net(tk.Model):
        def __init__(self):
            super().__init__(name="net")
            self.dense = tk.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Net()
    model.build((None, 3))
    dot = tk.utils.model_to_dot(model)
    nodes = [n for n in dot.get_nodes() if n.get_name() != "node"]
    assert len(nodes) == 1 and "<b>net</b> (Net)" in nodes[0].get("label")


def test_torch_modules_and_ops_are_nodes_too():
    import torch

    model = tk.Sequential([tk.Input((4,)), tk.layers.Dense(3, name="dense"), torch.nn.ReLU()])
    dot = tk.utils.model_to_dot(model, show_shapes=True, show_trainable=True)
    labels = [n.get("label") for n in dot.get_nodes() if n.get_name() != "node"]
    assert "<b>relu</b> (ReLU)" in labels[1] and "Output shape: <b>?</b>" in labels[1]
    assert len(dot.get_edges()) == 1
    x = tk.Input((4,), name="x")
    functional = tk.Model(x, torch.relu(tk.layers.Dense(3, name="dense")(x)))
    dot = tk.utils.model_to_dot(functional)
    assert len([n for n in dot.get_nodes() if n.get_name() != "node"]) == 3 and len(dot.get_edges()) == 2


def test_bad_arguments_raise_before_drawing(tmp_path):
    with pytest.raises(ValueError, match="not yet been built"):
        tk.utils.model_to_dot(tk.Sequential([tk.layers.Dense(2)]))
    model = _sequential(tk)
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        tk.utils.model_to_dot(model, colour="red")
    with pytest.raises(ValueError, match="layer_range"):
        tk.utils.plot_model(model, to_file=str(tmp_path / "m.png"), layer_range=["d1", "d2"])
    with pytest.raises(ValueError, match="rankdir"):
        tk.utils.plot_model(model, to_file=str(tmp_path / "m.png"), rankdir="up")
    assert not list(tmp_path.iterdir())


def test_missing_pydot_is_a_clear_import_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pydot", None)
    model = _sequential(tk)
    with pytest.raises(ImportError, match="pip install pydot"):
        tk.utils.model_to_dot(model)
    with pytest.raises(ImportError, match="`plot_model`"):
        tk.utils.plot_model(model, to_file=str(tmp_path / "m.png"))


@pytest.fixture
def no_graphviz(monkeypatch):
    """As on a machine without Graphviz's `dot` program."""
    monkeypatch.setattr(model_visualization, "_has_graphviz", lambda: False)


@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_plot_model_without_graphviz_draws_a_png(no_graphviz, tmp_path, rankdir):
    image = pytest.importorskip("matplotlib.image")
    chain = tk.Sequential([tk.Input((4,)), *[tk.layers.Dense(4) for _ in range(6)]])
    for name, model in [("chain", chain), ("nested", _nested(tk))]:
        path = tmp_path / f"{name}.png"
        result = tk.utils.plot_model(
            model, to_file=path, show_shapes=True, expand_nested=True, rankdir=rankdir, dpi=50
        )
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        pixels = image.imread(path)
        assert pixels[..., :3].min() < 0.1 and pixels[..., :3].max() > 0.9  # black boxes on white
        assert result is None or type(result).__name__ == "Image"
    height, width = image.imread(tmp_path / "chain.png").shape[:2]
    assert (height > width) if rankdir == "TB" else (width > height)


def test_plot_model_without_graphviz_writes_dot_source_and_other_formats(no_graphviz, tmp_path):
    pytest.importorskip("matplotlib")
    model = _branches(tk)
    tk.utils.plot_model(model, to_file=tmp_path / "model.dot")
    source = (tmp_path / "model.dot").read_text()
    assert source.startswith("digraph G {") and source.count("->") == 5
    tk.utils.plot_model(model, to_file=tmp_path / "model.svg")
    assert "<svg" in (tmp_path / "model.svg").read_text()
    tk.utils.plot_model(model, to_file=tmp_path / "model.pdf")
    assert (tmp_path / "model.pdf").read_bytes()[:4] == b"%PDF"
    with pytest.raises(ValueError, match="format='xyz'"):
        tk.utils.plot_model(model, to_file=tmp_path / "model.xyz")


def test_plot_model_without_graphviz_or_matplotlib_says_what_to_install(no_graphviz, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="matplotlib"):
        tk.utils.plot_model(_sequential(tk), to_file=tmp_path / "model.png")


def test_plot_model_uses_graphviz_when_installed(monkeypatch, tmp_path):
    written = {}

    def write(dot, path, format):
        written.update(path=path, format=format)
        Path(path).write_bytes(b"\x89PNG\r\n\x1a\n")

    monkeypatch.setattr(model_visualization, "_has_graphviz", lambda: True)
    monkeypatch.setattr(pydot.Dot, "write", write)
    tk.utils.plot_model(_sequential(tk), to_file=tmp_path / "model")
    assert written == {"path": str(tmp_path / "model"), "format": "png"}
