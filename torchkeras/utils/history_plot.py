"""`plot_history`: loss and metric curves of a `fit` run (matplotlib, the `plot` extra)."""

from __future__ import annotations

from typing import Any

__all__ = ["plot_history"]


def plot_history(history: Any, metrics: list[str] | None = None, figsize: tuple[float, float] | None = None):
    """Plots each metric per epoch, training against validation, one panel per metric.

    Beyond Keras, which leaves this to the user.

    Args:
        history: the `History` returned by `fit`, or its `.history` dict.
        metrics: names to plot (e.g. `["loss", "accuracy"]`); by default every logged name that
            is not a `val_*` one, in logging order, plus `learning_rate` if present.
        figsize: matplotlib figure size; by default 4 inches wide per panel.

    Returns:
        The matplotlib `Figure` (not shown: call `plt.show()` or `figure.savefig(path)`).

    Example:
    ```python
    history = model.fit(x, y, validation_split=0.2, epochs=10)
    keras.utils.plot_history(history).savefig("history.png")
    ```
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            'plot_history needs matplotlib (the `plot` extra): pip install -e ".[plot]"'
        ) from error
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(
            f"`history` must be the History returned by fit() or a non-empty dict. Received: {history!r}"
        )
    names = metrics if metrics is not None else [name for name in logs if not name.startswith("val_")]
    if isinstance(names, str):
        names = [names]
    missing = [name for name in names if name not in logs]
    if missing or not names:
        raise ValueError(f"`metrics` must name logged values {sorted(logs)}. Received: metrics={metrics}")
    figure = Figure(figsize=figsize or (4 * len(names), 3.2), layout="constrained")
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    for axis, name in zip(axes, names):
        values = logs[name]
        epochs = range(1, len(values) + 1)
        axis.plot(epochs, values, marker="o", label="train" if f"val_{name}" in logs else name)
        if f"val_{name}" in logs:
            validation = logs[f"val_{name}"]
            axis.plot(range(1, len(validation) + 1), validation, marker="o", label="validation")
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.legend()
        axis.grid(alpha=0.3)
    return figure
