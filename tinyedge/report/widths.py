"""Across widths, per architecture: scaling fits, cross-width error-set Jaccard, per-class
accuracy by width, and seed-pair Jaccard where a width has several seeds.

Two *kinds* of model are compared at every width: ``float`` (the PyTorch record) and
``deployed`` (the int8 record that stands for deployment — a device if one was evaluated,
else TFLite Micro, see :meth:`Variant.deployed`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal, NamedTuple

import numpy as np

from tinyedge.analysis import error_mask, jaccard, seed_pair_jaccard
from tinyedge.analysis.scaling_table import ModelRow, scaling_report
from tinyedge.errors import TinyedgeError
from tinyedge.report.collect import Collection, Run, RunGroup, Variant, aligned, labels_agree
from tinyedge.report.tables import class_accuracy

Kind = Literal["float", "deployed"]
KINDS: tuple[Kind, ...] = ("float", "deployed")


class WidthMatrix(NamedTuple):
    widths: list[str]  # row/column labels, smallest width first
    values: np.ndarray  # (len(widths), len(widths)) or (len(widths), classes)


def run_of(v: RunGroup, kind: Kind) -> Run | None:
    return v.float_run if kind == "float" else v.deployed()


def by_width(variants: list[Variant]) -> dict[float, list[Variant]]:
    """Variants grouped by width (ascending), seeds ascending within a width."""
    groups: dict[float, list[Variant]] = defaultdict(list)
    for v in sorted(variants, key=lambda v: (v.width, v.seed)):
        groups[v.width].append(v)
    return dict(groups)


def scaling(variants: list[Variant], kind: Kind, notes: list[str]) -> dict[str, Any] | None:
    """:func:`scaling_report` of one architecture's ``kind`` runs (None, with a note, when
    it cannot be fitted: fewer than 2 sizes, unknown parameters, or zero error)."""
    arch = variants[0].arch
    rows = []
    for v in variants:
        run = run_of(v, kind)
        if run is None or v.params is None:
            continue
        accuracy = float(np.mean(run.record.pred == run.record.labels))
        if not 0.0 < accuracy < 1.0:
            notes.append(f"{arch} {kind}: {v.name} left out of the scaling fit "
                         f"(accuracy {accuracy:.3f}; log error needs 0 < error < 1)")
            continue
        rows.append(ModelRow(arch, v.width, float(v.params), v.seed, accuracy, 0))
    if not rows:
        return None
    try:
        report = scaling_report(rows)[arch]
    except TinyedgeError as exc:
        notes.append(f"{arch} {kind}: no scaling fit ({exc})")
        return None
    report["runtimes"] = {v.name: r.runtime for v in variants if (r := run_of(v, kind))}
    return report


def cross_width_jaccard(variants: list[Variant], kind: Kind) -> WidthMatrix | None:
    """Jaccard of the error sets of every pair of widths (lowest seed of each width) over
    their common images; None for fewer than 2 widths or labels that disagree."""
    picked = [(w, run) for w, vs in by_width(variants).items()
              if (run := run_of(vs[0], kind)) is not None]
    if len(picked) < 2 or not labels_agree([r for _, r in picked]):
        return None
    runs = [r for _, r in picked]
    masks = _error_masks(runs)
    values = np.array([[jaccard(a, b) for b in masks] for a in masks])
    return WidthMatrix([f"w{w:g}" for w, _ in picked], values)


def _error_masks(runs: list[Run]) -> list[np.ndarray]:
    """Each run's error mask over the images all of them hold, in one image order."""
    al = aligned(*runs)
    return [error_mask(r.record.labels[rows], r.record.pred[rows])
            for r, rows in zip(runs, al.rows, strict=True)]


def class_accuracy_by_width(variants: list[Variant], kind: Kind) -> WidthMatrix | None:
    """Per-class accuracy (mean over seeds) at each width, one row per width."""
    rows, labels = [], []
    for w, vs in by_width(variants).items():
        accs = [class_accuracy(r) for v in vs if (r := run_of(v, kind)) is not None]
        if accs and len({len(a) for a in accs}) == 1:
            with np.errstate(invalid="ignore"):
                rows.append(np.nanmean(np.vstack(accs), axis=0) if len(accs) > 1 else accs[0])
            labels.append(f"w{w:g}")
    if not rows or len({len(r) for r in rows}) != 1:
        return None
    return WidthMatrix(labels, np.vstack(rows))


def seed_rows(collection: Collection) -> list[dict[str, Any]]:
    """Seed-pair Jaccard (mean ± std, bootstrap CI over pairs) per arch × width × kind
    wherever a width has at least 2 seeds."""
    rows = []
    for arch in collection.archs():
        for width, vs in by_width(collection.of_arch(arch)).items():
            for kind in KINDS:
                runs = [r for v in vs if (r := run_of(v, kind)) is not None]
                if len(runs) < 2 or not labels_agree(runs):
                    continue
                masks = _error_masks(runs)
                n = len(masks[0])
                s = seed_pair_jaccard(masks, n_boot=2000)
                rows.append({"arch": arch, "width": width, "kind": kind, "seeds": len(runs),
                             "n": n, "mean": s.mean, "std": s.std, "ci_low": s.ci_low,
                             "ci_high": s.ci_high, "pairs": s.n_pairs})
    return rows


def size_series(rows: list[dict[str, Any]], variants: list[Variant], kind: Kind,
                column: str) -> tuple[np.ndarray, np.ndarray]:
    """(params, seed-mean of ``column``) of an architecture's ``kind`` runs by width,
    from :func:`tinyedge.report.tables.variant_rows` rows."""
    wanted = {v.name: v for v in variants if v.params is not None}
    runtime = {v.name: r.runtime for v in wanted.values() if (r := run_of(v, kind))}
    values: dict[float, list[float]] = defaultdict(list)
    for row in rows:
        name = row["variant"]
        if name in runtime and row["runtime"] == runtime[name] and row[column] is not None:
            values[float(wanted[name].params)].append(float(row[column]))
    sizes = sorted(values)
    return np.array(sizes), np.array([np.mean(values[s]) for s in sizes])
