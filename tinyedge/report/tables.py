"""Summary rows of the report, one dict per row (JSON- and CSV-ready; None = undefined).

* :func:`variant_rows` — one row per variant × runtime: accuracy, calibration, how
  evenly accuracy spreads over classes, and the device's cost (latency, RAM, flash, energy).
* :func:`pair_rows` — float vs each int8 runtime of a variant: error-set Jaccard with its
  two baselines, flips and top-1 agreement (SPEC §7 "float vs deployed int8"), and how
  close the dequantized logits are to the float ones (L2 relative error, cosine, RMSE, MAE).
* :func:`audit_rows` — every pair of int8 runtimes of a variant (or of a model from outside
  the zoo): how many output bytes differ, and the same error-set statistics (SPEC §7
  "runtime audit").
* :func:`model_rows` — one row per run of a model from outside the zoo
  (:attr:`Collection.others`): accuracy and device cost as in :func:`variant_rows`, with
  what the run evaluated (model sha256, image set, ``--data`` file) instead of arch/width.

Pairs are computed on the images both runs hold (``n`` says how many) and only for runs
that are comparable (:attr:`Variant.unpaired` lists the others, with the reason).
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

import numpy as np

from tinyedge.analysis import (
    class_extremes,
    error_mask,
    expected_calibration_error,
    flips,
    gini,
    jaccard,
    jaccard_containment_baseline,
    jaccard_independent_baseline,
    mean_confidence_split,
    null_gini,
    per_class_accuracy,
    top_k_accuracy,
)
from tinyedge.analysis.similarity import logit_similarity
from tinyedge.records import ECE_BINS
from tinyedge.report.collect import Collection, Provenance, Run, RunGroup, Variant, aligned

BOTTOM_KS = (5, 10, 20)  # SPEC §7


def shown_ks(classes: int) -> list[int]:
    """The bottom-k the report shows: k = 5, 10, 20 below the number of classes (the mean
    of all classes is no "bottom"); the others are None in the rows."""
    return [k for k in BOTTOM_KS if k < classes]

VARIANT_COLUMNS = (
    "variant", "arch", "width", "seed", "params", "runtime", "n", "top1", "top5", "ece",
    "mean_confidence_correct", "mean_confidence_wrong", "gini", "gini_null_mean",
    "gini_null_high", "bottom5", "bottom10", "bottom20", "latency_s", "latency_basis", "counter",
    "median_count", "peak_ram_bytes", "flash_bytes", "energy_j", "energy_method", "emulated",
    "clock_hz", "clock_reported_by",
)
PAIR_COLUMNS = (
    "variant", "arch", "width", "seed", "params", "a", "b", "n", "error_a", "error_b",
    "jaccard", "jaccard_independent", "jaccard_containment", "correct_to_wrong",
    "wrong_to_correct", "agreement", "l2_relative_error", "cosine_similarity", "rmse", "mae",
)
PROVENANCE_COLUMNS = ("model_sha256", "dataset", "split", "images_sha256", "data_path")
MODEL_COLUMNS = (
    "model", "runtime", "n", "top1", "top5", "ece", "mean_confidence_correct",
    "mean_confidence_wrong", "gini", "gini_null_mean", "gini_null_high",
    *(f"bottom{k}" for k in BOTTOM_KS), "latency_s", "latency_basis", "counter", "median_count",
    "peak_ram_bytes", "flash_bytes", "energy_j", "energy_method", "emulated", "clock_hz",
    "clock_reported_by", *PROVENANCE_COLUMNS,
)
AUDIT_COLUMNS = (
    "variant", "a", "b", "n", "bytes_differ", "images_differ", "same_quantization",
    "jaccard", "correct_to_wrong", "wrong_to_correct", "agreement",
)


def clean(value: Any) -> Any:
    """NaN/inf → None and numpy scalars → Python (JSON has no NaN)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def num_classes(run: Run) -> int:
    return int(run.metrics.get("num_classes") or run.record.logits.shape[1])


def class_accuracy(run: Run) -> np.ndarray:
    """Per-class accuracy recomputed from the record (NaN for a class with no images)."""
    return per_class_accuracy(run.record.labels, run.record.pred, num_classes(run))


def accuracy_figures(run: Run) -> dict[str, Any]:
    """top-1/top-5, ECE, confidence split, Gini with its binomial null, bottom-k."""
    rec = run.record
    probs = rec.probabilities()
    c = num_classes(run)
    per_class = class_accuracy(run)
    top1 = float(np.mean(rec.pred == rec.labels))
    split = mean_confidence_split(rec.labels, probs)
    extremes = class_extremes(per_class, BOTTOM_KS, nan="omit")
    null = null_gini(top1, max(1, round(run.n / c)), c, n_sim=500)
    return {
        "n": run.n,
        "top1": top1,
        "top5": top_k_accuracy(rec.labels, rec.real_logits(), 5) if c >= 5 else None,
        "ece": expected_calibration_error(rec.labels, probs, ECE_BINS),
        "mean_confidence_correct": split.correct,
        "mean_confidence_wrong": split.wrong,
        "gini": gini(per_class, nan="omit"),
        "gini_null_mean": null.mean,
        "gini_null_high": null.high,
        **{f"bottom{k}": extremes.get(f"bottom{k}") if k in shown_ks(c) else None
           for k in BOTTOM_KS},
    }


def device_figures(run: Run) -> dict[str, Any]:
    """Latency, peak RAM, flash and energy from ``device.json`` (None off-device)."""
    d = run.device or {}
    energy = d.get("energy") or {}
    per_inf = d.get("per_inference") or {}
    return {
        "latency_s": d.get("latency_s"),
        "latency_basis": d.get("latency_basis"),
        "counter": d.get("counter"),
        "median_count": per_inf.get("median"),
        "peak_ram_bytes": (d.get("ram") or {}).get("peak_bytes"),
        "flash_bytes": (d.get("flash") or {}).get("used_bytes"),
        "energy_j": energy.get("joules_per_inference"),
        "energy_method": energy.get("method"),
        "emulated": d.get("emulated"),
        "clock_hz": (d.get("clock") or {}).get("hz"),
        "clock_reported_by": (d.get("clock") or {}).get("reported_by"),
    }


def provenance_fields(p: Provenance) -> dict[str, Any]:
    """What a run evaluated, as row fields: the int8 model file's sha256 and the image set
    (dataset — the file's name for ``--data`` —, split, sha256, the ``--data`` path)."""
    dataset, split, sha = p.images or (p.dataset, None, None)
    # a float run of the user's own float model shows that model's sha256
    return {"model_sha256": p.model_sha256 or p.checkpoint_sha256, "dataset": dataset,
            "split": split,
            "images_sha256": sha, "data_path": p.data_path}


def model_rows(collection: Collection) -> list[dict[str, Any]]:
    """One row per run of every model from outside the zoo."""
    rows = []
    for group in collection.others:
        for run in group.runs.values():
            row = {"model": group.name, "runtime": run.runtime, **accuracy_figures(run),
                   **device_figures(run), **provenance_fields(run.provenance)}
            rows.append({k: clean(row.get(k)) for k in MODEL_COLUMNS})
    return rows


def _ident(v: RunGroup) -> dict[str, Any]:
    """A pair row's model columns: a zoo variant's, or a model from outside the zoo's name
    (arch, width and seed empty)."""
    if not isinstance(v, Variant):
        return {"variant": v.name}
    return {"variant": v.name, "arch": v.arch, "width": v.width, "seed": v.seed,
            "params": v.params}


def variant_rows(collection: Collection) -> list[dict[str, Any]]:
    rows = []
    for v in collection.variants:
        for run in v.runs.values():
            row = {**_ident(v), "runtime": run.runtime, **accuracy_figures(run),
                   **device_figures(run)}
            rows.append({k: clean(row.get(k)) for k in VARIANT_COLUMNS})
    return rows


def compare(a: Run, b: Run) -> dict[str, Any]:
    """Error-set statistics of two runs over the images both evaluated (``n`` of them)."""
    al = aligned(a, b)
    n = al.n
    labels = a.record.labels[al.rows[0]]
    pa, pb = a.record.pred[al.rows[0]], b.record.pred[al.rows[1]]
    ma, mb = error_mask(labels, pa), error_mask(labels, pb)
    ea, eb = float(ma.mean()), float(mb.mean())
    f = flips(labels, pa, pb)
    return {
        "a": a.runtime, "b": b.runtime, "n": n, "error_a": ea, "error_b": eb,
        "jaccard": jaccard(ma, mb),
        "jaccard_independent": jaccard_independent_baseline(ea, eb),
        "jaccard_containment": jaccard_containment_baseline(ea, eb),
        "correct_to_wrong": f.correct_to_wrong, "wrong_to_correct": f.wrong_to_correct,
        "agreement": f.agreement,
    }


def logit_figures(a: Run, b: Run) -> dict[str, Any]:
    """Output similarity of ``b``'s logits to ``a``'s (float) on the common images, on the
    real scale (int8 dequantized): L2 relative error, cosine, RMSE, MAE
    (:mod:`tinyedge.analysis.similarity`); None when the class counts differ."""
    if a.record.logits.shape[1] != b.record.logits.shape[1]:
        return {}
    al = aligned(a, b)
    s = logit_similarity(a.record.real_logits()[al.rows[0]],
                         b.record.real_logits()[al.rows[1]])
    return {"l2_relative_error": s.l2_relative_error, "cosine_similarity": s.cosine_similarity,
            "rmse": s.rmse, "mae": s.mae}


def pair_rows(collection: Collection) -> list[dict[str, Any]]:
    """Float vs every comparable int8 run of each zoo variant and each other model that
    has a float record (the user's float model paired by ``--float-model`` or export)."""
    rows = []
    for v in (*collection.variants, *collection.others):
        if v.float_run is None:
            continue
        for run in v.int8_runs:
            if not v.comparable(v.float_run, run):
                continue
            row = {**_ident(v), **compare(v.float_run, run), **logit_figures(v.float_run, run)}
            rows.append({k: clean(row.get(k)) for k in PAIR_COLUMNS})
    return rows


def output_difference(a: Run, b: Run) -> tuple[int | None, int | None, bool]:
    """(differing output bytes, images with any differing byte, same quantization) over
    the common images; the counts are None unless both records are int8."""
    ra, rb = a.record, b.record
    if not (ra.is_quantized and rb.is_quantized) or ra.logits.shape[1] != rb.logits.shape[1]:
        return None, None, False
    al = aligned(a, b)
    differ = ra.logits[al.rows[0]] != rb.logits[al.rows[1]]
    same_q = (ra.output_scale == rb.output_scale
              and ra.output_zero_point == rb.output_zero_point)
    return int(differ.sum()), int(differ.any(axis=1).sum()), same_q


def audit_rows(collection: Collection) -> list[dict[str, Any]]:
    rows = []
    for v in (*collection.variants, *collection.others):
        for a, b in combinations(v.int8_runs, 2):
            if not v.comparable(a, b):
                continue
            bytes_differ, images_differ, same_q = output_difference(a, b)
            row = {"variant": v.name, **compare(a, b), "bytes_differ": bytes_differ,
                   "images_differ": images_differ, "same_quantization": same_q}
            rows.append({k: clean(row.get(k)) for k in AUDIT_COLUMNS})
    return rows
