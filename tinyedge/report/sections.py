"""The report's sections as HTML fragments, from the rows and figures that
:mod:`tinyedge.report.build` computed (no analysis here, only presentation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tinyedge.report import html as h
from tinyedge.report.collect import AnomalyRun, RunGroup, Variant
from tinyedge.report.tables import BOTTOM_KS, device_figures, provenance_fields
from tinyedge.report.widths import KINDS

DASH = "—"


def pct(x: float | None) -> str:
    return DASH if x is None else f"{100 * x:.2f} %"


def num(x: float | None, digits: int = 3) -> str:
    return DASH if x is None else f"{x:.{digits}f}"


def count(x: int | None) -> str:
    return DASH if x is None else f"{x:,}"


def kib(x: int | None) -> str:
    return DASH if x is None else f"{x / 1024:,.1f} KiB"


def latency(row: dict[str, Any]) -> str:
    if row["latency_s"] is None:
        return DASH
    text = f"{1000 * row['latency_s']:,.2f} ms"
    if row.get("clock_hz"):  # the clock the latency was computed at, and who said so
        text += f" at {row['clock_hz'] / 1e6:,.0f} MHz"
        if row.get("clock_reported_by"):
            text += f" ({h.esc(str(row['clock_reported_by']))})"
    return text + (' <span class="tag">emulated</span>' if row["emulated"] else "")


def energy(row: dict[str, Any]) -> str:
    if row["energy_j"] is None:
        return DASH
    joules = row["energy_j"]
    text = f"{1e3 * joules:,.2f} mJ" if joules >= 1e-3 else f"{1e6 * joules:,.1f} µJ"
    method = row["energy_method"]
    return text + (f' <span class="tag">{h.esc(method)}</span>' if method else "")


def two(row: dict[str, Any], a: str, b: str, sep: str = " / ") -> str:
    return f"{num(row[a])}{sep}{num(row[b])}"


def anchor(*parts: str) -> str:
    return "-".join(p.replace(".", "_") for p in parts)


def variant_table(v: RunGroup, rows: dict[str, dict], pairs: dict[str, dict]) -> str:
    """Metrics as rows, runtimes as columns (float first), so runtimes sit side by side."""
    runtimes = list(v.runs)

    def line(label: str, fn) -> list[str]:
        return [h.esc(label), *(fn(rt) for rt in runtimes)]

    def vs_float(fn):
        return lambda rt: fn(pairs[rt]) if rt in pairs else DASH

    lines = [
        line("images", lambda rt: count(rows[rt]["n"])),
        line("top-1 accuracy", lambda rt: pct(rows[rt]["top1"])),
        line("top-5 accuracy", lambda rt: pct(rows[rt]["top5"])),
        line("ECE (15 bins)", lambda rt: num(rows[rt]["ece"])),
        line("mean confidence right / wrong",
             lambda rt: two(rows[rt], "mean_confidence_correct", "mean_confidence_wrong")),
        line("Gini of per-class accuracy", lambda rt: num(rows[rt]["gini"])),
        line("Gini if only noise: mean, 97.5 % quantile",
             lambda rt: two(rows[rt], "gini_null_mean", "gini_null_high", ", ")),
        *(line(f"bottom-{k} class accuracy", lambda rt, k=k: pct(rows[rt][f"bottom{k}"]))
          for k in BOTTOM_KS if any(rows[rt][f"bottom{k}"] is not None for rt in runtimes)),
        line("error-set Jaccard vs float", vs_float(lambda p: num(p["jaccard"]))),
        line("… if independent / if nested", vs_float(
            lambda p: f"{num(p['jaccard_independent'])} / {num(p['jaccard_containment'])}")),
        line("flips vs float: right→wrong / wrong→right", vs_float(
            lambda p: f"{p['correct_to_wrong']} / {p['wrong_to_correct']}")),
        line("top-1 agreement with float", vs_float(lambda p: pct(p["agreement"]))),
        line("logits vs float: L2 relative error / cosine", vs_float(
            lambda p: f"{num(p['l2_relative_error'], 4)} / {num(p['cosine_similarity'], 4)}")),
        line("logits vs float: RMSE / MAE", vs_float(
            lambda p: f"{num(p['rmse'], 4)} / {num(p['mae'], 4)}")),
        line("float top-1 on the same images", vs_float(lambda p: pct(1 - p["error_a"]))),
        line("latency per inference", lambda rt: latency(rows[rt])),
        line("peak RAM", lambda rt: kib(rows[rt]["peak_ram_bytes"])),
        line("flash used", lambda rt: kib(rows[rt]["flash_bytes"])),
        line("energy per inference", lambda rt: energy(rows[rt])),
    ]
    return h.table(["", *runtimes], lines, raw=True)


def variant_section(v: Variant, rows: dict[str, dict], pairs: dict[str, dict],
                    details: str) -> tuple[h.TocEntry, str]:
    """The variant's heading, its runtimes side by side, then ``details`` (the HTML of
    its calibration, classes, flipped inputs and device sections)."""
    a = anchor("variant", v.name)
    params = f"{v.params:,} parameters" if v.params is not None else "parameters unknown"
    limited = sorted({r.n for r in v.runs.values()})
    body = [h.note(f"{v.arch}, width {v.width:g}, seed {v.seed}, {params}; "
                   f"runtimes: {', '.join(v.runs)}.")]
    if len(limited) > 1:
        body.append(h.note("Runs cover different numbers of images (--limit); comparisons "
                           "with float use the images both evaluated."))
    body += [variant_table(v, rows, pairs), details]
    return h.TocEntry(a, v.name), h.section(a, v.name, "".join(body), level=3)


def scaling_table(reports: dict[str, dict | None]) -> str:
    rows = []
    for kind in KINDS:
        r = reports.get(kind)
        if r is None:
            continue
        alpha = num(r["alpha"], 3) + ("" if r["alpha_std"] is None
                                      else f" ± {num(r['alpha_std'], 3)}")
        # fewer than 3 sizes: no R² and no verdict (a line through 2 points always fits)
        needs = f"— ({r['note']})" if r.get("note") else DASH
        rows.append([kind, str(r["n_sizes"]), str(len(r["seeds"])), alpha,
                     needs if r["r2"] is None else num(r["r2"], 3),
                     "  ".join(num(e, 3) for e in r["local_exponents"]),
                     r["verdict"] or needs])
    if not rows:
        return h.note("No scaling fit (see the notes).")
    return h.table(["model", "sizes", "seeds", "α (e ∝ N^−α)", "R²",
                    "local exponents (small → large)", "best model"], rows)


def width_table(rows: Sequence[dict[str, Any]]) -> str:
    body = [[r["variant"], count(r["params"]), pct(r["float_top1"]), count(r["float_n"]),
             r["deployed"] or DASH, pct(r["deployed_top1"]), count(r["deployed_n"]),
             num(r["jaccard"]), num(r["jaccard_independent"])] for r in rows]
    return h.table(["variant", "params", "float top-1", "on images", "deployed on",
                    "deployed top-1", "on images", "Jaccard float vs deployed (common images)",
                    "if independent"], body)


def seed_table(rows: Sequence[dict[str, Any]]) -> str:
    body = [[f"w{r['width']:g}", r["kind"], str(r["seeds"]),
             f"{num(r['mean'])} ± {num(r['std'])}",
             f"[{num(r['ci_low'])}, {num(r['ci_high'])}]"] for r in rows]
    return h.table(["width", "model", "seeds", "seed-pair Jaccard mean ± std",
                    "bootstrap 95 % CI over pairs"], body)


def audit_table(rows: Sequence[dict[str, Any]]) -> str:
    body = []
    for r in rows:
        differ = DASH if r["bytes_differ"] is None else (
            f"{r['bytes_differ']:,} in {r['images_differ']:,} images")
        body.append([f"{r['variant']}: {r['a']} vs {r['b']}", count(r["n"]), differ,
                     num(r["jaccard"]), f"{r['correct_to_wrong']} / {r['wrong_to_correct']}",
                     pct(r["agreement"])])
    return h.table(["variant: runtimes", "images", "differing output bytes", "Jaccard",
                    "flips R→W / W→R", "agreement"], body)


def warning_banner(warnings: Sequence[str]) -> str:
    """The top-of-page banner for records that must not be read together."""
    if not warnings:
        return ""
    items = "".join(f"<li>{h.esc(w)}</li>" for w in warnings)
    return (f'<div class="warning" role="alert"><strong>Warning: records of one variant '
            f'disagree on the model.</strong><ul>{items}</ul></div>')


def notes_list(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    return "<ul>" + "".join(f'<li class="muted">{h.esc(n)}</li>' for n in notes) + "</ul>"


DEFINITIONS = """
<p>Error set E = images whose top-1 prediction is wrong. <b>Jaccard</b> = |E_A ∩ E_B| / |E_A ∪
E_B|; "if independent" is the Jaccard expected if the two models erred independently at their
error rates, "if nested" the largest possible (the smaller error set inside the larger).
<b>Flips</b> count images that change from right to wrong and wrong to right between two
models. <b>ECE</b>: expected calibration error over 15 equal-width bins of the maximum
class probability: the softmax of the logits (int8: of the dequantized logits), or the
outputs themselves for a model that outputs probabilities (a final SOFTMAX or LOGISTIC,
never softmaxed twice). <b>Gini</b> of the per-class
accuracy vector: 0 = all classes equally accurate; the noise-only value is the Gini expected
if every class had the model's accuracy and only sampling varied. <b>Logits vs float</b>
(r = float logits, x = dequantized int8 logits, over all images × classes): L2 relative
error ‖x − r‖ / ‖r‖, cosine ⟨r, x⟩ / (‖r‖ ‖x‖), RMSE and MAE of x − r.
<b>Bottom-k</b>: mean
accuracy of the k least accurate classes. <b>α</b>: least-squares slope of log error vs log
parameters; local exponents are the slopes between adjacent sizes. <b>Deployed</b>: the
device run when there is one, else TFLite Micro or the native build (identical byte for
byte), whichever covers more images. Latency on an emulator counts instructions
at one per cycle at the board clock; energy is estimated from the datasheet run current.</p>
"""


def anomaly_rows(runs: Sequence[AnomalyRun]) -> list[dict[str, Any]]:
    """One row per anomaly record: its score figures and ROC AUC, the device's latency
    and peak RAM (device runs), and what it evaluated (summary.json too)."""
    return [{"variant": r.variant, "runtime": r.runtime, "n": r.metrics["n"],
             "n_normal": r.metrics.get("n_normal"), "n_anomalous": r.metrics.get("n_anomalous"),
             "mean_score": r.metrics["mean_score"], "median_score": r.metrics["median_score"],
             "auc": r.metrics.get("auc"),
             **{k: v for k, v in device_figures(r).items()
                if k in ("latency_s", "emulated", "clock_hz", "clock_reported_by",
                         "peak_ram_bytes", "energy_j", "energy_method")},
             **provenance_fields(r.provenance)} for r in runs]


def anomaly_table(rows: Sequence[dict[str, Any]]) -> str:
    """Reconstruction models: score and AUC per runtime instead of top-1/ECE/Gini."""
    table = h.table(
        ["model", "runtime", "inputs", "normal / anomalous", "mean MSE", "median MSE",
         "ROC AUC", "latency per inference", "peak RAM", "model sha256", "data"],
        [[h.esc(r["variant"]), h.esc(r["runtime"]), count(r["n"]),
          f"{count(r['n_normal'])} / {count(r['n_anomalous'])}",
          f"{r['mean_score']:.6g}", f"{r['median_score']:.6g}", num(r["auc"]),
          latency(r), kib(r["peak_ram_bytes"]), short_sha(r),
          data_cell(r)] for r in rows], raw=True)
    return ("<p>Reconstruction (anomaly-detection) models have no classes: each input's "
            "anomaly score is the mean squared error between the dequantised output and "
            "the dequantised input; ROC AUC ranks anomalous (label 1) above normal (label "
            "0) inputs, — when the data holds only one kind. Records of one model compare "
            "only where they ran the same model file on the same data.</p>" + table)


def short_sha(row: dict[str, Any]) -> str:
    """The model file's sha256, shortened, with the whole hash as a tooltip."""
    sha = row.get("model_sha256")
    return DASH if not sha else f'<span title="{h.esc(sha)}">{h.esc(sha[:12])}…</span>'


def data_cell(row: dict[str, Any]) -> str:
    """What a run evaluated: the dataset (a --data file by its name) and split, the hash
    of the image set, and the --data file's path."""
    if not row.get("dataset"):
        return DASH
    text = h.esc(row["dataset"])
    if row.get("split"):
        text += f" ({h.esc(row['split'])})"
    if row.get("images_sha256"):
        text += (f' <span class="muted" title="{h.esc(row["images_sha256"])}">sha256 '
                 f'{h.esc(row["images_sha256"][:12])}…</span>')
    if row.get("data_path") and row["data_path"] != row["dataset"]:
        text += f' <span class="muted">{h.esc(row["data_path"])}</span>'
    return text


def other_model_section(group: RunGroup, rows: Sequence[dict[str, Any]], details: str,
                        pairs: dict[str, dict] | None = None) -> tuple[h.TocEntry, str]:
    """A model from outside the zoo: with a float record (the user's float model), its
    runtimes side by side with every float-vs-deployed figure a zoo variant gets
    (``pairs``: float vs each int8 run); then each run's accuracy, device cost and
    provenance, then ``details`` (calibration, classes, flipped inputs, each device run's
    profile and memory)."""
    a = anchor("model", group.name)
    side_by_side = ""
    if group.float_run is not None and pairs:
        by_runtime = {r["runtime"]: r for r in rows}
        side_by_side = (h.note("Float (your float model) vs each int8 runtime, on the images "
                               "both records hold:")
                        + variant_table(group, by_runtime, pairs))
    table = h.table(
        ["runtime", "images", "top-1 accuracy", "top-5 accuracy", "ECE (15 bins)",
         "Gini of per-class accuracy", "latency per inference", "peak RAM", "flash used",
         "energy per inference", "model sha256", "data"],
        [[h.esc(r["runtime"]), count(r["n"]), pct(r["top1"]), pct(r["top5"]), num(r["ece"]),
          num(r["gini"]), latency(r), kib(r["peak_ram_bytes"]),
          kib(r["flash_bytes"]), energy(r), short_sha(r), data_cell(r)] for r in rows],
        raw=True)
    body = [h.note(f"Results folder {group.name}/; runtimes: {', '.join(group.runs)}."),
            side_by_side, table]
    if group.unpaired:
        body.append(h.note("Runs that ran another model file or other data are not "
                           "compared (see the notes)."))
    body.append(details)
    return h.TocEntry(a, group.name), h.section(a, group.name, "".join(body), level=3)
