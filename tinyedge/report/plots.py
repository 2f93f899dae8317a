"""The report's figures: each function draws one figure and returns it as PNG bytes.

Matplotlib's object API (``Figure``) is used without pyplot, so no GUI backend or global
state is touched; rendering is Agg.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure

from tinyedge.analysis.scaling_table import MIN_SIZES_R2
from tinyedge.report.widths import WidthMatrix

DPI = 100
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


class Series(NamedTuple):
    label: str
    x: np.ndarray
    y: np.ndarray


class ScalingSeries(NamedTuple):
    label: str
    params: np.ndarray
    error: np.ndarray
    alpha: float | None  # power-law fit e = exp(b)·N^(−α), None when not fitted
    intercept: float | None


def to_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)  # layout="constrained" fits the margins
    return buf.getvalue()


def scaling_plot(title: str, series: Sequence[ScalingSeries]) -> bytes:
    """Error vs parameters on log-log axes, with each series' power-law fit as a line."""
    fig = Figure(figsize=(5.5, 3.6), layout="constrained")
    ax = fig.subplots()
    for color, s in zip(COLORS, series, strict=False):
        ax.loglog(s.params, s.error, "o", color=color, label=s.label)
        # a fit line (and its α) only from ≥ 3 sizes: through 2 points any line fits
        if s.alpha is not None and s.intercept is not None and len(s.params) >= MIN_SIZES_R2:
            grid = np.geomspace(s.params.min(), s.params.max(), 50)
            ax.loglog(grid, np.exp(s.intercept) * grid ** (-s.alpha), "-", color=color,
                      linewidth=1, label=f"{s.label} fit, α = {s.alpha:.3f}")
    ax.set(xlabel="parameters N", ylabel="top-1 error", title=title)
    ax.grid(True, which="both", linewidth=0.3)
    ax.legend(fontsize=8)
    return to_png(fig)


def matrix_heatmap(title: str, matrix: WidthMatrix, label: str = "Jaccard") -> bytes:
    """A square width × width matrix with each cell's value written in it."""
    k = len(matrix.widths)
    side = 1.4 + 0.55 * k
    fig = Figure(figsize=(side + 1.0, side), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(matrix.values, vmin=0, vmax=1, cmap="viridis")
    ax.set_xticks(range(k), matrix.widths, rotation=45)
    ax.set_yticks(range(k), matrix.widths)
    if k <= 12:
        for i in range(k):
            for j in range(k):
                v = matrix.values[i, j]
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                        color="black" if v > 0.6 else "white")
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, label=label, shrink=0.8)
    return to_png(fig)


def difficulty_order(matrices: Sequence[WidthMatrix]) -> np.ndarray:
    """Class order hardest first: ascending mean accuracy over all widths and panels."""
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(np.vstack([m.values for m in matrices]), axis=0)
    return np.argsort(np.nan_to_num(mean, nan=-1.0), kind="stable")


def class_heatmap(panels: Sequence[tuple[str, WidthMatrix]], class_names: Sequence[str]) -> bytes:
    """Per-class accuracy (columns, hardest class first) at each width (rows); one panel
    per kind of model, all in the same class order."""
    order = difficulty_order([m for _, m in panels])
    n_cls = len(order)
    fig = Figure(figsize=(min(11.0, 2.5 + 0.22 * n_cls),
                          sum(0.9 + 0.28 * len(m.widths) for _, m in panels)),
                 layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False).ravel()
    image = None
    for ax, (title, m) in zip(axes, panels, strict=True):
        image = ax.imshow(m.values[:, order], vmin=0, vmax=1, cmap="magma", aspect="auto",
                          interpolation="nearest")
        ax.set_yticks(range(len(m.widths)), m.widths)
        ax.set_title(title, fontsize=9)
        if n_cls <= 40:
            ax.set_xticks(range(n_cls), [str(class_names[i]) for i in order], rotation=90,
                          fontsize=7)
        else:
            ax.set_xticks([])
    axes[-1].set_xlabel("class, hardest first")
    fig.colorbar(image, ax=list(axes), label="accuracy", shrink=0.9)
    return to_png(fig)


def metrics_vs_size(panels: Sequence[tuple[str, Sequence[Series]]],
                    log_y: bool = False) -> bytes:
    """Small multiples: one panel per metric, one line per kind of model, x = parameters
    on a log axis."""
    cols = min(len(panels), 3)
    rows = -(-len(panels) // cols)
    fig = Figure(figsize=(3.2 * cols, 2.7 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, (title, series) in zip(axes, panels, strict=False):
        for color, s in zip(COLORS, series, strict=False):
            if len(s.x):
                ax.plot(s.x, s.y, "o-", color=color, label=s.label, markersize=4)
        ax.set_xscale("log")
        if log_y:
            ax.set_yscale("log")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("parameters N")
        ax.grid(True, which="both", linewidth=0.3)
    axes[0].legend(fontsize=8)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    return to_png(fig)
