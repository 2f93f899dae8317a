"""The MLPerf Tiny reference models train on synthetic data of their own shape, export to
full-int8 TFLite and evaluate on TFLite Micro, through the command line as a user runs it
(`tinyedge train --dataset synthetic`, `tinyedge export`, `tinyedge evaluate --runtime
tflm`), and every stage records which synthetic data it used.

Thresholds were measured on this machine and have a wide margin: DS-CNN after 2 epochs
(batch 32) reaches 0.98 float top-1 on the 12-class test split (chance 0.083); the FC
autoencoder after 3 epochs reaches ROC AUC 1.00 float and on TFLite Micro (barely trained,
9 steps of batch 128 on fewer inputs, it scored 0.38). About 40 s on 2 cores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tinyedge.data.synthetic import SyntheticSpec
from tinyedge.layout import CHECKPOINT_NAME, MANIFEST_NAME, METRICS_NAME, TFLITE_NAME

pytestmark = [pytest.mark.tensorflow, pytest.mark.slow]


def _manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST_NAME).read_text())


def _pipeline(run_cli, arch: str, width: str, *train_options: str) -> dict[str, dict]:
    """Train, export and evaluate on TFLite Micro; the metrics of the float and int8 runs
    and the manifests of each stage, after checking that each names the same data."""
    run = f"{arch}-w{width}-s0"
    trained = run_cli("train", "--arch", arch, "--width", width, "--dataset", "synthetic",
                      *train_options)
    assert trained.code == 0, trained.err
    exported = run_cli("export", "--arch", arch, "--width", width, "--calib-samples", "100",
                       "--verify-samples", "20")
    assert exported.code == 0, exported.err
    model = Path("export") / run / TFLITE_NAME
    evaluated = run_cli("evaluate", "--model", str(model), "--runtime", "tflm")
    assert evaluated.code == 0, evaluated.err
    stages = {"train": _manifest(Path("runs") / run), "export": _manifest(model.parent),
              "float": _manifest(Path("results") / run / "float"),
              "tflm": _manifest(Path("results") / run / "tflm")}
    name = stages["train"]["inputs"]["dataset"]
    named = SyntheticSpec.parse(name)
    assert named is not None and named.as_dict() == stages["train"]["inputs"]["synthetic"]
    payload = torch.load(Path("runs") / run / CHECKPOINT_NAME, weights_only=True)
    assert payload["dataset"] == name
    assert stages["export"]["inputs"]["dataset"] == name
    for runtime in ("float", "tflm"):
        assert stages[runtime]["inputs"]["images"]["dataset"] == name
        assert stages[runtime]["inputs"]["images"]["split"] == "test"
    return {"name": name, "export": stages["export"], "export_said": exported.out,
            **{r: json.loads((Path("results") / run / r / METRICS_NAME).read_text())
               for r in ("float", "tflm")}}


def test_dscnn_trains_exports_and_classifies_well_above_chance(run_cli, tmp_path,
                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = _pipeline(run_cli, "dscnn", "64", "--epochs", "2", "--batch-size", "32")
    assert result["name"] == "synthetic-49x10x1-12cls-seed0"
    for runtime in ("float", "tflm"):
        assert result[runtime]["n"] == 300
        assert result[runtime]["top1"] > 0.6, (runtime, result[runtime]["top1"])  # chance 1/12


def test_autoencoder_trains_on_normal_inputs_and_detects_anomalies(run_cli, tmp_path,
                                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = _pipeline(run_cli, "fcautoencoder", "128", "--epochs", "3")
    assert result["name"] == "synthetic-anomaly-640-seed0"
    train = _manifest(tmp_path / "runs" / "fcautoencoder-w128-s0")
    assert train["inputs"]["train_images"] == 2000  # the normal inputs only
    assert train["figures"]["final_train_acc"] is None  # no classes: the loss is the MSE
    for runtime in ("float", "tflm"):
        m = result[runtime]
        assert m["task"] == "anomaly" and (m["n_normal"], m["n_anomalous"]) == (100, 100)
        assert m["auc"] > 0.9, (runtime, m["auc"])
    # export verifies a reconstruction model by its anomaly scores, not by top-1
    figures = result["export"]["figures"]
    assert "float_int8_top1_agreement" not in figures and figures["verify_samples"] == 20
    assert figures["float_mean_score"] > 0 and figures["int8_mean_score"] > 0
    assert figures["float_int8_score_relative_difference"] < 0.25, figures
    assert figures["float_auc"] > 0.9 and figures["int8_auc"] > 0.9, figures
    assert "float↔int8 anomaly score differs by" in result["export_said"]
    # `--dataset synthetic` names the same data for the exported model; a 32×32×3 dataset
    # is refused in one line.
    model = str(tmp_path / "export" / "fcautoencoder-w128-s0" / TFLITE_NAME)
    again = run_cli("evaluate", "--model", model, "--runtime", "tflm", "--dataset",
                    "synthetic", "--out", "again")
    assert again.code == 0, again.err
    assert json.loads((tmp_path / "again" / METRICS_NAME).read_text())["auc"] == \
        result["tflm"]["auc"]
    refused = run_cli("evaluate", "--model", model, "--runtime", "tflm", "--dataset",
                      "digits", "--out", "refused")
    assert refused.code == 2 and len(refused.err.strip().splitlines()) == 1
    assert "fcautoencoder-w128 takes 640 inputs but digits holds 32×32×3; use --dataset " \
        "synthetic" in refused.err
    assert not (tmp_path / "refused").exists()
