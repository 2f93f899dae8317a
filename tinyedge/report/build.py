"""``build_report``: collect the records under a results folder, compute the summary
tables and cross-width analyses, draw the figures, and write one self-contained HTML page
with ``summary.json`` and CSV tables next to it."""

from __future__ import annotations

import csv
import datetime as _dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinyedge import __version__
from tinyedge.errors import TinyedgeError
from tinyedge.fileio import write_bytes_atomic, write_json_atomic
from tinyedge.layout import REPORT_HTML, REPORT_TABLES, SUMMARY_JSON, project_root_of
from tinyedge.report import deployment_html as dh
from tinyedge.report import html as h
from tinyedge.report import plots, sections
from tinyedge.report.collect import Collection, RunGroup, Variant, collect, runtime_order
from tinyedge.report.deployment import Images, build_memory, flip_view
from tinyedge.report.tables import (
    AUDIT_COLUMNS,
    BOTTOM_KS,
    MODEL_COLUMNS,
    PAIR_COLUMNS,
    VARIANT_COLUMNS,
    audit_rows,
    clean,
    compare,
    model_rows,
    pair_rows,
    variant_rows,
)
from tinyedge.report.widths import (
    KINDS,
    class_accuracy_by_width,
    cross_width_jaccard,
    scaling,
    seed_rows,
    size_series,
)

SEED_COLUMNS = ("arch", "width", "kind", "seeds", "n", "mean", "std", "ci_low", "ci_high",
                "pairs")


@dataclass(frozen=True)
class ReportResult:
    html: Path
    summary: Path
    tables: dict[str, Path]  # CSV name → path
    n_variants: int  # zoo variants
    runtimes: list[str]
    n_runs: int  # records: variant × runtime, other models' and anomaly records
    n_figures: int
    notes: list[str]
    n_models: int = 0  # models from outside the zoo (classifiers)
    n_anomaly_models: int = 0  # folders holding anomaly records
    contents: str = ""  # what the report holds, in one line (the page's header says it)


class _Figures:
    """Counts the figures as they are embedded."""

    def __init__(self) -> None:
        self.count = 0

    def embed(self, png: bytes, alt: str, caption: str = "") -> str:
        self.count += 1
        return h.figure(png, alt, caption)


def build_report(results_dir: str | Path, out_html: str | Path | None = None) -> ReportResult:
    """Write the report for ``results_dir`` to ``out_html`` (default
    ``RESULTS_DIR/report.html``), with ``summary.json``, ``variants.csv``, ``pairs.csv``,
    ``audit.csv`` and ``seeds.csv`` in the same folder. Raises :class:`TinyedgeError` when
    the folder is missing or holds no record."""
    col = collect(results_dir)
    out = Path(out_html) if out_html is not None else col.root / REPORT_HTML
    if out.is_dir():
        raise TinyedgeError(f"--out {out} is a folder; give a file name such as "
                            f"{out / REPORT_HTML}")
    _check_ours(out)
    notes = list(col.notes)
    rows, models = variant_rows(col), model_rows(col)
    pairs, audit, seeds = pair_rows(col), audit_rows(col), seed_rows(col)
    archs = {arch: _arch_summary(col.of_arch(arch), rows, notes) for arch in col.archs()}
    figs = _Figures()
    page = _render(col, rows, models, pairs, audit, seeds, archs, notes, figs)
    folder = out.parent
    tables = {name: folder / name for name in REPORT_TABLES}
    for path, (columns, data) in zip(tables.values(), [
            (VARIANT_COLUMNS, rows), (PAIR_COLUMNS, pairs), (AUDIT_COLUMNS, audit),
            (SEED_COLUMNS, seeds), (MODEL_COLUMNS, models)], strict=True):
        write_bytes_atomic(path, _csv(columns, data))
    summary_path = folder / SUMMARY_JSON
    write_json_atomic(summary_path, _summary(col, rows, models, pairs, audit, seeds, archs,
                                             notes))
    write_bytes_atomic(out, page.encode("utf-8"))
    return ReportResult(out, summary_path, tables, len(col.variants), col.runtimes,
                        len(rows) + len(models) + len(col.anomaly), figs.count, notes,
                        len(col.others), len(col.anomaly_models), describe(col))


def _counted(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def _named(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return f" ({shown}{', …' if len(names) > limit else ''})"


def describe(col: Collection) -> str:
    """What the report holds, in one line: zoo variants, models from outside the zoo and
    anomaly-detection models (by folder), and every runtime with a record. Example:
    ``2 variants, 1 other model (mine), 2 runtimes (float, tflm)``."""
    parts = []
    if col.variants:
        parts.append(_counted(len(col.variants), "variant"))
    if col.others:
        parts.append(_counted(len(col.others), "other model")
                     + _named([g.name for g in col.others]))
    if col.anomaly:
        names = col.anomaly_models
        parts.append(_counted(len(names), "anomaly-detection model") + _named(names))
    parts.append(_counted(len(col.runtimes), "runtime") + f" ({', '.join(col.runtimes)})")
    return ", ".join(parts)


REPORT_MARK = b"<title>tinyedge report</title>"


def _check_ours(out: Path) -> None:
    """A report replaces ``out``: refuse an existing file that is not a tinyedge report."""
    if not out.exists():
        return
    if not out.is_file():
        raise TinyedgeError(f"--out {out} is not a regular file; pass a new file name such "
                            f"as {REPORT_HTML}")
    with open(out, "rb") as fh:
        head = fh.read(4096)
    if REPORT_MARK not in head:
        raise TinyedgeError(f"--out {out} exists and is not a tinyedge report; refusing to "
                            "replace it — pass a new file name")


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else clean(row.get(k)) for k in columns})
    return buf.getvalue().encode("utf-8")


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    return clean(obj)


# --- per architecture, across widths ------------------------------------------------------


def _arch_summary(variants: list[Variant], rows: list[dict], notes: list[str]) -> dict:
    arch = variants[0].arch
    widths = sorted({v.width for v in variants})
    out: dict[str, Any] = {"widths": widths, "width_rows": _width_rows(variants),
                           "scaling": {}, "jaccard": {}, "classes": {}}
    if len(widths) < 2:
        notes.append(f"{arch}: one width only (w{widths[0]:g}); the cross-width analyses "
                     f"and plots need at least 2 widths")
        return out
    limited = [v.name for v in variants if (d := v.deployed()) and v.float_run
               and d.n < v.float_run.n]
    if limited:
        notes.append(f"{arch}: the deployed runs of {', '.join(limited)} cover fewer images "
                     f"than float (--limit); their accuracy is on that subset")
    for kind in KINDS:
        out["scaling"][kind] = scaling(variants, kind, notes)
        out["jaccard"][kind] = cross_width_jaccard(variants, kind)
        out["classes"][kind] = class_accuracy_by_width(variants, kind)
    out["series"] = {
        column: {kind: size_series(rows, variants, kind, column) for kind in KINDS}
        for column in ("top1", "ece", "gini", *(f"bottom{k}" for k in BOTTOM_KS))
    }
    return out


def _width_rows(variants: list[Variant]) -> list[dict[str, Any]]:
    out = []
    for v in variants:
        f, d = v.float_run, v.deployed()
        both = f is not None and d is not None and v.comparable(f, d)
        cmp = compare(f, d) if both else {}
        out.append({"variant": v.name, "params": v.params,
                    "float_top1": None if f is None else _top1(f),
                    "float_n": None if f is None else f.n,
                    "deployed": None if d is None else d.runtime,
                    "deployed_top1": None if d is None else _top1(d),
                    "deployed_n": None if d is None else d.n,
                    "jaccard": cmp.get("jaccard"),
                    "jaccard_independent": cmp.get("jaccard_independent")})
    return out


def _top1(run) -> float:
    return float(np.mean(run.record.pred == run.record.labels))


# --- summary.json -------------------------------------------------------------------------


def _summary(col: Collection, rows, models, pairs, audit, seeds, archs, notes
             ) -> dict[str, Any]:
    across = {}
    for arch, a in archs.items():
        across[arch] = {
            "widths": a["widths"],
            "by_width": a["width_rows"],
            "scaling": a["scaling"],
            "cross_width_jaccard": {
                kind: None if m is None else {"widths": m.widths, "matrix": m.values}
                for kind, m in a["jaccard"].items()},
        }
    return _jsonable({
        "tinyedge": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "results_dir": str(col.root),
        "variants": [{"name": v.name, "arch": v.arch, "width": v.width, "seed": v.seed,
                      "params": v.params, "runtimes": list(v.runs)} for v in col.variants],
        "other_models": [{"name": g.name, "runtimes": list(g.runs)} for g in col.others],
        "runtimes": col.runtimes, "contents": describe(col),
        "rows": rows, "model_rows": models, "pairs": pairs, "audit": audit, "seeds": seeds,
        "across_widths": across, "notes": notes, "warnings": col.warnings,
        "anomaly": sections.anomaly_rows(col.anomaly),
    })


# --- the page -----------------------------------------------------------------------------


def _render(col: Collection, rows, models, pairs, audit, seeds, archs, notes,
            figs: _Figures) -> str:
    by_key = {(r["variant"], r["runtime"]): r for r in rows}
    pair_key = {(p["variant"], p["b"]): p for p in pairs}
    v_entries, v_body = [], []
    images = Images(project_root_of(col.root))
    for v in col.variants:  # first: their notes (a missing build, dataset) join the overview's
        e, html = sections.variant_section(
            v, {rt: by_key[(v.name, rt)] for rt in v.runs},
            {rt: pair_key[(v.name, rt)] for rt in v.runs if (v.name, rt) in pair_key},
            _details(v, col, images, notes, figs))
        v_entries.append(e)
        v_body.append(html)
    o_entries, o_body = [], []
    for group in col.others:  # models from outside the zoo, also before the overview
        e, html = sections.other_model_section(
            group, [r for r in models if r["model"] == group.name],
            _details(group, col, images, notes, figs),
            {rt: pair_key[(group.name, rt)] for rt in group.runs if (group.name, rt) in pair_key})
        o_entries.append(e)
        o_body.append(html)
    entries, body = [h.TocEntry("overview", "Overview")], [_overview(col, notes)]
    if col.variants:  # the zoo's sections: nothing to show without a variant
        entries.append(h.TocEntry("costs", "Accuracy and cost"))
        body.append(h.section("costs", "Accuracy and cost", _costs_html(col, rows, figs)))
        entries.append(h.TocEntry("variants", "Float vs int8 per variant", v_entries))
        body.append(h.section("variants", "Float vs int8 per variant", "".join(v_body)))
        w_entries, w_body = [], []
        for arch, a in archs.items():
            anchor = sections.anchor("widths", arch)
            w_entries.append(h.TocEntry(anchor, arch))
            arch_seeds = [s for s in seeds if s["arch"] == arch]
            w_body.append(h.section(anchor, arch, _arch_html(arch, a, arch_seeds, col, figs),
                                    3))
        entries.append(h.TocEntry("widths", "Across widths", w_entries))
        body.append(h.section("widths", "Across widths", "".join(w_body)))
    if col.others:
        entries.append(h.TocEntry("others", "Other models", o_entries))
        body.append(h.section("others", "Other models", h.note(
            "Models from outside the zoo: results folders not named "
            "<arch>-w<width>-s<seed>, as `tinyedge evaluate --model any.tflite --data F.npz` "
            "writes them; a model paired with its float model (`tinyedge export --model` or "
            "--float-model) is compared with it as a zoo variant is. Each run says which "
            "model file (sha256) and which data it evaluated.") + "".join(o_body)))
    if col.anomaly:
        entries.append(h.TocEntry("anomaly", "Anomaly detection"))
        body.append(h.section("anomaly", "Anomaly detection",
                              sections.anomaly_table(sections.anomaly_rows(col.anomaly))))
    if col.variants or col.others:
        entries.append(h.TocEntry("audit", "Runtime audit"))
        body.append(h.section("audit", "Runtime audit", _audit_html(audit)))
    entries.append(h.TocEntry("definitions", "Definitions"))
    body.append(h.section("definitions", "Definitions", sections.DEFINITIONS))
    intro = h.note(f"{describe(col)}. Generated by tinyedge {__version__} from {col.root}.")
    intro = sections.warning_banner(col.warnings) + intro
    return h.page("tinyedge report", intro, entries, "".join(body))


def _overview(col: Collection, notes: list[str]) -> str:
    files = h.note(f"Tables next to this page: {', '.join((SUMMARY_JSON, *REPORT_TABLES))}.")
    if not col.variants:
        kinds = [f'<a href="#{anchor}">{title}</a>' for anchor, title, there in (
            ("others", "Other models", col.others),
            ("anomaly", "Anomaly detection", col.anomaly)) if there]
        return h.section("overview", "Overview", (
            "<p>No zoo variant (an &lt;arch&gt;-w&lt;width&gt;-s&lt;seed&gt; folder) holds a "
            f"classifier record here; see {' and '.join(kinds)}.</p>")
            + files + sections.notes_list(notes))

    def cell(v: Variant, rt: str) -> str:
        if rt not in v.runs:
            return sections.DASH
        run = v.runs[rt]
        # a run on fewer images than the variant's others says so next to its figure
        fewer = run.n < max(r.n for r in v.runs.values())
        return h.esc(sections.pct(_top1(run))) + (
            f' <span class="tag">n = {run.n:,}</span>' if fewer else "")

    variant_runtimes = runtime_order({k for v in col.variants for k in v.runs})
    table = h.table(["variant", "params", "images", *variant_runtimes], [
        [h.esc(v.name), sections.count(v.params),
         sections.count(max(r.n for r in v.runs.values())),
         *(cell(v, rt) for rt in variant_runtimes)] for v in col.variants], raw=True)
    subset = h.note("A figure tagged n = … is on that many images only (--limit), not on the "
                    "images of its row; the tables below compare runs on the images both "
                    "hold and state that number.") if any(
        len({r.n for r in v.runs.values()}) > 1 for v in col.variants) else ""
    return h.section("overview", "Overview", "<p>Top-1 accuracy of every variant's record:</p>"
                     + table + subset + files + sections.notes_list(notes))


def _costs_html(col: Collection, rows: list[dict], figs: _Figures) -> str:
    """Accuracy next to latency, energy, peak RAM and flash for every record, then per
    architecture the accuracy-vs-cost Pareto plots across widths."""
    out = [h.note("Cost figures come from device runs (device.json); host runtimes have "
                  "accuracy only."), dh.cost_table(rows)]
    for arch in col.archs():
        out.append(f"<h3>{h.esc(arch)}</h3>" + dh.pareto_html(arch, rows, col.of_arch(arch),
                                                                 figs))
    return "".join(out)


def _details(v: RunGroup, col: Collection, images: Images, notes: list[str],
             figs: _Figures) -> str:
    """Calibration, classes, which inputs flipped, and each device run's per-layer profile
    and memory, as sub-sections of the variant (or of a model from outside the zoo)."""
    parts = [dh.reliability_html(v, figs), dh.class_html(v)]
    view = flip_view(v)
    if view is not None:
        parts.append(h.section(sections.anchor("flips", v.name), "Which inputs flipped",
                               dh.flips_html(view, images, figs), 4))
    for run in v.runs.values():
        if run.device is None:
            continue
        memory, why = build_memory(run, col.root)
        if why:
            notes.append(why)
        body = dh.profile_html(run, memory, figs) + dh.memory_html(run, memory, figs)
        if body:
            parts.append(h.section(sections.anchor("device", v.name, run.runtime),
                                   f"On the device: {run.runtime}", body, 4))
    return "".join(parts)


def _arch_html(arch: str, a: dict, seeds: list[dict], col: Collection, figs: _Figures) -> str:
    out = [sections.width_table(a["width_rows"])]
    if "series" not in a:
        out.append(h.note("One width only: the scaling fit and cross-width plots are skipped."))
        return "".join(out)
    out.append(sections.scaling_table(a["scaling"]))
    out.append(figs.embed(_scaling_png(arch, a), f"error vs parameters, {arch}",
                          "Top-1 error vs parameters (log-log) with least-squares power-law "
                          "fits; seeds averaged per size."))
    for kind in KINDS:
        m = a["jaccard"].get(kind)
        if m is not None:
            out.append(figs.embed(plots.matrix_heatmap(f"{arch} {kind}: error-set Jaccard "
                                                       f"between widths", m),
                                  f"cross-width Jaccard, {arch} {kind}",
                                  "Jaccard of the error sets of every pair of widths "
                                  "(lowest seed of each)."))
    panels = [(kind, m) for kind in KINDS if (m := a["classes"].get(kind)) is not None]
    if panels:
        names = _class_names(col, arch, panels[0][1].values.shape[1])
        out.append(figs.embed(plots.class_heatmap(panels, names),
                              f"per-class accuracy by width, {arch}",
                              "Per-class accuracy at each width, classes sorted hardest "
                              "first (mean over widths)."))
    s = a["series"]
    metrics = [("Gini of per-class accuracy", "gini", "Inequality across classes"),
               *((f"bottom-{k} class accuracy", f"bottom{k}", f"Mean accuracy of the {k} "
                  "least accurate classes") for k in BOTTOM_KS
                 if any(len(s[f"bottom{k}"][kind][0]) for kind in KINDS)),
               ("ECE (15 bins)", "ece", "Expected calibration error")]
    out.append(dh.panels([  # one panel per image: a narrow screen stacks them
        figs.embed(plots.metrics_vs_size(
            [(title, [plots.Series(kind, *s[column][kind]) for kind in KINDS])]),
            f"{title} vs size, {arch}", f"{what} vs parameters.")
        for title, column, what in metrics]))
    if seeds:
        out.append("<h4>Seeds</h4>" + sections.seed_table(seeds))
    return "".join(out)


def _scaling_png(arch: str, a: dict) -> bytes:
    series = []
    for kind in KINDS:
        r = a["scaling"].get(kind)
        if r is not None:
            series.append(plots.ScalingSeries(kind, np.array(r["params"]),
                                              np.array(r["error"]), r["alpha_mean_curve"],
                                              r["intercept"]))
        else:
            params, top1 = a["series"]["top1"][kind]
            if len(params):
                series.append(plots.ScalingSeries(kind, params, 1 - top1, None, None))
    return plots.scaling_plot(f"{arch}: error vs parameters", series)


def _class_names(col: Collection, arch: str, n: int) -> list[str]:
    for v in col.of_arch(arch):
        for run in v.runs.values():
            names = run.metrics.get("class_names")
            if isinstance(names, list) and len(names) == n:
                return [str(x) for x in names]
    return [str(i) for i in range(n)]


def _audit_html(audit: list[dict]) -> str:
    if not audit:
        return h.note("No variant has two int8 runtimes to compare.")
    return (h.note("Pairs of int8 runtimes of the same model: they differ only by rounding "
                   "in their kernels. Differing output bytes are counted over all logits.")
            + sections.audit_table(audit))
