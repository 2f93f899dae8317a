"""Anomaly-detection evaluation of a reconstruction model (the MLPerf Tiny autoencoder):
the record holds one reconstruction error per input and metrics.json the mean/median
score and ROC AUC, the same on TFLite Micro and the native build; labels other than 0/1
and a task that contradicts the model are one line each, nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers.cli import refusal_line

from tinyedge.analysis.anomaly import reconstruction_error, roc_auc_score
from tinyedge.int8 import check_int8_model, run_int8
from tinyedge.layout import METRICS_NAME, PREDICTIONS_NAME
from tinyedge.records import load_anomaly_metrics, load_anomaly_record

OP_MEAN = Path(__file__).resolve().parents[1] / "fuzz" / "corpus" / "op_mean.tflite"


def _refused(run_cli, out: Path, *args: str, message: str) -> None:
    refusal_line(run_cli("evaluate", *args, "--out", str(out)), message)
    assert not out.exists()


@pytest.mark.tensorflow
def test_autoencoder_scores_reconstruction_error_the_same_on_tflm_and_native(tmp_path,
                                                                            run_cli):
    """The MLPerf Tiny FC autoencoder, untrained, exported to int8 with its manifest
    (export_untrained marks the test tensorflow; ~20 s with the native build)."""
    from tinyedge.export.untrained import export_untrained
    from tinyedge.models import resolve

    autoencoder = export_untrained(resolve("fcautoencoder", 128), tmp_path / "export",
                                   calib_samples=20, verify_samples=2).tflite
    rng = np.random.default_rng(7)
    inputs = rng.integers(-128, 128, (12, 640), dtype=np.int8)
    labels = np.array([0, 1] * 6)
    data = tmp_path / "machine.npz"
    np.savez(data, inputs=inputs, labels=labels)
    records, metrics = {}, {}
    for runtime in ("tflm", "native"):
        out = tmp_path / runtime
        result = run_cli("evaluate", "--model", str(autoencoder), "--runtime", runtime,
                         "--data", str(data), "--out", str(out))
        assert result.code == 0, result.err
        assert "reconstruction MSE mean" in result.out and "ROC AUC" in result.out
        records[runtime] = load_anomaly_record(out)
        metrics[runtime] = load_anomaly_metrics(out, records[runtime])
    # The score is the MSE of the dequantised output against the dequantised input.
    sig = check_int8_model(autoencoder)
    q = run_int8(autoencoder, inputs, "tflm").reshape(12, 640)
    expected = reconstruction_error(
        sig.input_scale * (inputs.astype(np.float64) - sig.input_zero_point),
        sig.output_scale * (q.astype(np.float64) - sig.output_zero_point))
    for runtime in ("tflm", "native"):
        np.testing.assert_array_equal(records[runtime].outputs, q)
        np.testing.assert_array_equal(records[runtime].scores, expected)
        m = metrics[runtime]
        assert m["task"] == "anomaly" and m["n"] == 12
        assert (m["n_normal"], m["n_anomalous"]) == (6, 6)
        assert m["mean_score"] == pytest.approx(expected.mean())
        assert m["median_score"] == pytest.approx(np.median(expected))
        assert m["auc"] == pytest.approx(roc_auc_score(labels, expected))
        assert "top1" not in m
    manifest = json.loads((tmp_path / "native" / "manifest.json").read_text())
    assert manifest["figures"]["auc"] == metrics["native"]["auc"]

    # One kind of label only: the AUC is undefined (null), the scores are still there.
    normal = tmp_path / "normal.npz"
    np.savez(normal, inputs=inputs[:4], labels=np.zeros(4, np.int64))
    out = tmp_path / "normal"
    assert run_cli("evaluate", "--model", str(autoencoder), "--runtime", "tflm", "--data",
                   str(normal), "--out", str(out)).code == 0
    assert json.loads((out / METRICS_NAME).read_text())["auc"] is None

    # Labels other than normal (0) / anomalous (1): one line, nothing written.
    bad = tmp_path / "bad.npz"
    np.savez(bad, inputs=inputs[:3], labels=np.array([0, 1, 2]))
    _refused(run_cli, tmp_path / "bad", "--model", str(autoencoder), "--runtime", "tflm",
             "--data", str(bad), message="must be 0 (normal) or 1 (anomalous), found 2")
    # An exported autoencoder is not a classifier.
    _refused(run_cli, tmp_path / "cls", "--model", str(autoencoder), "--runtime", "tflm",
             "--data", str(data), "--task", "classify",
             message="a reconstruction model; drop --task classify")

    # Without its export manifest the same file is an anomaly model only with --task.
    copy = tmp_path / "mine" / "ae.tflite"
    copy.parent.mkdir()
    shutil.copy(autoencoder, copy)
    out = tmp_path / "user"
    assert run_cli("evaluate", "--model", str(copy), "--runtime", "tflm", "--data", str(data),
                   "--task", "anomaly", "--out", str(out)).code == 0
    np.testing.assert_array_equal(load_anomaly_record(out).scores, expected)
    assert (out / PREDICTIONS_NAME).is_file()


def test_task_anomaly_needs_a_model_that_reconstructs_its_input(tmp_path, run_cli):
    model = tmp_path / "m" / "mean.tflite"
    model.parent.mkdir()
    shutil.copy(OP_MEAN, model)  # input 1×4×5×3, 3 outputs
    data = tmp_path / "d.npz"
    np.savez(data, inputs=np.zeros((2, 4, 5, 3), np.int8), labels=np.array([0, 1]))
    _refused(run_cli, tmp_path / "out", "--model", str(model), "--runtime", "tflm", "--data",
             str(data), "--task", "anomaly",
             message="outputs 3 values for 60 inputs, so it does not reconstruct its input")
