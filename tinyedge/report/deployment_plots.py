"""Figures of the report's deployment sections, one panel per PNG so that a narrow screen
stacks them (see :mod:`tinyedge.report.html`'s ``.panels`` grid)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.patches import Rectangle

from tinyedge.analysis import ReliabilityCurve
from tinyedge.report.deployment import ParetoSeries
from tinyedge.report.plots import COLORS, to_png


def reliability_panel(title: str, curve: ReliabilityCurve, ece: float) -> bytes:
    """One runtime's reliability diagram: accuracy per confidence bin (bars) against the
    diagonal of perfect calibration, each bin's mean confidence, and below it the number
    of images in each bin."""
    fig = Figure(figsize=(3.4, 3.8), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    left, width = curve.edges[:-1], np.diff(curve.edges)
    filled = curve.count > 0
    top.bar(left[filled], curve.accuracy[filled], width=width[filled], align="edge",
            color=COLORS[0], edgecolor="white", linewidth=0.5, label="accuracy in bin")
    top.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1,
             label="perfect calibration")
    top.plot(curve.confidence[filled], curve.accuracy[filled], "o", color=COLORS[1],
             markersize=3, label="mean confidence in bin")
    top.set(xlim=(0, 1), ylim=(0, 1.02), ylabel="accuracy", title=f"{title}\nECE {ece:.3f}")
    top.title.set_fontsize(9)
    top.legend(fontsize=7, loc="upper left")
    bottom.bar(left, curve.count, width=width, align="edge", color="#8c959f",
               edgecolor="white", linewidth=0.5)
    for x, w, c in zip(left, width, curve.count, strict=True):
        if c:
            bottom.text(x + w / 2, c, str(int(c)), ha="center", va="bottom", fontsize=6)
    bottom.set(xlabel="confidence (max class probability)", ylabel="images")
    bottom.set_ylim(0, max(1, int(curve.count.max())) * 1.3)
    return to_png(fig)


def pareto_plot(title: str, xlabel: str, series: Sequence[ParetoSeries], scale: float = 1.0,
                log_x: bool = False) -> bytes:
    """Top-1 accuracy against a cost (x divided by ``scale``), one colour per runtime,
    each point labelled with its width; the Pareto front is a line through the ringed
    points."""
    fig = Figure(figsize=(4.6, 3.4), layout="constrained")
    ax = fig.subplots()
    for color, s in zip(COLORS, series, strict=False):
        x = s.cost / scale
        ax.plot(x, 100 * s.top1, "o", color=color, label=s.runtime, markersize=5)
        order = np.argsort(x[s.front], kind="stable")
        ax.plot(x[s.front][order], 100 * s.top1[s.front][order], "-", color=color,
                linewidth=1)
        ax.plot(x[s.front], 100 * s.top1[s.front], "o", markerfacecolor="none",
                markeredgecolor="black", markersize=9)
        for xi, yi, label in zip(x, s.top1, s.labels, strict=True):
            ax.annotate(label, (xi, 100 * yi), textcoords="offset points", xytext=(4, 4),
                        fontsize=7)
    ax.plot([], [], "o", markerfacecolor="none", markeredgecolor="black",
            label="Pareto front")
    if log_x:
        ax.set_xscale("log")
    ax.set(xlabel=xlabel, ylabel="top-1 accuracy (%)", title=title)
    ax.title.set_fontsize(9)
    ax.grid(True, which="both", linewidth=0.3)
    ax.legend(fontsize=7)
    return to_png(fig)


def difference_heatmap(title: str, diff: np.ndarray, names: Sequence[str]) -> bytes:
    """Deployed minus float confusion counts (rows: true class, columns: predicted):
    red where the deployed model predicts that cell more often, blue less."""
    k = diff.shape[0]
    side = min(7.0, 2.0 + 0.3 * k)
    fig = Figure(figsize=(side + 0.9, side), layout="constrained")
    ax = fig.subplots()
    bound = max(1, int(np.abs(diff).max()))
    image = ax.imshow(diff, cmap="RdBu_r", norm=TwoSlopeNorm(0, -bound, bound),
                      interpolation="nearest")
    if k <= 20:
        ax.set_xticks(range(k), [str(n) for n in names], rotation=90, fontsize=7)
        ax.set_yticks(range(k), [str(n) for n in names], fontsize=7)
        for i, j in zip(*np.nonzero(diff), strict=True):
            ax.text(j, i, f"{diff[i, j]:+d}", ha="center", va="center", fontsize=6,
                    color="white" if abs(diff[i, j]) > bound / 2 else "black")
    ax.set(xlabel="predicted class", ylabel="true class")
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, label="count change", shrink=0.8)
    return to_png(fig)


def profile_bars(title: str, rows: Sequence[dict[str, Any]]) -> bytes:
    """Share of the inference's count per layer, one horizontal bar a layer (first layer
    at the top), labelled with the op."""
    labels = [f"{r['layer']} {r['op'] or ''}".strip() for r in rows]
    share = [100 * (r["share"] or 0.0) for r in rows]
    fig = Figure(figsize=(4.6, 1.0 + 0.22 * len(rows)), layout="constrained")
    ax = fig.subplots()
    ax.barh(range(len(rows)), share, color=COLORS[0])
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set(xlabel=f"share of {rows[0]['unit'] if rows else 'count'} (%)", title=title)
    ax.title.set_fontsize(9)
    ax.grid(True, axis="x", linewidth=0.3)
    return to_png(fig)


def arena_timeline(title: str, arena: dict[str, Any]) -> bytes:
    """The arena plan: each buffer is a box from the layer that writes it to the last
    layer that reads it (x) at its byte offset (y); scratch buffers hatched."""
    buffers = arena["buffers"]
    last = max((b["last"] for b in buffers), default=0)
    fig = Figure(figsize=(4.8, 3.4), layout="constrained")
    ax = fig.subplots()
    for i, b in enumerate(buffers):
        scratch = b.get("kind") == "scratch"
        ax.add_patch(Rectangle((b["first"] - 0.45, b["offset"] / 1024),
                               b["last"] - b["first"] + 0.9, b["bytes"] / 1024,
                               facecolor="white" if scratch else COLORS[i % len(COLORS)],
                               edgecolor="black", linewidth=0.4, alpha=0.85,
                               hatch="///" if scratch else None))
    ax.axhline(arena["bytes"] / 1024, color="grey", linestyle="--", linewidth=1)
    ax.set(xlim=(-0.8, last + 0.8), ylim=(0, max(arena["bytes"], 1) / 1024 * 1.08),
           xlabel="layer (execution order)", ylabel="arena offset (KiB)", title=title)
    ax.title.set_fontsize(9)
    return to_png(fig)


def memory_map(title: str, memory: dict[str, Any]) -> bytes:
    """Flash and RAM as two stacked bars in KiB: what each part uses and what is left."""
    flash, ram = memory["flash"], memory["ram"]
    parts = [("flash", [("code", flash["code"]), ("weights", flash["weights"])],
              flash["limit"]),
             ("RAM", [("static", ram["static"]), ("arena", ram["arena"]),
                      ("stack", ram["stack"])], ram["limit"])]
    fig = Figure(figsize=(4.8, 2.2), layout="constrained")
    ax = fig.subplots()
    for row, (name, used, limit) in enumerate(parts):
        start = 0.0
        for j, (label, size) in enumerate(used):
            ax.barh(row, size / 1024, left=start, color=COLORS[(j + 2 * row) % len(COLORS)],
                    edgecolor="white", label=f"{name}: {label}")
            start += size / 1024
        ax.barh(row, max(0.0, limit / 1024 - start), left=start, color="#eaeef2",
                edgecolor="#8c959f", label="free" if row == 0 else None)
    ax.set_yticks([0, 1], ["flash", "RAM"])
    ax.set(xlabel="KiB", title=title)
    ax.title.set_fontsize(9)
    ax.legend(fontsize=6, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.35))
    return to_png(fig)


def thumbnail(image: np.ndarray, scale: int = 2) -> bytes:
    """A uint8 HWC image (or HW grey) as a PNG, each pixel repeated ``scale`` times."""
    big = np.asarray(image).repeat(scale, axis=0).repeat(scale, axis=1)
    if big.ndim == 3 and big.shape[2] == 1:
        big = big[..., 0]
    buf = io.BytesIO()
    imsave(buf, big, format="png", cmap="gray" if big.ndim == 2 else None,
           metadata={"Software": None})
    return buf.getvalue()
