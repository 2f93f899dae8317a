"""Host int8 evaluation of the user's own model on the user's own data (`--model
any.tflite --data FILE.npz`): a real exported model copied away from its export manifest,
run on TFLite Micro and the native build; every refusal is one line, exit 2, nothing
written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers.cli import refusal_line, snapshot

from tinyedge.int8 import check_int8_model, quantize_images
from tinyedge.records import load_record

CORPUS = Path(__file__).resolve().parents[1] / "fuzz" / "corpus"
ZOO = CORPUS / "zoo_scalecnn_4.tflite"  # a real export of ScaleCNN c=4, 10 classes
TINY = CORPUS / "op_mean.tflite"  # input 1×4×5×3, 3 outputs
NORM = ((0.5, 0.4, 0.3), (0.25, 0.2, 0.3))


def _copied(source: Path, path: Path) -> Path:
    path.parent.mkdir()
    shutil.copy(source, path)
    return path


@pytest.fixture
def user_model(tmp_path) -> Path:
    """The exported model somewhere else, without its export manifest."""
    return _copied(ZOO, tmp_path / "mine" / "classifier.tflite")


def _images(n: int, shape=(32, 32, 3), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, *shape), dtype=np.uint8)


def _npz(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


def _norm_arg() -> str:
    return ":".join(",".join(str(v) for v in part) for part in NORM)


@pytest.mark.slow  # compiles the native runtime for the model (seconds on a cold cache)
def test_user_model_on_user_data_is_the_same_on_tflm_and_native(user_model, tmp_path,
                                                                  run_cli):
    labels = np.arange(12) % 10
    data = _npz(tmp_path / "mine.npz", images=_images(12), labels=labels)
    outs = {}
    for runtime in ("tflm", "native"):
        out = tmp_path / "results" / runtime
        result = run_cli("evaluate", "--model", str(user_model), "--runtime", runtime,
                         "--data", str(data), "--normalize", _norm_arg(), "--out", str(out))
        assert result.code == 0, result.err
        outs[runtime] = out
    tflm, native = (load_record(outs[r]) for r in ("tflm", "native"))
    assert tflm.logits.dtype == np.int8 and tflm.logits.shape == (12, 10)
    assert np.array_equal(tflm.logits, native.logits)  # bit-exact
    assert np.array_equal(tflm.labels, labels)
    manifest = json.loads((outs["native"] / "manifest.json").read_text())
    from tinyedge.fileio import sha256_file

    assert manifest["inputs"]["images"] == {"dataset": "mine.npz", "split": "file",
                                            "size": 12, "sha256": sha256_file(data)}
    assert manifest["inputs"]["data"]["sha256"] == sha256_file(data)
    assert manifest["parameters"]["normalization"] == {
        "mean": list(NORM[0]), "std": list(NORM[1]), "source": "--normalize"}
    metrics = json.loads((outs["tflm"] / "metrics.json").read_text())
    assert metrics["dataset"] == "mine.npz" and metrics["n"] == 12
    assert metrics["class_names"] == [str(c) for c in range(10)]
    assert "float_similarity" not in metrics  # no float model is known for this file


def test_quantised_inputs_give_the_same_outputs_as_the_images_they_came_from(
        user_model, tmp_path, run_cli):
    images, labels = _images(5, seed=1), np.array([3, 1, 4, 1, 5])
    sig = check_int8_model(user_model)
    inputs = quantize_images(images, *NORM, sig.input_scale, sig.input_zero_point)
    names = np.array([f"class {c}" for c in range(10)])
    runs = {"images": ({"images": images}, ["--normalize", _norm_arg()]),
            "inputs": ({"inputs": inputs, "class_names": names}, [])}
    records = {}
    for kind, (arrays, extra) in runs.items():
        data = _npz(tmp_path / f"{kind}.npz", labels=labels, **arrays)
        out = tmp_path / kind
        result = run_cli("evaluate", "--model", str(user_model), "--runtime", "tflm",
                         "--data", str(data), "--out", str(out), *extra)
        assert result.code == 0, result.err
        records[kind] = load_record(out)
    assert np.array_equal(records["images"].logits, records["inputs"].logits)
    metrics = json.loads((tmp_path / "inputs" / "metrics.json").read_text())
    assert metrics["class_names"] == names.tolist()
    manifest = json.loads((tmp_path / "inputs" / "manifest.json").read_text())
    assert manifest["parameters"]["normalization"] is None


def _refused(run_cli, tmp_path: Path, *args: str, message: str) -> None:
    before = snapshot(tmp_path)
    refusal_line(run_cli("evaluate", *args, "--out", str(tmp_path / "out")), message)
    assert snapshot(tmp_path) == before, "nothing may be written"


def test_a_model_without_export_manifest_needs_data(user_model, tmp_path, run_cli):
    _refused(run_cli, tmp_path, "--model", str(user_model), "--runtime", "tflm",
             message="no export manifest.json beside")


def test_images_of_a_model_without_manifest_need_normalize(user_model, tmp_path, run_cli):
    data = _npz(tmp_path / "d.npz", images=_images(2), labels=np.array([0, 1]))
    _refused(run_cli, tmp_path, "--model", str(user_model), "--runtime", "tflm", "--data",
             str(data), message="pass --normalize MEAN,STD")


def test_normalize_does_not_apply_to_quantised_inputs(user_model, tmp_path, run_cli):
    data = _npz(tmp_path / "d.npz", inputs=_images(2).view(np.int8), labels=np.array([0, 1]))
    _refused(run_cli, tmp_path, "--model", str(user_model), "--runtime", "tflm", "--data",
             str(data), "--normalize", "0.5,0.25", message="drop --normalize")


def test_normalize_without_data(user_model, tmp_path, run_cli):
    _refused(run_cli, tmp_path, "--model", str(user_model), "--runtime", "tflm",
             "--normalize", "0.5,0.25", message="pass --data FILE.npz too")


def test_data_and_dataset_together(user_model, tmp_path, run_cli):
    data = _npz(tmp_path / "d.npz", images=_images(2), labels=np.array([0, 1]))
    _refused(run_cli, tmp_path, "--model", str(user_model), "--runtime", "tflm", "--data",
             str(data), "--dataset", "digits", message="either --data FILE.npz or --dataset")


@pytest.mark.parametrize(("text", "message"), [
    ("0.5", "is not MEAN,STD"), ("0.5,0", "stds finite and > 0"),
    ("0.1,0.2,0.3:0.2,0.2", "3 means and 2 stds"), ("a,b", "not a number")])
def test_malformed_normalize(user_model, tmp_path, run_cli, text, message):
    data = _npz(tmp_path / "d.npz", images=_images(2), labels=np.array([0, 1]))
    _refused(run_cli, tmp_path, "--model", str(user_model), "--runtime", "tflm", "--data",
             str(data), f"--normalize={text}", message=message)


def test_per_channel_normalize_of_another_channel_count(user_model, tmp_path, run_cli):
    data = _npz(tmp_path / "d.npz", images=_images(2), labels=np.array([0, 1]))
    _refused(run_cli, tmp_path, "--model", str(user_model), "--runtime", "tflm", "--data",
             str(data), "--normalize", "0.1,0.2,0.3,0.4:0.2", message="give 1 or 3")


def test_images_of_another_size_than_the_model_input(user_model, tmp_path, run_cli):
    data = _npz(tmp_path / "d.npz", images=_images(2, (4, 5, 3)), labels=np.array([0, 1]))
    _refused(run_cli, tmp_path, "--model", str(user_model), "--runtime", "tflm", "--data",
             str(data), "--normalize", "0.5,0.25", message="takes 32×32×3 (H×W×C)")


def test_labels_beyond_the_model_classes(tmp_path, run_cli):
    model = tmp_path / "m" / "tiny.tflite"
    model.parent.mkdir()
    shutil.copy(TINY, model)
    data = _npz(tmp_path / "d.npz", images=_images(2, (4, 5, 3)), labels=np.array([0, 3]))
    _refused(run_cli, tmp_path, "--model", str(model), "--runtime", "tflm", "--data",
             str(data), "--normalize", "0.5,0.25", message="labels reach 3, but")


def test_a_bad_data_file_is_refused_before_the_model_runs(user_model, tmp_path, run_cli):
    data = tmp_path / "d.npz"
    data.write_bytes(b"PK not really")
    _refused(run_cli, tmp_path, "--model", str(user_model), "--runtime", "native", "--data",
             str(data), "--normalize", "0.5,0.25", message="is not an .npz archive")


VECTOR = CORPUS / "op_fc.tflite"  # input 1×12 (a feature vector, not an image), 5 outputs


@pytest.fixture
def vector_model(tmp_path) -> Path:
    return _copied(VECTOR, tmp_path / "m" / "features.tflite")


@pytest.mark.slow  # compiles the native runtime for the model
def test_a_vector_input_model_on_quantised_feature_rows(vector_model, tmp_path, run_cli):
    rng = np.random.default_rng(3)
    inputs = rng.integers(-128, 128, (7, 12), dtype=np.int8)
    data = _npz(tmp_path / "features.npz", inputs=inputs, labels=np.arange(7) % 5)
    records = {}
    for runtime in ("tflm", "native"):
        out = tmp_path / runtime
        result = run_cli("evaluate", "--model", str(vector_model), "--runtime", runtime,
                         "--data", str(data), "--out", str(out))
        assert result.code == 0, result.err
        records[runtime] = load_record(out)
    from tinyedge.int8 import run_int8

    expected = run_int8(vector_model, inputs, "tflm")
    assert records["tflm"].logits.shape == (7, 5)
    np.testing.assert_array_equal(records["tflm"].logits, expected)
    np.testing.assert_array_equal(records["native"].logits, expected)


def test_a_vector_input_model_refuses_images_and_rows_of_another_length(vector_model,
                                                                        tmp_path, run_cli):
    images = _npz(tmp_path / "i.npz", images=_images(2, (2, 2, 3)), labels=np.array([0, 1]))
    _refused(run_cli, tmp_path, "--model", str(vector_model), "--runtime", "tflm", "--data",
             str(images), "--normalize", "0.5,0.25", message="takes a 1×12 vector, not an image")
    short = _npz(tmp_path / "s.npz", inputs=np.zeros((2, 10), np.int8), labels=np.array([0, 1]))
    _refused(run_cli, tmp_path, "--model", str(vector_model), "--runtime", "tflm", "--data",
             str(short), message="rows are 10, but")
    flat = _npz(tmp_path / "f.npz", images=np.zeros((2, 12), np.uint8), labels=np.array([0, 1]))
    _refused(run_cli, tmp_path, "--model", str(vector_model), "--runtime", "tflm", "--data",
             str(flat), message="images must be uint8 N×H×W×C (NHWC), got uint8 2×12")


FLOAT_IO = CORPUS / "op_classifier_float_io.tflite"  # float32 1×4×4×3 in, float32 6 out


@pytest.fixture
def float_io_model(tmp_path) -> Path:
    """A classifier with float32 edges: QUANTIZE after the input, DEQUANTIZE before the
    output, as TensorFlow's converter writes with float inference input/output types."""
    return _copied(FLOAT_IO, tmp_path / "f" / "float_edges.tflite")


@pytest.mark.slow  # compiles the native runtime for the model
def test_a_float_edge_model_is_the_same_on_every_host_runtime(float_io_model, tmp_path,
                                                                run_cli):
    """Images become normalised float32, which the model quantizes itself; every runtime
    returns its float32 logits, byte for byte the same as TFLite Micro's."""
    sig = check_int8_model(float_io_model)
    assert (sig.input_dtype, sig.output_dtype) == ("float32", "float32")
    assert sig.input_bytes == 4 * 4 * 3 * 4 and sig.output_bytes == 6 * 4
    images, labels = _images(9, (4, 4, 3), seed=4), np.arange(9) % 6
    data = _npz(tmp_path / "imgs.npz", images=images, labels=labels)
    records = {}
    for runtime in ("tflm", "native", "litert-ref"):
        out = tmp_path / runtime
        result = run_cli("evaluate", "--model", str(float_io_model), "--runtime", runtime,
                         "--data", str(data), "--normalize", _norm_arg(), "--out", str(out))
        assert result.code == 0, result.err
        records[runtime] = load_record(out)
    from tinyedge.int8 import run_int8
    from tinyedge.int8.preprocess import model_input

    x = model_input(images, *NORM, sig)
    assert x.dtype == np.float32
    expected = run_int8(float_io_model, x, "tflm")
    assert expected.dtype == np.float32 and expected.shape == (9, 6)
    for runtime, record in records.items():
        assert not record.is_quantized, runtime  # the model's own float logits
        assert record.logits.view(np.uint32).tolist() == expected.view(np.uint32).tolist(), \
            runtime
    metrics = json.loads((tmp_path / "native" / "metrics.json").read_text())
    assert metrics["n"] == 9


def test_a_float_edge_model_takes_float32_inputs_not_int8(float_io_model, tmp_path,
                                                          run_cli):
    rows = np.random.default_rng(2).normal(0, 1, (3, 4, 4, 3))
    good = _npz(tmp_path / "good.npz", inputs=rows.astype(np.float32), labels=np.arange(3))
    result = run_cli("evaluate", "--model", str(float_io_model), "--runtime", "tflm",
                     "--data", str(good), "--out", str(tmp_path / "ok"))
    assert result.code == 0, result.err
    assert load_record(tmp_path / "ok").logits.dtype == np.float32
    int8 = _npz(tmp_path / "q.npz", inputs=np.zeros((2, 4, 4, 3), np.int8),
                labels=np.array([0, 1]))
    _refused(run_cli, tmp_path, "--model", str(float_io_model), "--runtime", "tflm",
             "--data", str(int8), message="holds int8 `inputs`, but")
    nan = rows.astype(np.float32)
    nan[0, 0, 0, 0] = np.nan
    bad = _npz(tmp_path / "nan.npz", inputs=nan, labels=np.arange(3))
    _refused(run_cli, tmp_path, "--model", str(float_io_model), "--runtime", "tflm",
             "--data", str(bad), message="inputs hold NaN or infinite values")
