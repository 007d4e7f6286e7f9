"""`draw_dot`: draws a pydot graph with matplotlib, for machines without Graphviz's `dot` program.

A small layered layout (Sugiyama's steps, each kept simple): nodes get ranks by longest path,
edges longer than one rank get invisible waypoints, a few barycenter sweeps order each rank,
then boxes are placed rank by rank and edges drawn through their waypoints. Node labels may be
Graphviz HTML tables (what `model_to_dot` writes): each cell is drawn with its colors and text.
Coordinates are in points (1/72 inch), so font sizes read as in Graphviz.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

__all__ = ["draw_dot"]

_PADDING = 6.0  # points around a cell's text
_NODE_GAP = 24.0  # between boxes of one rank
_RANK_GAP = 44.0  # between ranks
_CLUSTER_PAD = 12.0
_MAX_PIXELS = 32768  # matplotlib refuses images above 2**16 pixels a side
_PSEUDO_NODES = ("node", "edge", "graph")


class _Cell:
    def __init__(self, background: str, color: str, size: float):
        self.background, self.color, self.size = background, color, size
        self.text, self.bold_text = "", ""
        self.width = self.height = 0.0


class _TableParser(HTMLParser):
    """Rows of cells from a Graphviz HTML-table label (`<tr>`, `<td bgcolor>`, `<font>`, `<b>`)."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[_Cell]] = []
        self._cell: _Cell | None = None
        self._fonts: list[tuple[str, float]] = [("black", 14.0)]
        self._bold = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag == "td" and self.rows:
            color, size = self._fonts[-1]
            self._cell = _Cell(values.get("bgcolor") or "white", color, size)
            self.rows[-1].append(self._cell)
        elif tag == "font":
            color, size = self._fonts[-1]
            self._fonts.append((values.get("color") or color, float(values.get("point-size") or size)))
            if self._cell is not None:
                self._cell.color, self._cell.size = self._fonts[-1]
        elif tag == "b":
            self._bold += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "font" and len(self._fonts) > 1:
            self._fonts.pop()
        elif tag == "b":
            self._bold = max(0, self._bold - 1)
        elif tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.text += data
            if self._bold:
                self._cell.bold_text += data


def _label_rows(node: Any) -> list[list[_Cell]]:
    label = node.get("label")
    if isinstance(label, str) and label.startswith("<") and label.endswith(">"):
        parser = _TableParser()
        parser.feed(label[1:-1])
        rows = [row for row in parser.rows if row]
        if rows:
            return rows
    text = node.get_name() if label is None else str(label)
    cell = _Cell("white", "black", 14.0)
    cell.text = html.unescape(text.strip('"'))
    return [[cell]]


def _text_size(text: str, size: float, bold: bool) -> tuple[float, float]:
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    if not text.strip():
        return 0.0, size
    font = FontProperties(size=size, weight="bold" if bold else "normal")
    extents = TextPath((0, 0), text, prop=font).get_extents()
    return float(extents.width), size * 1.25


class _Box:
    """One node: its table of cells, its size, and (once placed) its center."""

    def __init__(self, name: str, rows: list[list[_Cell]], virtual: bool = False):
        self.name, self.rows, self.virtual = name, rows, virtual
        self.rank, self.order = 0, 0.0
        self.x = self.y = 0.0
        row_widths = []
        for index, row in enumerate(rows):
            for cell in row:
                cell.bold = index == 0 or (cell.bold_text.strip() == cell.text.strip() and bool(cell.text))
                text_width, text_height = _text_size(cell.text, cell.size, cell.bold)
                # 8% over the outline's width: rendered glyphs are hinted wider at low dpi.
                cell.width, cell.height = 1.08 * text_width + 2 * _PADDING, text_height + 2 * _PADDING
            row_widths.append(sum(cell.width for cell in row))
        self.width = max(row_widths, default=0.0)
        self.row_heights = [max(cell.height for cell in row) for row in rows]
        self.height = sum(self.row_heights)


def _graph_parts(dot: Any) -> tuple[dict[str, _Box], list[tuple[str, str]], list[tuple[str, list[str], int]]]:
    """Every node, edge and cluster (label, member node names, depth) of `dot` and its subgraphs."""
    boxes: dict[str, _Box] = {}
    edges: list[tuple[str, str]] = []
    clusters: list[tuple[str, list[str], int]] = []

    def walk(graph: Any, depth: int) -> list[str]:
        members = []
        for node in graph.get_nodes():
            name = node.get_name().strip('"')
            if name in _PSEUDO_NODES:
                continue
            boxes.setdefault(name, _Box(name, _label_rows(node)))
            members.append(name)
        for edge in graph.get_edges():
            edges.append((str(edge.get_source()).strip('"'), str(edge.get_destination()).strip('"')))
        for sub in graph.get_subgraphs():
            inner = walk(sub, depth + 1)
            members += inner
            if sub.get_name().strip('"').startswith("cluster"):
                label = sub.get("label")
                label = sub.get_name().strip('"')[len("cluster_") :] if label is None else str(label)
                clusters.append((label.strip('"'), inner, depth + 1))
        return members

    walk(dot, 0)
    for source, destination in edges:  # an edge may name a node no statement declares
        for name in (source, destination):
            if name not in boxes:
                boxes[name] = _Box(name, _label_rows(_NamedNode(name)))
    return boxes, edges, clusters


class _NamedNode:
    def __init__(self, name: str):
        self.name = name

    def get(self, key: str) -> None:
        return None

    def get_name(self) -> str:
        return self.name


def _assign_ranks(names: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path ranks in a topological order; edges closing a cycle are ignored."""
    successors: dict[str, list[str]] = {name: [] for name in names}
    indegree = dict.fromkeys(names, 0)
    for source, destination in edges:
        if source != destination:
            successors[source].append(destination)
            indegree[destination] += 1
    rank = dict.fromkeys(names, 0)
    done: set[str] = set()
    pending = list(names)
    while pending:
        ready = [name for name in pending if indegree[name] == 0] or pending[:1]
        for name in ready:
            done.add(name)
            for child in successors[name]:
                if child not in done:
                    rank[child] = max(rank[child], rank[name] + 1)
                    indegree[child] -= 1
        pending = [name for name in pending if name not in done]
    return rank


def _order_ranks(
    boxes: dict[str, _Box], links: list[tuple[str, str]], cluster_of: dict[str, int]
) -> list[list[str]]:
    """Each rank's boxes, ordered by barycenter sweeps (a cluster's boxes kept side by side)."""
    ranks: list[list[str]] = [[] for _ in range(max(box.rank for box in boxes.values()) + 1)]
    for name, box in boxes.items():
        ranks[box.rank].append(name)
    parents: dict[str, list[str]] = {name: [] for name in boxes}
    children: dict[str, list[str]] = {name: [] for name in boxes}
    for source, destination in links:
        children[source].append(destination)
        parents[destination].append(source)

    def sort_rank(rank: list[str], neighbours: dict[str, list[str]]) -> None:
        position = {name: index for index, name in enumerate(rank)}
        center = {}
        for name in rank:
            around = [boxes[other].order for other in neighbours[name]]
            center[name] = sum(around) / len(around) if around else float(position[name])
        group: dict[int, list[float]] = {}
        for name in rank:
            group.setdefault(cluster_of.get(name, -1), []).append(center[name])

        def key(name: str) -> tuple[float, float]:
            cluster = cluster_of.get(name, -1)
            group_center = sum(group[cluster]) / len(group[cluster]) if cluster >= 0 else center[name]
            return group_center, center[name]

        rank.sort(key=key)
        for index, name in enumerate(rank):
            boxes[name].order = float(index)

    for rank in ranks:
        for index, name in enumerate(rank):
            boxes[name].order = float(index)
    for _ in range(4):
        for rank in ranks[1:]:
            sort_rank(rank, parents)
        for rank in reversed(ranks[:-1]):
            sort_rank(rank, children)
    return ranks


def _place(
    boxes: dict[str, _Box],
    ranks: list[list[str]],
    links: list,
    cluster_of: dict[str, int],
    across_size: Any,
    along_size: Any,
) -> None:
    """Centers in layout coordinates: `along` grows rank by rank, `across` within a rank; boxes
    of different clusters stand further apart, to leave room for the cluster frames."""
    parents: dict[str, list[str]] = {name: [] for name in boxes}
    for source, destination in links:
        parents[destination].append(source)
    along = 0.0
    for rank in ranks:
        thickness = max(along_size(boxes[name]) for name in rank)
        previous_edge, previous_cluster = None, None
        for name in rank:
            box = boxes[name]
            # Under its parents (the real ones: a skip edge's waypoints must not pull the chain aside).
            real = [parent for parent in parents[name] if not boxes[parent].virtual]
            wanted = [boxes[parent].x for parent in (real or parents[name])]
            center = sum(wanted) / len(wanted) if wanted else 0.0
            half = across_size(box) / 2
            cluster = cluster_of.get(name, -1)
            if previous_edge is not None:
                gap = _NODE_GAP if cluster == previous_cluster else _NODE_GAP + 2 * _CLUSTER_PAD
                center = max(center, previous_edge + half + gap)
            box.x, box.y = center, along + thickness / 2
            previous_edge, previous_cluster = center + half, cluster
        along += thickness + (_RANK_GAP + 2 * _CLUSTER_PAD + 16 if cluster_of else _RANK_GAP)


def draw_dot(dot: Any, path: str, format: str = "png") -> None:  # noqa: A002 (pydot's name)
    """Draws the pydot graph `dot` into the file `path` with matplotlib.

    Args:
        dot: a `pydot.Dot` (its `rankdir`, `dpi` and `splines` attributes are honoured).
        path: the file to write.
        format: an image format matplotlib writes (`"png"`, `"pdf"`, `"svg"`, `"jpg"`, ...).

    Raises:
        ImportError: if matplotlib is not installed.
        ValueError: if matplotlib cannot write `format`.
    """
    try:
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyArrowPatch, Rectangle
    except ImportError as error:
        raise ImportError(
            "Drawing a model without Graphviz needs matplotlib (the `plot` extra): "
            'pip install -e ".[plot]". Or install Graphviz (https://graphviz.org/download/).'
        ) from error
    formats = Figure().canvas.get_supported_filetypes()
    if format not in formats:
        raise ValueError(
            f"Without Graphviz, `plot_model` writes {sorted(formats)} images or `.dot` source. "
            f"Received: format={format!r}"
        )
    rankdir = str(dot.get("rankdir") or "TB").strip('"').upper()
    vertical = rankdir in ("TB", "BT")
    orthogonal = str(dot.get("splines") or "").strip('"') == "ortho"
    dpi = float(str(dot.get("dpi") or 96).strip('"'))

    boxes, edges, clusters = _graph_parts(dot)
    if not boxes:
        boxes["empty"] = _Box("empty", [[_Cell("white", "black", 14.0)]])
    ranks_of = _assign_ranks(list(boxes), edges)
    for name, rank in ranks_of.items():
        boxes[name].rank = rank
    cluster_of: dict[str, int] = {}
    for index, (_, members, _) in sorted(enumerate(clusters), key=lambda item: item[1][2]):
        for name in members:
            cluster_of[name] = index  # the innermost cluster wins (deeper ones come later)

    # Edges spanning several ranks pass through invisible waypoints, one per rank crossed.
    links: list[tuple[str, str]] = []
    routes: list[list[str]] = []
    for source, destination in dict.fromkeys(edges):
        start, end = boxes[source].rank, boxes[destination].rank
        route = [source]
        for rank in range(start + 1, end):
            waypoint = f"{source}->{destination}@{rank}"
            boxes[waypoint] = _Box(waypoint, [], virtual=True)
            boxes[waypoint].rank = rank
            if source in cluster_of and cluster_of.get(source) == cluster_of.get(destination):
                cluster_of[waypoint] = cluster_of[source]
            route.append(waypoint)
        route.append(destination)
        links += list(zip(route, route[1:]))
        routes.append(route)

    def across_size(box: _Box) -> float:
        return box.width if vertical else box.height

    def along_size(box: _Box) -> float:
        return box.height if vertical else box.width

    ranks = _order_ranks(boxes, links, cluster_of)
    _place(boxes, ranks, links, cluster_of, across_size, along_size)

    def to_xy(across: float, along: float) -> tuple[float, float]:
        return {
            "TB": (across, -along),
            "BT": (across, along),
            "LR": (along, -across),
            "RL": (-along, -across),
        }.get(rankdir, (across, -along))

    for box in boxes.values():
        box.x, box.y = to_xy(box.x, box.y)

    if clusters:
        _separate_clusters(boxes, clusters, vertical)
    frames = list(_frames(boxes, clusters).values())

    xs = [b.x - b.width / 2 for b in boxes.values()] + [b.x + b.width / 2 for b in boxes.values()]
    ys = [b.y - b.height / 2 for b in boxes.values()] + [b.y + b.height / 2 for b in boxes.values()]
    for _, left, right, bottom, top in frames:
        xs += [left, right]
        ys += [bottom, top]
    margin = 12.0
    x0, x1, y0, y1 = min(xs) - margin, max(xs) + margin, min(ys) - margin, max(ys) + margin
    width_in, height_in = (x1 - x0) / 72, (y1 - y0) / 72
    dpi = min(dpi, _MAX_PIXELS / max(width_in, height_in))

    figure = Figure(figsize=(width_in, height_in), dpi=dpi)
    axis = figure.add_axes((0, 0, 1, 1))
    axis.set_xlim(x0, x1)
    axis.set_ylim(y0, y1)
    axis.set_axis_off()

    for label, left, right, bottom, top in frames:
        axis.add_patch(
            Rectangle((left, bottom), right - left, top - bottom, fill=False, linestyle="--", linewidth=1)
        )
        axis.text(left + 6, top - 4, label, ha="left", va="top", fontsize=14)

    for route in routes:
        _draw_route(axis, [boxes[name] for name in route], rankdir, orthogonal, FancyArrowPatch)

    for box in boxes.values():
        if not box.virtual:
            _draw_box(axis, box, Rectangle)
    figure.savefig(path, format=format, dpi=dpi, facecolor="white")


def _frames(boxes: dict[str, _Box], clusters: list) -> dict[int, tuple[str, float, float, float, float]]:
    """Each cluster's frame `(label, left, right, bottom, top)` around its boxes and the frames
    of the clusters inside it, innermost first; room for the label at the top."""
    frames: dict[int, tuple[str, float, float, float, float]] = {}
    for index, (label, members, _) in sorted(enumerate(clusters), key=lambda item: -item[1][2]):
        real = [boxes[name] for name in members if name in boxes]
        if not real:
            continue
        left = min(b.x - b.width / 2 for b in real) - _CLUSTER_PAD
        right = max(b.x + b.width / 2 for b in real) + _CLUSTER_PAD
        bottom = min(b.y - b.height / 2 for b in real) - _CLUSTER_PAD
        top = max(b.y + b.height / 2 for b in real) + _CLUSTER_PAD + 16
        for other, (_, l2, r2, b2, t2) in frames.items():
            if set(clusters[other][1]) < set(members):
                left, right = min(left, l2 - _CLUSTER_PAD), max(right, r2 + _CLUSTER_PAD)
                bottom, top = min(bottom, b2 - _CLUSTER_PAD), max(top, t2 + _CLUSTER_PAD + 16)
        frames[index] = (label, left, right, bottom, top)
    return frames


def _separate_clusters(boxes: dict[str, _Box], clusters: list, vertical: bool) -> None:
    """Pushes boxes across the ranks (right in a vertical layout, down in a horizontal one) until
    no cluster frame overlaps another cluster's frame or a box outside it."""

    def spans(left: float, right: float, bottom: float, top: float) -> tuple[float, float, float, float]:
        # (start, end) across the ranks, then (start, end) along them
        return (left, right, bottom, top) if vertical else (-top, -bottom, left, right)

    for _ in range(4 * len(clusters) + 8):
        items = [
            (set(clusters[index][1]), spans(*frame[1:])) for index, frame in _frames(boxes, clusters).items()
        ]
        in_clusters = set().union(*(members for members, _ in items))
        items += [
            ({name}, spans(b.x - b.width / 2, b.x + b.width / 2, b.y - b.height / 2, b.y + b.height / 2))
            for name, b in boxes.items()
            if not b.virtual and name not in in_clusters
        ]
        overlap = None
        for index, (first_members, first) in enumerate(items):
            for second_members, second in items[index + 1 :]:
                if first_members & second_members or first[2] >= second[3] or second[2] >= first[3]:
                    continue  # nested, or apart along the ranks
                (low_members, low), high = (
                    ((first_members, first), second)
                    if first[0] <= second[0]
                    else ((second_members, second), first)
                )
                if low[1] + _NODE_GAP / 2 > high[0]:
                    overlap = (low_members, high[0], low[1] + _NODE_GAP / 2 - high[0])
                    break
            if overlap:
                break
        if overlap is None:
            return
        fixed, start, amount = overlap
        for name, box in boxes.items():
            edge = box.x - box.width / 2 if vertical else -(box.y + box.height / 2)
            if name not in fixed and edge >= start - 1e-6:
                if vertical:
                    box.x += amount
                else:
                    box.y -= amount


def _draw_route(axis: Any, route: list[_Box], rankdir: str, orthogonal: bool, arrow_class: Any) -> None:
    """One edge: out of the source box's far side, through the waypoints, into the destination."""
    sign = {"TB": (0, -1), "BT": (0, 1), "LR": (1, 0), "RL": (-1, 0)}.get(rankdir, (0, -1))

    def side(box: _Box, outward: int) -> tuple[float, float]:
        return (
            box.x + outward * sign[0] * box.width / 2,
            box.y + outward * sign[1] * box.height / 2,
        )

    points = [side(route[0], 1)]
    points += [(box.x, box.y) for box in route[1:-1]]
    points.append(side(route[-1], -1))
    path = [points[0]]
    for start, end in zip(points, points[1:]):
        if orthogonal and start[0] != end[0] and start[1] != end[1]:
            if sign[0] == 0:  # ranks stacked vertically: go down, across, down
                middle = (start[1] + end[1]) / 2
                path += [(start[0], middle), (end[0], middle)]
            else:
                middle = (start[0] + end[0]) / 2
                path += [(middle, start[1]), (middle, end[1])]
        path.append(end)
    xs, ys = zip(*path[:-1])
    axis.plot(xs, ys, color="black", linewidth=2, solid_capstyle="butt", zorder=1)
    axis.add_patch(
        arrow_class(
            path[-2], path[-1], arrowstyle="-|>", mutation_scale=14, linewidth=2, color="black", zorder=1
        )
    )


def _draw_box(axis: Any, box: _Box, rectangle_class: Any) -> None:
    """A node's table: each row spans the box, its cells share the row's width."""
    top = box.y + box.height / 2
    left_edge = box.x - box.width / 2
    axis.add_patch(
        rectangle_class((left_edge, box.y - box.height / 2), box.width, box.height, color="black", zorder=2)
    )
    for row, row_height in zip(box.rows, box.row_heights):
        natural = sum(cell.width for cell in row)
        left = left_edge
        for cell in row:
            width = cell.width * box.width / natural if natural else box.width / len(row)
            axis.add_patch(
                rectangle_class(
                    (left, top - row_height),
                    width,
                    row_height,
                    facecolor=cell.background,
                    edgecolor="black",
                    linewidth=1,
                    zorder=3,
                )
            )
            axis.text(
                left + width / 2,
                top - row_height / 2,
                _plain(cell.text),
                ha="center",
                va="center",
                fontsize=cell.size,
                color=cell.color,
                fontweight="bold" if cell.bold else "normal",
                zorder=4,
            )
            left += width
        top -= row_height


def _plain(text: str) -> str:
    """Text as matplotlib draws it literally (a `$` would start math mode)."""
    return re.sub(r"\$", r"\\$", text)
