"""draw_dot: a pydot graph drawn with matplotlib (plot_model's drawing without Graphviz)."""

import pytest

from torchkeras.utils import graph_drawing

pydot = pytest.importorskip("pydot")
image = pytest.importorskip("matplotlib.image")


def _table(title, cells=()):
    row = "".join(f'<td bgcolor="white"><font point-size="14">{cell}</font></td>' for cell in cells)
    return (
        '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
        f'<tr><td colspan="1" bgcolor="black"><font point-size="16" color="white"><b>{title}</b>'
        f"</font></td></tr>{f'<tr>{row}</tr>' if row else ''}</table>>"
    )


def test_html_table_labels_become_rows_of_cells():
    node = pydot.Node("1", label=_table("dense (Dense)", ["Input shape: <b>(None, 4)</b>", "costs $5"]))
    rows = graph_drawing._label_rows(node)
    assert [[cell.text for cell in row] for row in rows] == [
        ["dense (Dense)"],
        ["Input shape: (None, 4)", "costs $5"],
    ]
    title, shape = rows[0][0], rows[1][0]
    assert (title.background, title.color, title.size) == ("black", "white", 16.0)
    assert (shape.background, shape.color, shape.size) == ("white", "black", 14.0)
    assert graph_drawing._plain("costs $5") == r"costs \$5"  # no matplotlib math mode


def test_ranks_follow_the_longest_path_and_survive_a_cycle():
    edges = [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")]
    assert graph_drawing._assign_ranks(["a", "b", "c", "d"], edges) == {"a": 0, "b": 1, "c": 2, "d": 3}
    ranks = graph_drawing._assign_ranks(["x", "y"], [("x", "y"), ("y", "x")])
    assert sorted(ranks) == ["x", "y"]


def _graph(rankdir="TB"):
    dot = pydot.Dot(rankdir=rankdir, dpi=40, splines="ortho")
    for name, label in [("1", _table("in")), ("2", _table("left", ["shape"])), ("3", "plain label")]:
        dot.add_node(pydot.Node(name, label=label))
    cluster = pydot.Cluster(graph_name="inner", label="inner", style="dashed")
    cluster.add_node(pydot.Node("4", label=_table("nested")))
    dot.add_subgraph(cluster)
    for source, destination in [("1", "2"), ("1", "3"), ("2", "4"), ("3", "4"), ("1", "4")]:
        dot.add_edge(pydot.Edge(source, destination))
    return dot


@pytest.mark.parametrize("rankdir", ["TB", "BT", "LR", "RL"])
def test_draw_dot_writes_an_image_in_each_direction(tmp_path, rankdir):
    path = tmp_path / "graph.png"
    graph_drawing.draw_dot(_graph(rankdir), str(path))
    pixels = image.imread(path)
    height, width = pixels.shape[:2]
    assert (height > width) if rankdir in ("TB", "BT") else (width > height)
    assert pixels[..., :3].min() < 0.1 and pixels[..., :3].max() > 0.9


def test_graph_parts_collect_nodes_edges_and_clusters():
    boxes, edges, clusters = graph_drawing._graph_parts(_graph())
    assert sorted(boxes) == ["1", "2", "3", "4"] and clusters == [("inner", ["4"], 1)]
    assert len(edges) == 5


def test_cluster_frames_are_pushed_clear_of_each_other_and_of_boxes():
    cell = graph_drawing._Cell("white", "black", 14.0)
    boxes = {name: graph_drawing._Box(name, [[cell]]) for name in "abc"}
    # "a" and "b" in two clusters, one rank apart but overlapping across; "c" alone beside "a".
    for name, x, y in [("a", 0.0, 0.0), ("b", 10.0, -60.0), ("c", 20.0, 0.0)]:
        boxes[name].x, boxes[name].y = x, y
    clusters = [("one", ["a"], 1), ("two", ["b"], 1)]
    graph_drawing._separate_clusters(boxes, clusters, vertical=True)
    frames = [frame[1:] for frame in graph_drawing._frames(boxes, clusters).values()]
    c = boxes["c"]
    rectangles = [*frames, (c.x - c.width / 2, c.x + c.width / 2, c.y - c.height / 2, c.y + c.height / 2)]

    def overlap(first, second):
        return first[0] < second[1] and second[0] < first[1] and first[2] < second[3] and second[2] < first[3]

    assert not any(overlap(r, q) for i, r in enumerate(rectangles) for q in rectangles[i + 1 :])
    assert boxes["a"].x == 0.0  # the leftmost frame stays


def test_draw_dot_of_an_empty_graph_and_a_bad_format(tmp_path):
    graph_drawing.draw_dot(pydot.Dot(), str(tmp_path / "empty.png"))
    assert (tmp_path / "empty.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="format='bmp3'"):
        graph_drawing.draw_dot(_graph(), str(tmp_path / "graph.bmp3"), format="bmp3")
