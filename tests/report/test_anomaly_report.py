"""The report on anomaly records (a reconstruction model): score and ROC AUC per runtime
instead of top-1/ECE/Gini, alone or beside classifier records, and a broken anomaly
record is one clear error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tinyedge.analysis.anomaly import roc_auc_score
from tinyedge.errors import TinyedgeError
from tinyedge.layout import PREDICTIONS_NAME
from tinyedge.records import AnomalyRecord, write_anomaly_record
from tinyedge.report import build_report
from tinyedge.report.collect import collect

LABELS = np.array([0, 0, 0, 1, 1, 1])
SCORES = np.array([0.1, 0.2, 0.5, 0.4, 0.9, 0.9])  # 8 of 9 pairs ranked right → AUC 8/9


def _write_anomaly_tree(root: Path) -> None:
    for runtime in ("tflm", "native"):
        folder = root / "fcautoencoder-w128-s0" / runtime
        folder.mkdir(parents=True)
        outputs = np.zeros((len(LABELS), 640), np.int8)
        write_anomaly_record(folder, AnomalyRecord(LABELS, outputs, SCORES, 0.05, 3),
                             runtime=runtime, extra={"model": "fcautoencoder-w128-s0"})


def test_report_of_anomaly_records_only(tmp_path):
    _write_anomaly_tree(tmp_path)
    result = build_report(tmp_path)
    page = result.html.read_text()
    assert "Anomaly detection" in page and "ROC AUC" in page
    assert f"{8 / 9:.3f}" in page  # the AUC of both runtimes
    assert roc_auc_score(LABELS, SCORES) == pytest.approx(8 / 9)
    summary = json.loads(result.summary.read_text())
    assert [r["runtime"] for r in summary["anomaly"]] == ["native", "tflm"]
    row = summary["anomaly"][0]
    assert row["auc"] == pytest.approx(8 / 9)
    assert row["mean_score"] == pytest.approx(SCORES.mean())
    assert row["median_score"] == pytest.approx(0.45)
    assert (row["n_normal"], row["n_anomalous"]) == (3, 3)
    assert summary["variants"] == []


@pytest.mark.slow  # builds a whole report with its plots (6-8 s)
def test_anomaly_records_beside_classifier_records(results_tree, tmp_path):
    root = tmp_path / "mixed"
    shutil.copytree(results_tree, root)
    _write_anomaly_tree(root)
    col = collect(root)
    assert len(col.anomaly) == 2
    assert "fcautoencoder" not in col.archs()  # not among the classifiers
    page = build_report(root).html.read_text()
    assert "Anomaly detection" in page and "Float vs int8 per variant" in page


def test_a_broken_anomaly_record_is_one_clear_error(tmp_path):
    _write_anomaly_tree(tmp_path)
    path = tmp_path / "fcautoencoder-w128-s0" / "tflm" / PREDICTIONS_NAME
    with np.load(path) as data:
        arrays = dict(data)
    arrays["labels"] = np.array([0, 0, 0, 1, 1, 2])
    np.savez(path, **arrays)
    with pytest.raises(TinyedgeError, match="array 'labels' must be 6 labels, each 0"):
        collect(tmp_path)
