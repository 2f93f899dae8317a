import numpy as np
import pytest

from tinyedge.errors import TinyedgeError
from tinyedge.records import image_set, load_metrics, load_record, make_record, write_record

NAMES = ("a", "b", "c")


def test_float_record_round_trip(tmp_path):
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 0.0], [1.0, 1.0, 5.0], [9.0, 0.0, 0.0]])
    labels = np.array([0, 1, 1, 2])
    metrics = write_record(tmp_path, make_record(labels, logits), NAMES, runtime="float")
    with np.load(tmp_path / "predictions.npz") as npz:
        assert sorted(npz.files) == ["indices", "labels", "logits", "outputs", "pred"]
        assert npz["indices"].tolist() == [0, 1, 2, 3]  # the first 4 images of the split
        assert str(npz["outputs"]) == "logits"
        assert npz["labels"].dtype == np.int64 and npz["pred"].dtype == np.int64
        assert npz["logits"].dtype == np.float32 and npz["logits"].shape == (4, 3)
        assert npz["pred"].tolist() == [0, 1, 2, 0]
    assert metrics["top1"] == 0.5 and metrics["n"] == 4
    assert metrics["per_class_accuracy"] == [1.0, 0.5, 0.0]
    assert load_metrics(tmp_path) == metrics
    assert load_record(tmp_path).pred.tolist() == [0, 1, 2, 0]


def test_int8_record_keeps_raw_output_and_quantization(tmp_path):
    q = np.array([[10, -5, -128], [0, 20, 1]], dtype=np.int8)
    record = make_record(np.array([0, 0]), q, output_scale=0.5, output_zero_point=-2)
    metrics = write_record(tmp_path, record, NAMES, runtime="tflm")
    loaded = load_record(tmp_path)
    assert loaded.logits.dtype == np.int8 and np.array_equal(loaded.logits, q)
    assert loaded.output_scale == 0.5 and loaded.output_zero_point == -2
    np.testing.assert_allclose(loaded.real_logits()[0], [6.0, -1.5, -63.0])
    # Confidence comes from the softmax of the dequantized logits.
    expected = np.exp(6.0) / np.exp([6.0, -1.5, -63.0]).sum()
    assert metrics["mean_confidence_correct"] == pytest.approx(expected)
    assert metrics["runtime"] == "tflm" and metrics["top1"] == 0.5


def test_probability_outputs_are_confidences_as_they_are(tmp_path):
    # An int8 model ending in SOFTMAX: scale 1/256, zero point -128 → real = (q + 128) / 256.
    # Row 0: [0.75, 0.25] (correct, confidence 0.75); row 1: [0.5, 0.5] (tie → class 0,
    # wrong, confidence 0.5). Softmax of those values would say 0.622 and 0.5 instead.
    q = np.array([[64, -64], [0, 0]], dtype=np.int8)
    record = make_record(np.array([0, 1]), q, 1 / 256, -128, output_kind="probabilities")
    metrics = write_record(tmp_path, record, ("a", "b"), runtime="tflm")
    assert metrics["outputs"] == "probabilities"
    assert metrics["mean_confidence_correct"] == pytest.approx(0.75)
    assert metrics["mean_confidence_wrong"] == pytest.approx(0.5)
    # ECE over 15 bins: |1 − 0.75|·½ + |0 − 0.5|·½ = 0.375
    assert metrics["ece"] == pytest.approx(0.375)
    loaded = load_record(tmp_path)
    assert loaded.output_kind == "probabilities"
    np.testing.assert_allclose(loaded.probabilities(), [[0.75, 0.25], [0.5, 0.5]])
    as_logits = make_record(np.array([0, 1]), q, 1 / 256, -128)
    assert as_logits.probabilities()[0, 0] == pytest.approx(1 / (1 + np.exp(-0.5)))


def test_record_output_kind_is_validated(tmp_path):
    with pytest.raises(ValueError, match="output_kind"):
        make_record(np.array([0]), np.zeros((1, 2), np.float32), output_kind="scores")
    write_record(tmp_path, make_record(np.array([0]), np.zeros((1, 2), np.float32)), ("a", "b"),
                 runtime="float")
    with np.load(tmp_path / "predictions.npz") as npz:
        arrays = dict(npz)
    arrays["outputs"] = np.array("scores")
    np.savez(tmp_path / "predictions.npz", **arrays)
    with pytest.raises(TinyedgeError, match="'outputs' must be one of logits, probabilities"):
        load_record(tmp_path)


def test_int8_record_without_quantization_is_refused():
    with pytest.raises(ValueError, match="scale and zero point"):
        make_record(np.array([0]), np.zeros((1, 3), dtype=np.int8))


def test_missing_or_corrupt_record(tmp_path):
    with pytest.raises(TinyedgeError, match="run `tinyedge evaluate` first"):
        load_record(tmp_path)
    (tmp_path / "predictions.npz").write_bytes(b"not a zip")
    with pytest.raises(TinyedgeError, match="not a valid prediction record"):
        load_record(tmp_path)


def test_device_runtime_names_round_trip() -> None:
    from tinyedge.layout import device_runtime, is_device_runtime, parse_device_runtime

    for board in ("nucleo-f746", "mps2-an500"):
        for reach in ("board", "qemu", "renode"):
            name = device_runtime(board, reach)
            parsed = parse_device_runtime(name)
            assert parsed is not None and (parsed.board, parsed.reach) == (board, reach)
            assert is_device_runtime(name) and parsed.emulated == (reach != "board")
    assert device_runtime("nucleo-f746", "qemu") == "device-nucleo-f746-qemu"
    assert parse_device_runtime("tflm") is None and not is_device_runtime("litert")


def test_record_indices_round_trip_and_are_validated(tmp_path):
    logits = np.eye(3)[[0, 1, 2]]
    write_record(tmp_path, make_record([0, 1, 2], logits, indices=[7, 2, 9]), NAMES,
                 runtime="float")
    assert load_record(tmp_path).image_indices().tolist() == [7, 2, 9]
    with pytest.raises(ValueError, match="distinct"):
        make_record([0, 1, 2], logits, indices=[1, 1, 2])
    with np.load(tmp_path / "predictions.npz") as npz:
        arrays = dict(npz)
    arrays["indices"] = np.array([0, 0, 1])
    np.savez(tmp_path / "predictions.npz", **arrays)
    with pytest.raises(TinyedgeError, match="'indices' must be 3 distinct integers"):
        load_record(tmp_path)


def test_image_set_names_the_split_and_hashes_images_and_labels():
    images = np.zeros((4, 2, 2, 3), np.uint8)
    labels = np.array([0, 1, 0, 1])
    key = image_set("digits", "test", images, labels)
    assert (key["dataset"], key["split"], key["size"]) == ("digits", "test", 4)
    assert image_set("digits", "test", images, labels) == key
    changed = images.copy()
    changed[3, 0, 0, 0] = 1
    assert image_set("digits", "test", changed, labels)["sha256"] != key["sha256"]
    assert image_set("digits", "test", images, labels[::-1])["sha256"] != key["sha256"]
