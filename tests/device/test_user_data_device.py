"""Device evaluation of the user's own model on the user's own data (`tinyedge evaluate
--board B --model any.tflite --data FILE.npz`): the emulated board's outputs equal TFLite
Micro's on the same quantised rows, and the result log is keyed by the data file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tinyedge.data.user_data import load_user_data
from tinyedge.device.evaluate import evaluate_on_device
from tinyedge.device.target import device_target
from tinyedge.fileio import sha256_file
from tinyedge.int8 import check_int8_model, quantize_images, run_int8
from tinyedge.records import load_record

pytestmark = [
    pytest.mark.tools("qemu-system-arm", "arm-none-eabi-gcc"),
    pytest.mark.cross,
    pytest.mark.qemu,
]

CORPUS = Path(__file__).resolve().parents[1] / "fuzz" / "corpus"
NORM = ((0.5,), (0.25,))


def test_emulated_board_on_an_npz_equals_tflm(tmp_path: Path) -> None:
    model = tmp_path / "mine" / "classifier.tflite"  # a real export, without its manifest
    model.parent.mkdir()
    shutil.copy(CORPUS / "zoo_scalecnn_4.tflite", model)
    images = np.random.default_rng(5).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    path = tmp_path / "four.npz"
    np.savez(path, images=images, labels=np.array([1, 0, 9, 3]))
    data = load_user_data(path)
    out = tmp_path / "results" / "device-mps2-an500-qemu"
    target = device_target("mps2-an500", model, build_root=tmp_path / "build")
    metrics = evaluate_on_device(model, target, out, mode="batch", data=data, normalize=NORM)
    sig = check_int8_model(model)
    expected = run_int8(model, quantize_images(images, *NORM, sig.input_scale,
                                               sig.input_zero_point), "tflm")
    record = load_record(out)
    np.testing.assert_array_equal(record.logits, expected)
    assert metrics["dataset"] == "four.npz" and metrics["n"] == 4
    key = json.loads((out / "device_results.jsonl").read_text().splitlines()[0])["key"]
    assert key["inputs"]["file_sha256"] == sha256_file(path)
    assert key["inputs"]["dataset"] == "four.npz" and key["inputs"]["split"] == "file"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["images"]["sha256"] == sha256_file(path)


def test_emulated_board_runs_a_vector_input_model_on_quantised_rows(tmp_path: Path) -> None:
    """A 1×12 feature-vector model (no image anywhere) passes the fit check, the device
    protocol's input size and the result log, and equals TFLite Micro."""
    model = tmp_path / "mine" / "features.tflite"
    model.parent.mkdir()
    shutil.copy(CORPUS / "op_fc.tflite", model)
    inputs = np.random.default_rng(6).integers(-128, 128, (5, 12), dtype=np.int8)
    path = tmp_path / "rows.npz"
    np.savez(path, inputs=inputs, labels=np.array([0, 1, 2, 3, 4]))
    out = tmp_path / "results" / "device-mps2-an500-qemu"
    target = device_target("mps2-an500", model, build_root=tmp_path / "build")
    metrics = evaluate_on_device(model, target, out, mode="batch", data=load_user_data(path))
    np.testing.assert_array_equal(load_record(out).logits, run_int8(model, inputs, "tflm"))
    assert metrics["n"] == 5 and load_record(out).logits.shape == (5, 5)


def test_emulated_board_runs_a_float_edge_model_equal_to_tflm(tmp_path: Path) -> None:
    """A model with float32 input and output (QUANTIZE and DEQUANTIZE in the firmware):
    the protocol carries 4 bytes a value each way, the Cortex-M7's FPU quantizes and
    dequantizes, and the float32 logits equal TFLite Micro's bit for bit."""
    model = tmp_path / "mine" / "float_edges.tflite"
    model.parent.mkdir()
    shutil.copy(CORPUS / "op_classifier_float_io.tflite", model)
    images = np.random.default_rng(8).integers(0, 256, (5, 4, 4, 3), dtype=np.uint8)
    path = tmp_path / "five.npz"
    np.savez(path, images=images, labels=np.array([0, 1, 2, 3, 4]))
    out = tmp_path / "results" / "device-mps2-an500-qemu"
    target = device_target("mps2-an500", model, build_root=tmp_path / "build")
    for mode in ("batch", "stream"):
        run = out.with_name(f"{out.name}-{mode}")
        evaluate_on_device(model, target, run, mode=mode, data=load_user_data(path),
                           normalize=NORM)
        from tinyedge.int8.preprocess import model_input

        x = model_input(images, *NORM, check_int8_model(model))
        expected = run_int8(model, x, "tflm")
        got = load_record(run).logits
        assert got.dtype == np.float32 and got.shape == (5, 6)
        assert got.view(np.uint32).tolist() == expected.view(np.uint32).tolist(), mode
