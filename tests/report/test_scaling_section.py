"""The report's scaling section with too few widths (issue 12): no R², no verdict and no
fitted line through 2 points."""

from __future__ import annotations

import json

import numpy as np
import pytest
from report.results_tree import CLASS_NAMES, LABELS, float_logits, predictions

from tinyedge.fileio import write_manifest
from tinyedge.records import make_record, write_record
from tinyedge.report import build_report
from tinyedge.report.plots import ScalingSeries, scaling_plot


def write_float(root, name: str, params: int, errors: range, seed: int) -> None:
    write_manifest(root / "runs" / name, "train", figures={"params": params})
    folder = root / "results" / name / "float"
    write_record(folder, make_record(LABELS, float_logits(predictions(errors), seed)),
                 CLASS_NAMES, runtime="float")
    write_manifest(folder, "evaluate",
                   inputs={"checkpoint": {"path": f"runs/{name}/checkpoint.pt"}})


def test_two_widths_show_needs_3_widths_instead_of_r2_and_a_verdict(tmp_path):
    # errors 40/120 → 10/120 from 1,000 to 16,000 parameters: α = ln 4 / ln 16 = 0.5
    write_float(tmp_path, "scalecnn-w4-s0", 1_000, range(0, 40), 0)
    write_float(tmp_path, "scalecnn-w16-s0", 16_000, range(0, 10), 1)
    result = build_report(tmp_path / "results")
    fit = json.loads(result.summary.read_text())["across_widths"]["scalecnn"]["scaling"]["float"]
    assert fit["alpha"] == pytest.approx(0.5)
    assert fit["r2"] is None and fit["verdict"] is None and fit["note"] == "needs ≥ 3 widths"
    page = result.html.read_text()
    assert page.count("— (needs ≥ 3 widths)") == 2  # the R² and the best-model cells
    assert "power law</td>" not in page


def test_scaling_plot_draws_no_alpha_line_through_two_points():
    def png(n: int, alpha: float | None) -> bytes:
        params = np.array([1e3, 1.6e4, 2.56e5][:n])
        error = params ** -0.5
        fitted = None if alpha is None else 0.0
        return scaling_plot("t", [ScalingSeries("float", params, error, alpha, fitted)])

    assert png(2, 0.5) == png(2, None)  # two points: the same picture as with no fit
    assert png(3, 0.5) != png(3, None)  # three: the fitted line is drawn
