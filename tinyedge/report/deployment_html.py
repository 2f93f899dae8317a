"""HTML of the report's deployment sections: accuracy next to cost, the Pareto plots,
which inputs flipped, the per-layer profile, the memory plan, reliability panels and class
tables. Figures go through ``figs.embed`` (which counts them); each panel is its own image
inside a ``.panels`` grid, so a phone shows one per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from tinyedge.analysis import bottom_k_accuracy, reliability_curve
from tinyedge.records import ECE_BINS
from tinyedge.report import deployment_plots as dp
from tinyedge.report import html as h
from tinyedge.report.collect import Run, RunGroup, Variant
from tinyedge.report.deployment import (
    MAX_THUMBNAILS,
    FlippedImage,
    FlipView,
    Images,
    class_names_of,
    pareto_series,
    profile_rows,
)
from tinyedge.report.sections import DASH, count, energy, kib, latency, num, pct
from tinyedge.report.tables import class_accuracy, shown_ks
from tinyedge.report.widths import KINDS, run_of


class Embed(Protocol):
    count: int

    def embed(self, png: bytes, alt: str, caption: str = "") -> str: ...


LONG_TABLE = 16  # rows shown open; longer tables fold into <details>


def panels(figures: Sequence[str]) -> str:
    return f'<div class="panels">{"".join(figures)}</div>' if figures else ""


# --- overview: accuracy next to cost ------------------------------------------------------


def cost_table(rows: list[dict[str, Any]]) -> str:
    """One row per variant × runtime: images, top-1 and the device's cost figures."""
    body = [[h.esc(r["variant"]), h.esc(r["runtime"]), count(r["n"]), pct(r["top1"]),
             latency(r), energy(r), kib(r["peak_ram_bytes"]), kib(r["flash_bytes"])]
            for r in rows]
    return h.table(["variant", "runtime", "images", "top-1", "latency", "energy", "peak RAM",
                    "flash"], body, raw=True)


def pareto_html(arch: str, rows: list[dict[str, Any]], variants: list[Variant],
                figs: Embed) -> str:
    figures = []
    for column, xlabel, scale, what in (("latency_s", "latency per inference (ms)", 1e-3,
                                         "latency"),
                                        ("peak_ram_bytes", "peak RAM (KiB)", 1024, "peak RAM")):
        series = pareto_series(rows, variants, column)
        if not series:
            continue
        figures.append(figs.embed(
            dp.pareto_plot(f"{arch}: accuracy vs {what}", xlabel, series, scale),
            f"accuracy vs {what}, {arch}",
            f"Top-1 accuracy vs {what} per width; ringed points are the Pareto front (no "
            f"other width is both cheaper and more accurate). Accuracy is on each run's own "
            f"images (see the table for their number)."))
    if not figures:
        return h.note(f"{arch}: no device run, so no latency or RAM to plot accuracy against.")
    return panels(figures)


# --- which inputs flipped -----------------------------------------------------------------


def _thumb(item: FlippedImage, names: list[str], image: np.ndarray | None, figs: Embed,
           float_rt: str, deployed_rt: str) -> str:
    img = ""
    if image is not None:
        figs.count += 1
        img = (f'<img src="{h.data_uri(dp.thumbnail(image))}" alt="test image {item.index}" '
               'width="64" height="64">')
    return (f'<div class="thumb">{img}<div>#{item.index}, true {h.esc(names[item.label])}'
            f"</div><div>{h.esc(float_rt)}: {h.esc(names[item.float_pred])} "
            f"({100 * item.float_confidence:.0f} %)</div><div>{h.esc(deployed_rt)}: "
            f"{h.esc(names[item.deployed_pred])} ({100 * item.deployed_confidence:.0f} %)</div>"
            "</div>")


def flips_html(view: FlipView, images: Images, figs: Embed) -> str:
    f_rt, d_rt = view.float_run.runtime, view.deployed_run.runtime
    names = view.class_names
    shown = {d: items[:MAX_THUMBNAILS] for d, items in
             (("r2w", view.correct_to_wrong), ("w2r", view.wrong_to_correct))}
    wanted = [i.index for items in shown.values() for i in items]
    pixels, why = images.lookup(view.float_run, wanted) if wanted else ({}, None)
    out = [h.note(f"{f_rt} vs {d_rt} on the {view.n:,} images both hold: "
                  f"{len(view.correct_to_wrong)} go right → wrong, "
                  f"{len(view.wrong_to_correct)} wrong → right.")]
    if why:
        out.append(h.note(why))
    for key, title in (("r2w", f"{f_rt} right, {d_rt} wrong"),
                       ("w2r", f"{f_rt} wrong, {d_rt} right")):
        items = shown[key]
        total = len(view.correct_to_wrong if key == "r2w" else view.wrong_to_correct)
        more = f" (first {len(items)} of {total})" if total > len(items) else ""
        out.append(f"<h4>{h.esc(title)}{more}</h4>")
        if not items:
            out.append(h.note("none"))
        elif pixels:
            out.append('<div class="thumbs">' + "".join(
                _thumb(i, names, pixels.get(i.index), figs, f_rt, d_rt) for i in items)
                + "</div>")
        else:
            out.append(h.table(["image", "true", f"{f_rt} (confidence)", f"{d_rt} (confidence)"],
                               [[f"#{i.index}", names[i.label],
                                 f"{names[i.float_pred]} ({100 * i.float_confidence:.0f} %)",
                                 f"{names[i.deployed_pred]} "
                                 f"({100 * i.deployed_confidence:.0f} %)"] for i in items]))
    if view.flows:
        out.append("<h4>Top class-to-class flows</h4>" + h.table(
            [f"{f_rt} predicts", f"{d_rt} predicts", "images"],
            [[names[fl.source], names[fl.target], str(fl.count)] for fl in view.flows]))
        out.append(figs.embed(
            dp.difference_heatmap(f"confusion: {d_rt} − {f_rt}", view.difference, names),
            f"confusion difference {d_rt} minus {f_rt}",
            f"Confusion matrix of {d_rt} minus that of {f_rt} on the same images (rows: true "
            "class, columns: predicted); red: predicted more often after deployment."))
    else:
        out.append(h.note("The two models predict the same class for every image."))
    return "".join(out)


# --- device: per-layer profile and memory -------------------------------------------------


def profile_html(run: Run, memory: dict[str, Any] | None, figs: Embed) -> str:
    rows = profile_rows(run, memory)
    if not rows:
        return ""
    unit = rows[0]["unit"]
    body = [[str(r["layer"]), h.esc(r["op"] or DASH),
             h.esc("×".join(map(str, r["shape"])) if r["shape"] else DASH),
             count(r["macs"]), count(r["count"]), num(r["per_mac"], 2), pct(r["share"])]
            for r in rows]
    table = h.table(["layer", "op", "output shape", "MACs", unit, f"{unit} / MAC", "share"],
                    body, raw=True)
    note = "" if memory else h.note(
        "The run's manifest names no build memory.json (an older run), so op names, shapes "
        "and MACs are unknown.")
    fig = figs.embed(dp.profile_bars(f"{run.runtime}: {unit} per layer", rows),
                     f"per-layer profile of {run.runtime}",
                     f"Share of one inference's {unit} per layer (first test image).")
    if len(rows) > LONG_TABLE:  # a deep model: the chart first, the table on demand
        table = f"<details><summary>All {len(rows)} layers</summary>{table}</details>"
    return f"<h4>Per-layer profile ({h.esc(unit)})</h4>{note}{panels([fig])}{table}"


def memory_html(run: Run, memory: dict[str, Any] | None, figs: Embed) -> str:
    if not memory:
        return ""
    figures = [figs.embed(dp.memory_map(f"{run.runtime}: flash and RAM", memory),
                          f"flash and RAM map of {run.runtime}",
                          "Flash (code, weights) and RAM (static, arena, stack) of the "
                          "firmware image against the board's sizes.")]
    arena = memory.get("arena")
    if arena and arena.get("buffers"):
        figures.append(figs.embed(
            dp.arena_timeline(f"arena plan, {arena['bytes'] / 1024:,.1f} KiB", arena),
            f"arena plan of {run.runtime}",
            "Activation arena: each box is a tensor from the layer that writes it to the "
            "last that reads it, at its offset; hatched boxes are kernel scratch."))
    return "<h4>Memory</h4>" + panels(figures)


# --- calibration and classes --------------------------------------------------------------


def reliability_html(v: RunGroup, figs: Embed) -> str:
    figures = []
    for rt, run in v.runs.items():
        probs = run.record.probabilities()
        curve = reliability_curve(run.record.labels, probs, ECE_BINS)
        filled = curve.count > 0
        ece = float(np.sum(curve.count[filled] / run.n
                           * np.abs(curve.accuracy[filled] - curve.confidence[filled])))
        figures.append(figs.embed(dp.reliability_panel(rt, curve, ece),
                                  f"reliability diagram of {v.name}, {rt}"))
    return ("<h4>Calibration</h4>" + panels(figures)
            + h.note("Reliability diagrams: accuracy in each of 15 confidence bins against the "
                     "dashed diagonal of perfect calibration; the lower panel counts the "
                     "images in each bin."))


def class_html(v: RunGroup) -> str:
    """Per-class accuracy with its number of images (float and deployed side by side),
    hardest deployed class first, and bottom-k means for k = 5, 10, 20 below the number
    of classes."""
    runs = [(kind, r) for kind in KINDS if (r := run_of(v, kind)) is not None]
    if not runs:
        return ""
    base = runs[0][1]
    names = class_names_of(base)
    c = len(names)
    accs = {kind: class_accuracy(r) for kind, r in runs}
    if any(len(a) != c for a in accs.values()):
        return ""
    n_images = {kind: np.bincount(r.record.labels, minlength=c) for kind, r in runs}
    sort_by = accs[runs[-1][0]]
    order = np.argsort(np.nan_to_num(sort_by, nan=2.0), kind="stable")
    headers = ["class"]
    for kind, r in runs:
        headers += [f"{kind} ({r.runtime}) images", f"{kind} accuracy"]
    if len(runs) == 2:
        headers.append("change")
    body = []
    for i in order:
        row = [names[i]]
        for kind, _ in runs:
            a = accs[kind][i]
            row += [count(int(n_images[kind][i])), DASH if np.isnan(a) else pct(float(a))]
        if len(runs) == 2:
            a, b = accs[runs[0][0]][i], accs[runs[1][0]][i]
            row.append(DASH if np.isnan(a) or np.isnan(b) else f"{100 * (b - a):+.1f} pt")
        body.append(row)
    ks = shown_ks(c)
    bottom = ""
    if ks:
        lines = []
        for kind, r in runs:
            acc = accs[kind]
            valid = acc[~np.isnan(acc)]
            vals = [f"bottom-{k} {pct(bottom_k_accuracy(valid, k))}" for k in ks
                    if k < len(valid)]
            lines.append(f"{kind} ({r.runtime}): " + ", ".join(vals))
        bottom = "".join(h.note(line) for line in lines)
    return (f"<h4>Classes</h4>{bottom}<details><summary>Per-class accuracy and images, {c} "
            f"classes, hardest first</summary>{h.table(headers, body)}</details>")
