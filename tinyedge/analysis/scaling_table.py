"""``tinyedge analyze scaling``: read a table of trained models and fit each architecture's
error-vs-size curve (SPEC §7 scaling).

The table is a CSV with the columns ``arch, width, params, seed`` and the top-1 accuracy
as a fraction in ``accuracy`` or ``top1``, one row per trained model; extra columns are
ignored. Both tables tinyedge writes qualify: ``tinyedge sweep``'s ``results.csv`` (and
``results_<runtime>.csv``) and ``tinyedge report``'s ``variants.csv``. A table with a
``runtime`` column (``variants.csv``: one row per model × runtime) is read for one runtime,
``float`` unless another is asked for.

Sizes: an architecture with one size is skipped with a note (nothing to fit); with two
sizes α is the slope between them, and R², the information criteria and the verdict are
None — a line through two points always fits, so they need ≥ 3 sizes (widths).

Seeds: α is fitted on each seed's own curve and reported as mean ± std over seeds (the
spread of α across training runs). R², the local exponents and the model selection use
the seed-mean error at each size, mean_s(1 − accuracy_s): averaging removes seed noise
that would otherwise make adjacent local exponents and the broken-law fit erratic. With one
seed both are the same curve and α is that single fit (``alpha_std`` is None). The mean
is of the error itself, over whichever seeds have a row at that size.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from tinyedge.analysis.scaling import (
    alpha_over_seeds,
    compare_scaling_models,
    local_exponents,
)
from tinyedge.errors import TinyedgeError
from tinyedge.layout import FLOAT_RUNTIME

COLUMNS = ("arch", "width", "params", "seed", "accuracy")
ACCURACY_COLUMNS = ("accuracy", "top1")  # sweep's results.csv, report's variants.csv
DEFAULT_RUNTIME = FLOAT_RUNTIME
MIN_SIZES_FIT = 2  # α is defined from 2 sizes
MIN_SIZES_R2 = 3  # R², AIC/BIC and the verdict: a line through 2 points always fits
NEEDS_SIZES = f"needs ≥ {MIN_SIZES_R2} widths"
MAX_TABLE_BYTES = 16 * 1024 * 1024  # a row per trained model: far below this
_FIX = ("the table needs the columns arch,width,params,seed and accuracy (or top1), one row "
        "per model")


class ModelRow(NamedTuple):
    arch: str
    width: float
    params: float
    seed: int
    accuracy: float
    line: int


def read_scaling_table(path: str | Path, runtime: str | None = None) -> list[ModelRow]:
    """Read and validate the table; any problem raises :class:`TinyedgeError` naming the
    line and column and saying how to fix it. ``runtime`` picks the rows of one runtime
    in a table with a ``runtime`` column (default ``float``)."""
    path = Path(path)
    if not path.exists():
        raise TinyedgeError(f"scaling table {path} does not exist; pass --table with a CSV "
                            f"file ({_FIX})")
    if path.is_dir():
        raise TinyedgeError(f"scaling table {path} is a folder; pass --table with a CSV "
                            f"file ({_FIX})")
    if not path.is_file():  # a FIFO or a device such as /dev/zero would hang the reader
        raise TinyedgeError(f"scaling table {path} is not a regular file; pass --table with "
                            f"a CSV file ({_FIX})")
    if path.stat().st_size > MAX_TABLE_BYTES:
        raise TinyedgeError(f"scaling table {path} is {path.stat().st_size:,} bytes, more "
                            f"than the {MAX_TABLE_BYTES:,} a table of trained models needs; "
                            f"pass the right file ({_FIX})")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:  # BOM from Excel
            return _read_rows(path, csv.DictReader(fh), runtime)
    except UnicodeDecodeError as exc:
        raise TinyedgeError(f"{path} is not a UTF-8 text CSV file ({_FIX})") from exc
    except csv.Error as exc:
        raise TinyedgeError(f"{path} is not a valid CSV file ({exc}); {_FIX}") from exc


def _read_rows(path: Path, reader: csv.DictReader, runtime: str | None) -> list[ModelRow]:
    header = [name.strip() for name in (reader.fieldnames or [])]
    accuracy = next((c for c in ACCURACY_COLUMNS if c in header), "accuracy")
    missing = [c for c in (*COLUMNS[:-1], accuracy) if c not in header]
    if missing:
        raise TinyedgeError(f"{path}: missing column(s) {', '.join(missing)}; {_FIX}")
    if runtime is not None and "runtime" not in header:
        raise TinyedgeError(f"{path} has no runtime column (it holds one runtime); leave out "
                            f"--runtime, or pass the table of that runtime (sweep writes "
                            f"results_<runtime>.csv) or tinyedge report's variants.csv")
    wanted = (runtime or DEFAULT_RUNTIME) if "runtime" in header else None
    reader.fieldnames = header
    rows, seen, runtimes = [], {}, set()
    for raw in reader:
        if wanted is not None:
            runtimes.add((raw.get("runtime") or "").strip())
            if (raw.get("runtime") or "").strip() != wanted:
                continue
        row = _parse_row(path, reader.line_num, raw, accuracy)
        key = (row.arch, row.params, row.seed)
        if key in seen:
            raise TinyedgeError(f"{path}: line {row.line} repeats arch {row.arch}, params "
                                f"{row.params:g}, seed {row.seed} of line {seen[key]}; "
                                f"keep one row per trained model")
        seen[key] = row.line
        rows.append(row)
    if not rows and wanted is not None and runtimes:
        raise TinyedgeError(f"{path}: no rows for runtime {wanted!r} (the table has "
                            f"{', '.join(sorted(runtimes))}); pass --runtime with one of them")
    if not rows:
        raise TinyedgeError(f"{path}: no data rows; {_FIX}")
    return rows


def _cell(path: Path, line: int, raw: dict, column: str) -> str:
    value = raw.get(column)
    if value is None or not value.strip():
        raise TinyedgeError(f"{path}: line {line}: column '{column}' is empty; fill it in "
                            f"({_FIX})")
    return value.strip()


def _number(path: Path, line: int, raw: dict, column: str, hint: str) -> float:
    text = _cell(path, line, raw, column)
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise TinyedgeError(f"{path}: line {line}: column '{column}' must be a number, got "
                            f"{text!r}; {hint}")
    return value


def _parse_row(path: Path, line: int, raw: dict, accuracy_column: str) -> ModelRow:
    arch = _cell(path, line, raw, "arch")
    width = _number(path, line, raw, "width", "write the width multiplier, e.g. 8 or 0.35")
    params = _number(path, line, raw, "params", "write the parameter count, e.g. 21936")
    if params <= 0:
        raise TinyedgeError(f"{path}: line {line}: column 'params' must be > 0, got "
                            f"{params:g}; write the model's parameter count")
    seed_text = _cell(path, line, raw, "seed")
    try:
        seed = int(seed_text)
    except ValueError:
        raise TinyedgeError(f"{path}: line {line}: column 'seed' must be an integer, got "
                            f"{seed_text!r}; write the training seed, e.g. 0") from None
    accuracy = _number(path, line, raw, accuracy_column, "write top-1 accuracy as a "
                       "fraction, e.g. 0.72")
    if not 0.0 < accuracy < 1.0:
        raise TinyedgeError(f"{path}: line {line}: column '{accuracy_column}' must be a "
                            f"fraction in "
                            f"(0, 1) (the error 1 − accuracy must be > 0 for the log fit), "
                            f"got {accuracy:g}; divide percentages by 100")
    return ModelRow(arch, width, params, seed, accuracy, line)


def scaling_report(rows: list[ModelRow]) -> dict[str, dict[str, Any]]:
    """Fit every architecture in ``rows`` (see the module docstring for how seeds are
    used); architectures keep their order of first appearance. An architecture with one
    size gets ``{"skipped": why, …}`` instead of a fit; when no architecture can be
    fitted, or a seed has one size only, :class:`TinyedgeError` says why."""
    by_arch: dict[str, list[ModelRow]] = defaultdict(list)
    for row in rows:
        by_arch[row.arch].append(row)
    report = {arch: _arch_report(arch, arch_rows) for arch, arch_rows in by_arch.items()}
    if all("skipped" in r for r in report.values()):
        raise TinyedgeError("; ".join(f"architecture {r['skipped']}" for r in report.values())
                            + f"; a scaling fit needs rows for at least {MIN_SIZES_FIT} sizes")
    return report


def _arch_report(arch: str, rows: list[ModelRow]) -> dict[str, Any]:
    params = np.array([r.params for r in rows])
    error = np.array([1.0 - r.accuracy for r in rows])
    seeds = np.array([r.seed for r in rows])
    sizes = np.unique(params)
    if len(sizes) < MIN_SIZES_FIT:
        return {"skipped": f"{arch} has only one size (params {sizes[0]:g})",
                "n_models": len(rows), "n_sizes": len(sizes)}
    for s in np.unique(seeds):
        if len(np.unique(params[seeds == s])) < MIN_SIZES_FIT:
            raise TinyedgeError(f"architecture {arch}, seed {s} has only one size; every "
                                f"seed needs at least 2 sizes for its own fit — add rows "
                                f"or remove that seed's row")
    mean_error = np.array([error[params == n].mean() for n in sizes])
    comparison = compare_scaling_models(sizes, mean_error)
    fit = comparison.power_law
    several = len(np.unique(seeds)) > 1
    if several:
        per_seed, alpha, alpha_std = alpha_over_seeds(params, error, seeds)
    else:
        per_seed, alpha, alpha_std = {int(seeds[0]): fit.alpha}, fit.alpha, None
    broken = comparison.broken
    if len(sizes) < MIN_SIZES_R2:  # an exact line through 2 points: nothing to judge
        return {**_fit_fields(rows, sizes, mean_error, per_seed, alpha, alpha_std, fit),
                "r2": None, "aic": None, "bic": None, "aicc": None,
                "broken_power_law": None, "verdict": None, "note": NEEDS_SIZES}
    return {
        **_fit_fields(rows, sizes, mean_error, per_seed, alpha, alpha_std, fit),
        "r2": fit.r2,
        "aic": {"power_law": comparison.aic_power_law,
                "broken_power_law": comparison.aic_broken},
        "bic": {"power_law": comparison.bic_power_law,
                "broken_power_law": comparison.bic_broken},
        "aicc": {"power_law": comparison.aicc_power_law,
                 "broken_power_law": comparison.aicc_broken},
        "broken_power_law": None if broken is None else {
            "alpha1": broken.alpha1, "alpha2": broken.alpha2,
            "n_break": broken.n_break, "smoothness": broken.smoothness},
        "verdict": comparison.verdict,
    }


def _fit_fields(rows, sizes, mean_error, per_seed, alpha, alpha_std, fit) -> dict[str, Any]:
    return {
        "n_models": len(rows),
        "n_sizes": len(sizes),
        "seeds": sorted(per_seed),
        "params": [float(n) for n in sizes],
        "error": [float(e) for e in mean_error],
        "alpha": float(alpha),
        "alpha_std": None if alpha_std is None else float(alpha_std),
        "alpha_per_seed": {str(s): float(a) for s, a in per_seed.items()},
        "alpha_mean_curve": fit.alpha,
        "intercept": fit.intercept,
        "local_exponents": [float(a) for a in local_exponents(sizes, mean_error)],
    }


def analyze_table(path: str | Path, runtime: str | None = None) -> dict[str, dict[str, Any]]:
    """Read a scaling table (:func:`read_scaling_table`) and fit it (:func:`scaling_report`).

    Returns ``{arch: {"alpha", "alpha_std", "r2", "local_exponents", "aic", "bic",
    "verdict", "n_models", ...}}`` (``{"skipped", "n_models", "n_sizes"}`` for an
    architecture with one size); values are JSON-ready (None where undefined).
    """
    return scaling_report(read_scaling_table(path, runtime))


def format_scaling_report(report: dict[str, dict[str, Any]]) -> str:
    """The human-readable text of :func:`analyze_table`'s result, one block per arch."""
    return "\n".join(_format_arch(arch, r) for arch, r in report.items())


def _format_arch(arch: str, r: dict[str, Any]) -> str:
    if "skipped" in r:
        return (f"{arch}: skipped — {r['n_models']} model(s) of one size; a scaling fit "
                f"needs ≥ {MIN_SIZES_FIT} sizes")
    n_seeds = len(r["seeds"])
    if r["alpha_std"] is None:
        alpha = f"{r['alpha']:.4f}  (single fit, 1 seed)"
    else:
        alpha = f"{r['alpha']:.4f} ± {r['alpha_std']:.4f}  (mean ± std over {n_seeds} seeds)"
    local = "  ".join(f"{a:.3f}" for a in r["local_exponents"])
    r2 = f"— ({NEEDS_SIZES})" if r["r2"] is None else f"{r['r2']:.4f}"
    lines = [
        f"{arch}: {r['n_models']} models, {r['n_sizes']} sizes, "
        f"{n_seeds} seed{'s' if n_seeds > 1 else ''}",
        f"  alpha            {alpha}",
        f"  R²               {r2}",
        f"  local exponents  {local}  (smallest size first)",
    ]
    if r["verdict"] is None:
        lines.append(f"  verdict          — ({NEEDS_SIZES}: a line through 2 sizes always "
                     f"fits)")
        return "\n".join(lines)
    if r["broken_power_law"] is None:
        lines.append(f"  AIC / BIC        power law {r['aic']['power_law']:.2f} / "
                     f"{r['bic']['power_law']:.2f}; broken power law not fitted "
                     f"(needs ≥ 6 sizes)")
    else:
        b = r["broken_power_law"]
        lines += [
            f"  AIC              power law {r['aic']['power_law']:.2f}, "
            f"broken {r['aic']['broken_power_law']:.2f}",
            f"  BIC              power law {r['bic']['power_law']:.2f}, "
            f"broken {r['bic']['broken_power_law']:.2f}",
            f"  broken fit       alpha1 {b['alpha1']:.3f}, alpha2 {b['alpha2']:.3f}, "
            f"break at N ≈ {b['n_break']:,.0f}",
        ]
    lines.append(f"  verdict          {r['verdict']}")
    return "\n".join(lines)
