"""A family of the user's own models (several sizes they trained): results folders named
``<family>-w<size>-s<seed>`` — as `tinyedge export --model … --name <family>-w<size>-s<seed>`
writes them, or `--out` for models exported elsewhere — are variants of the family, with
parameters from the export manifest or counted from the deployed graph, so the
across-width sections and `tinyedge analyze scaling` work beyond the zoo."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np

from tinyedge.firmware.tflite_reader import read_model
from tinyedge.floatmodel import graph_params
from tinyedge.int8 import check_int8_model, quantize_images, run_int8

CORPUS = Path(__file__).resolve().parents[1] / "fuzz" / "corpus"
MODELS = {1: "zoo_scalecnn_4.tflite", 2: "zoo_mobilenetv2_0.1.tflite"}


def test_a_family_of_user_models_gets_the_scaling_analyses(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    images = np.random.default_rng(4).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    preds = {}
    for size, name in MODELS.items():  # labels each model gets partly right (0 < top-1 < 1)
        sig = check_int8_model(CORPUS / name)
        q = quantize_images(images, (0.5,), (0.25,), sig.input_scale, sig.input_zero_point)
        preds[size] = run_int8(CORPUS / name, q, "tflm").argmax(axis=1)
    labels = np.concatenate([preds[1][:3], preds[2][3:6], [0, 0]])
    for i in (6, 7):  # a class neither model predicts for this image
        labels[i] = min({*range(10)} - {int(preds[1][i]), int(preds[2][i])})
    np.savez("d.npz", images=images, labels=labels)
    for size, name in MODELS.items():
        shutil.copy(CORPUS / name, f"mine{size}.tflite")
        result = run_cli("evaluate", "--model", f"mine{size}.tflite", "--runtime", "tflm",
                         "--data", "d.npz", "--normalize", "0.5,0.25",
                         "--out", f"results/myfam-w{size}-s0/tflm")
        assert result.code == 0, result.err
    result = run_cli("report", "results")
    assert result.code == 0, result.err
    assert "2 variants" in result.out
    with open("results/variants.csv", newline="") as fh:
        rows = {r["variant"]: r for r in csv.DictReader(fh)}
    # 18,846 = ScaleCNN c=4's folded weights and biases (10 classes), counted by hand in
    # tests/floatmodel; the other is counted the same way from its graph
    assert int(rows["myfam-w1-s0"]["params"]) == 18_846
    assert int(rows["myfam-w2-s0"]["params"]) == graph_params(read_model(CORPUS / MODELS[2]))
    assert {r["arch"] for r in rows.values()} == {"myfam"}
    page = Path("results/report.html").read_text()
    assert 'id="widths-myfam"' in page
    result = run_cli("analyze", "scaling", "--table", "results/variants.csv", "--runtime",
                     "tflm", "--json")
    assert result.code == 0, result.err
    fit = json.loads(result.out)
    assert "myfam" in json.dumps(fit)
