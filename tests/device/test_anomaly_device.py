"""Anomaly detection on the emulated device: the MLPerf Tiny autoencoder (untrained,
exported to int8 with its manifest) evaluated with `tinyedge evaluate --board` through the
real CLI, firmware and QEMU scores every input exactly as TFLite Micro does on the host —
the same raw outputs, the same reconstruction errors, the same AUC — and the report shows
both records of the model's folder side by side with what each evaluated."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tinyedge.fileio import sha256_file
from tinyedge.layout import DEVICE_JSON, METRICS_NAME, device_runtime
from tinyedge.records import load_anomaly_metrics, load_anomaly_record
from tinyedge.report import build_report

pytestmark = [
    pytest.mark.tools("qemu-system-arm", "arm-none-eabi-gcc"),
    pytest.mark.cross,
    pytest.mark.qemu,
    pytest.mark.tensorflow,
]

BOARD = "nucleo-f746"  # emulated: its QEMU mps2-an500 stand-in, Cortex-M7 DSP kernels
SCORE_FIELDS = ("task", "score", "n", "n_normal", "n_anomalous", "mean_score",
                "median_score", "auc")


def test_emulated_board_scores_the_autoencoder_as_tflm_does(tmp_path: Path, run_cli,
                                                            monkeypatch) -> None:
    from tinyedge.export.untrained import export_untrained
    from tinyedge.models import resolve

    model = export_untrained(resolve("fcautoencoder", 128), tmp_path / "export",
                             calib_samples=20, verify_samples=2).tflite
    inputs = np.random.default_rng(11).integers(-128, 128, (4, 640), dtype=np.int8)
    inputs[3] = 127  # an extreme row: saturating outputs, a large error
    labels = np.array([0, 1, 0, 1])
    data = tmp_path / "machine.npz"
    np.savez(data, inputs=inputs, labels=labels)
    monkeypatch.chdir(tmp_path)  # the firmware build goes to ./build

    results = tmp_path / "results" / "autoencoder"
    host = results / "tflm"
    result = run_cli("evaluate", "--model", str(model), "--runtime", "tflm", "--data",
                     str(data), "--out", str(host))
    assert result.code == 0, result.err
    device = results / device_runtime(BOARD, "qemu")
    result = run_cli("evaluate", "--model", str(model), "--board", BOARD, "--data",
                     str(data), "--out", str(device))
    assert result.code == 0, result.err
    assert "reconstruction MSE mean" in result.out and "ROC AUC" in result.out
    assert "instructions per inference" in result.out

    expected, got = load_anomaly_record(host), load_anomaly_record(device)
    np.testing.assert_array_equal(got.labels, labels)
    np.testing.assert_array_equal(got.outputs, expected.outputs)  # bit-exact device
    np.testing.assert_array_equal(got.scores, expected.scores)
    assert got.outputs.shape == (4, 640) and len(set(got.scores.tolist())) == 4
    np.testing.assert_array_equal(got.image_indices(), np.arange(4))
    assert (got.output_scale, got.output_zero_point) == (expected.output_scale,
                                                          expected.output_zero_point)

    m_host = load_anomaly_metrics(host, expected)
    m_dev = load_anomaly_metrics(device, got)
    assert {k: m_dev[k] for k in SCORE_FIELDS} == {k: m_host[k] for k in SCORE_FIELDS}
    assert m_dev["task"] == "anomaly" and m_dev["n"] == 4
    assert (m_dev["n_normal"], m_dev["n_anomalous"]) == (2, 2)
    assert m_dev["auc"] is not None and "top1" not in m_dev
    assert m_dev["runtime"] == device_runtime(BOARD, "qemu")

    figures = json.loads((device / DEVICE_JSON).read_text())
    assert figures["emulated"] is True and figures["counter"] == "instructions"
    assert figures["per_inference"]["n"] == 4 and figures["per_inference"]["median"] > 0
    assert json.loads((device / METRICS_NAME).read_text())["auc"] == m_host["auc"]

    # The report of that folder (not a zoo variant name): both records, one model file,
    # one data file, the device's latency beside its scores.
    report = build_report(tmp_path / "results")
    assert report.contents == ("1 anomaly-detection model (autoencoder), 2 runtimes "
                               f"(tflm, {device.name})")
    summary = json.loads(report.summary.read_text())
    rows = {r["runtime"]: r for r in summary["anomaly"]}
    assert rows[device.name]["auc"] == rows["tflm"]["auc"] == m_host["auc"]
    for row in rows.values():
        assert row["model_sha256"] == sha256_file(model)
        assert (row["dataset"], row["images_sha256"]) == ("machine.npz", sha256_file(data))
    assert rows[device.name]["latency_s"] == figures["latency_s"] > 0
    assert rows["tflm"]["latency_s"] is None and summary["warnings"] == []
