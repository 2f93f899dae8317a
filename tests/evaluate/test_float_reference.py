"""The float record as the reference of an int8 record's similarity figures: used only for
the exported checkpoint on the same image set, matched by image index."""

from __future__ import annotations

import numpy as np
import pytest

from tinyedge.fileio import write_manifest
from tinyedge.int8 import float_similarity
from tinyedge.records import make_record, write_record

CKPT = "a" * 64
IMAGES = {"dataset": "digits", "split": "test", "size": 4, "sha256": "b" * 64}
FLOAT_LOGITS = np.array([[2.0, 0.0], [0.0, 2.0], [1.0, 0.0], [0.0, 1.0]], np.float32)
LABELS = np.array([0, 1, 0, 1])


@pytest.fixture
def variant(tmp_path):
    folder = tmp_path / "scalecnn-w4-s0"
    write_record(folder / "float", make_record(LABELS, FLOAT_LOGITS), ("a", "b"),
                 runtime="float")
    write_manifest(folder / "float", "evaluate",
                   inputs={"checkpoint": {"sha256": CKPT}, "images": IMAGES})
    return folder


def _int8(q, indices=None):
    # scale 0.5, zero point 0: real = q / 2
    return make_record(LABELS[: len(q)] if indices is None else LABELS[indices],
                       np.array(q, np.int8), 0.5, 0, indices)


def test_figures_against_the_float_logits_on_common_images(variant):
    # images 1 and 3 only (a --limit elsewhere); real logits [[0, 2], [1, 1]]
    record = _int8([[0, 4], [2, 2]], indices=np.array([1, 3]))
    s = float_similarity(record, variant / "tflm", IMAGES, CKPT)
    assert s is not None and s["reference"] == "float" and s["n"] == 2
    # reference [[0, 2], [0, 1]], candidate [[0, 2], [1, 1]]: d = [[0, 0], [1, 0]]
    assert s["l2_relative_error"] == pytest.approx(1 / np.sqrt(5))
    assert s["cosine_similarity"] == pytest.approx(5 / (np.sqrt(5) * np.sqrt(6)))
    assert s["rmse"] == pytest.approx(0.5) and s["mae"] == pytest.approx(0.25)
    assert s["top1_agreement"] == 0.5  # [1, 1] ties → class 0


def test_no_figures_without_a_matching_float_record(variant, tmp_path):
    record = _int8([[4, 0], [0, 4]])
    assert float_similarity(record, variant / "tflm", IMAGES, None) is None  # no float model
    assert float_similarity(record, variant / "tflm", IMAGES, "c" * 64) is None
    assert float_similarity(record, variant / "tflm", {**IMAGES, "sha256": "d" * 64},
                            CKPT) is None
    assert float_similarity(record, tmp_path / "elsewhere" / "tflm", IMAGES, CKPT) is None
    disjoint = make_record([0], np.array([[4, 0]], np.int8), 0.5, 0, np.array([7]))
    assert float_similarity(disjoint, variant / "tflm", IMAGES, CKPT) is None
