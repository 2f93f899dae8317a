import json

import numpy as np
import pytest
from helpers.cli import run_cli_subprocess


def test_models_json_has_anchor_counts(run_cli):
    result = run_cli("models", "--json")
    assert result.code == 0
    rows = json.loads(result.out)
    assert len(rows) == 18 + 4  # the scaling zoo and the four MLPerf Tiny reference models
    by_name = {(r["arch"], r["width"]): r for r in rows}
    assert by_name[("scalecnn", 4)]["params"] == 21_936
    assert by_name[("mobilenetv2", 1.0)]["params"] == 2_351_972
    assert by_name[("scalecnn", 8)]["macs"] == 3_471_616
    assert by_name[("dscnn", 64)]["input_shape"] == [1, 49, 10]
    assert by_name[("fcautoencoder", 128)]["outputs"] == 640
    assert all({"arch", "width", "params", "macs", "input_shape", "outputs"} <= r.keys()
               for r in rows)


def test_models_table(run_cli):
    result = run_cli("models")
    assert "mobilenetv2      1.00   3×32×32     100    2,351,972" in result.out
    assert "fcautoencoder     128       640     640      267,928        264,192  mlperf-tiny" \
        in result.out


@pytest.mark.subprocess
def test_user_errors_are_one_line_exit_2_without_traceback(tmp_path):
    cases = [
        (["train", "--arch", "vgg", "--width", "8"], "unknown architecture 'vgg'"),
        (["train", "--arch", "scalecnn", "--width", "7"], "valid widths: 4, 8"),
        (["train", "--arch", "scalecnn", "--width", "8", "--data-root", str(tmp_path)],
         "tinyedge data fetch cifar100"),
        (["evaluate", "--checkpoint", str(tmp_path / "nope.pt")], "does not exist"),
    ]
    for args, message in cases:
        result = run_cli_subprocess(*args, cwd=tmp_path)
        assert result.code == 2, (args, result.err)
        assert message in result.err
        assert len(result.err.strip().splitlines()) == 1, result.err
        assert "Traceback" not in result.err
    assert not any(tmp_path.iterdir()), "a refused command must write nothing"


def test_train_then_evaluate_write_the_record_format(tmp_path, run_cli):
    runs, results = tmp_path / "runs", tmp_path / "results"
    result = run_cli("train", "--arch", "scalecnn", "--width", "4", "--dataset", "synthetic",
                     "--epochs", "2", "--out", str(runs), "--results", str(results))
    assert result.code == 0, result.err
    float_dir = results / "scalecnn-w4-s0" / "float"
    assert "top-1" in result.out and str(float_dir) in result.out
    with np.load(float_dir / "predictions.npz") as npz:
        assert npz["logits"].shape == (100, 10) and npz["labels"].shape == (100,)
        assert (npz["pred"] == npz["logits"].argmax(1)).all()
    metrics = json.loads((float_dir / "metrics.json").read_text())
    assert metrics["runtime"] == "float" and metrics["ece_bins"] == 15
    assert len(metrics["per_class_accuracy"]) == 10
    assert json.loads((float_dir / "manifest.json").read_text())["stage"] == "evaluate"

    again = run_cli("evaluate", "--checkpoint", str(runs / "scalecnn-w4-s0/checkpoint.pt"),
                    "--out", str(tmp_path / "again"), "--limit", "16")
    assert again.code == 0, again.err
    with np.load(tmp_path / "again/predictions.npz") as npz, \
            np.load(float_dir / "predictions.npz") as first:
        np.testing.assert_allclose(npz["logits"], first["logits"][:16], rtol=1e-5, atol=1e-5)

    wrong = run_cli("evaluate", "--checkpoint", str(runs / "scalecnn-w4-s0/checkpoint.pt"),
                    "--dataset", "digits", "--out", str(tmp_path / "wrong"))
    assert wrong.code == 2 and "pass the matching --dataset" in wrong.err
    assert not (tmp_path / "wrong").exists()
