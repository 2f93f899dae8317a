"""`tinyedge evaluate --model FLOAT_MODEL` and `tinyedge export --model FLOAT_MODEL` through
the CLI (fast tier: an ONNX model and a PyTorch factory; no TensorFlow): a float record on
the user's data, and every wrong use refused in one line, exit 2, nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers.cli import refusal_line, snapshot
from torch import nn

from tinyedge.fileio import sha256_file
from tinyedge.records import load_record

CORPUS = Path(__file__).resolve().parents[1] / "fuzz" / "corpus"


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(4, 3)).eval()
    torch.onnx.export(net, (torch.zeros(1, 3, 6, 6),), "net.onnx", dynamo=False)
    rng = np.random.default_rng(2)
    np.savez("data.npz", images=rng.integers(0, 256, (7, 6, 6, 3), dtype=np.uint8),
             labels=np.array([0, 1, 2, 0, 1, 2, 0]))
    np.savez("features.npz", inputs=rng.normal(size=(3, 6, 6, 3)).astype(np.float32),
             labels=np.array([0, 1, 2]))
    np.savez("rows12.npz", inputs=rng.normal(size=(3, 12)).astype(np.float32),
             labels=np.array([0, 1, 4]))
    torch.onnx.export(nn.Linear(12, 3), (torch.zeros(1, 12),), "lin.onnx", dynamo=False)
    np.savez("small.npz", images=rng.integers(0, 256, (2, 5, 5, 3), dtype=np.uint8))
    np.savez("quantised.npz", inputs=np.zeros((2, 6, 6, 3), np.int8))
    Path("notes.txt").write_text("not a model")
    shutil.copy(CORPUS / "op_fc.tflite", "int8.tflite")  # 1×12 int8 → 5 classes
    return tmp_path


def test_float_model_record_on_user_data(project: Path, run_cli) -> None:
    result = run_cli("evaluate", "--model", "net.onnx", "--data", "data.npz", "--normalize",
                     "0.5,0.25")
    assert result.code == 0, result.err
    out = Path(f"results/net-{sha256_file('net.onnx')[:8]}/float")
    assert str(out) in result.out
    record = load_record(out)
    assert record.logits.dtype == np.float32 and record.logits.shape == (7, 3)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["float_model"] == {
        "format": "onnx", "path": "net.onnx", "sha256": sha256_file("net.onnx"),
        "bytes": Path("net.onnx").stat().st_size}
    assert manifest["parameters"]["backend"] == "onnx"
    assert manifest["parameters"]["normalization"]["mean"] == [0.5, 0.5, 0.5]
    # float32 inputs go in as they are (no --normalize), a --limit evaluates the first N
    result = run_cli("evaluate", "--model", "net.onnx", "--data", "features.npz", "--limit",
                     "2", "--outputs", "probabilities", "--out", "feat")
    assert result.code == 0, result.err
    metrics = json.loads(Path("feat/metrics.json").read_text())
    assert metrics["n"] == 2 and metrics["outputs"] == "probabilities"


def _refused(run_cli, *args: str, message: str) -> None:
    before = snapshot(Path("."))
    refusal_line(run_cli(*args), message)
    assert snapshot(Path(".")) == before, "nothing may be written"


@pytest.mark.parametrize(("args", "message"), [
    (("evaluate", "--model", "net.onnx"), "evaluate it on your data with --data FILE.npz"),
    (("evaluate", "--model", "net.onnx", "--data", "data.npz"), "--normalize MEAN,STD"),
    (("evaluate", "--model", "net.onnx", "--data", "features.npz", "--normalize", "0,1"),
     "drop --normalize"),
    (("evaluate", "--model", "net.onnx", "--runtime", "tflm", "--data", "data.npz"),
     "net.onnx is a float model, and --runtime runs int8 models"),
    (("evaluate", "--board", "mps2-an500", "--model", "net.onnx", "--data", "data.npz"),
     "quantize it first with `tinyedge export --model net.onnx --calib CALIB.npz`"),
    (("evaluate", "--model", "net.onnx", "--data", "data.npz", "--normalize", "0,1",
      "--weights", "data.npz"), "--weights goes with --model module:factory"),
    (("evaluate", "--model", "net.onnx", "--data", "data.npz", "--normalize", "0,1",
      "--float-model", "net.onnx"), "--float-model does not apply to float model evaluation"),
    (("evaluate", "--model", "nope.onnx", "--data", "data.npz"), "model nope.onnx does not "
                                                                  "exist"),
    (("evaluate", "--model", "no_such_module:build", "--weights", "data.npz", "--data",
      "data.npz", "--normalize", "0,1"), "cannot import no_such_module"),
    (("evaluate", "--model", "int8.tflite", "--runtime", "tflm", "--data", "rows12.npz",
      "--float-model", "net.onnx"), "net.onnx takes input of shape 1×3×6×6, but rows12.npz "
                                    "holds rows of 12"),
    (("evaluate", "--model", "int8.tflite", "--runtime", "native", "--data", "rows12.npz",
      "--float-model", "lin.onnx"), "lin.onnx gives 3 outputs but the int8 model gives 5"),
    (("export", "--model", "net.onnx"), "needs calibration data: --calib FILE.npz"),
    (("export", "--model", "net.onnx", "--calib", "data.npz", "--arch", "scalecnn"),
     "--arch is for zoo models"),
    (("export", "--arch", "scalecnn", "--width", "4", "--calib", "data.npz"),
     "--calib goes with --model"),
    (("export",), "export needs --arch and --width (a zoo model), or --model"),
    (("export", "--model", "net.onnx", "--calib", "small.npz", "--normalize", "0,1"),
     "net.onnx takes input of shape 1×3×6×6, but --calib small.npz holds rows of 5×5×3"),
    (("export", "--model", "net.onnx", "--calib", "quantised.npz"),
     "holds int8 `inputs`; a float model takes float32 inputs"),
    (("evaluate", "--model", "notes.txt", "--data", "data.npz"),
     "notes.txt is a model file of an unknown format"),
    (("export", "--model", "int8.tflite", "--calib", "data.npz"),
     "int8.tflite is an int8 model, not a float one"),
    (("export", "--model", "net.onnx", "--calib", "data.npz", "--name", "../x"),
     "is not a folder name"),
])
def test_wrong_uses_are_one_line_and_write_nothing(project: Path, run_cli, args, message):
    _refused(run_cli, *args, message=message)
