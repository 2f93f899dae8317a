"""`--data FILE.npz`: the reader accepts the documented format and refuses everything else
with one DatasetError line naming the file and the fix (one test per kind of refusal)."""

from __future__ import annotations

import numpy as np
import pytest

from tinyedge.data.user_data import check_fits, load_user_data
from tinyedge.errors import DatasetError

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (6, 4, 5, 3), dtype=np.uint8)
LABELS = np.array([0, 1, 2, 0, 1, 2])


def _write(tmp_path, **arrays):
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    return path


def _refused(path, match, **kwargs) -> str:
    with pytest.raises(DatasetError, match=match) as info:
        load_user_data(path, **kwargs)
    text = str(info.value)
    assert "\n" not in text and str(path) in text and "; " in text  # the file and the fix
    return text


def test_images_labels_and_class_names_are_read(tmp_path):
    path = _write(tmp_path, images=IMAGES, labels=LABELS.astype(np.int32),
                  class_names=np.array(["a", "b", "c"]))
    data = load_user_data(path)
    assert np.array_equal(data.images, IMAGES) and data.inputs is None
    assert data.labels.dtype == np.int64 and np.array_equal(data.labels, LABELS)
    assert data.class_names == ("a", "b", "c") and data.sample_shape == (4, 5, 3)
    key = data.image_set()
    assert key["dataset"] == "data.npz" and key["size"] == 6 and len(key["sha256"]) == 64
    check_fits(data, (4, 5, 3), 3, "m.tflite")


def test_quantised_inputs_are_read(tmp_path):
    inputs = IMAGES.astype(np.int16).__sub__(128).astype(np.int8)
    data = load_user_data(_write(tmp_path, inputs=inputs, labels=LABELS))
    assert data.quantized and np.array_equal(data.inputs, inputs) and data.images is None


def test_not_an_npz(tmp_path):
    path = tmp_path / "data.npz"
    path.write_bytes(b"not a zip archive")
    _refused(path, "is not an .npz archive")


def test_missing_file(tmp_path):
    _refused(tmp_path / "absent.npz", "does not exist")


def test_unknown_member(tmp_path):
    _refused(_write(tmp_path, images=IMAGES, labels=LABELS, extra=LABELS),
             "unknown member.*'extra'")


def test_both_images_and_inputs(tmp_path):
    _refused(_write(tmp_path, images=IMAGES, inputs=IMAGES.view(np.int8), labels=LABELS),
             "exactly one of 'images'.*holds both")


def test_no_labels(tmp_path):
    _refused(_write(tmp_path, images=IMAGES), "has no 'labels'")


@pytest.mark.parametrize("images", [IMAGES.astype(np.float32), IMAGES[0]])
def test_images_of_the_wrong_dtype_or_rank(tmp_path, images):
    _refused(_write(tmp_path, images=images, labels=LABELS[:len(images)]),
             "images must be uint8 N×H×W×C")


def test_inputs_that_are_not_int8(tmp_path):
    _refused(_write(tmp_path, inputs=IMAGES, labels=LABELS), "inputs must be int8")


@pytest.mark.parametrize("labels", [LABELS.astype(np.float64), LABELS[:, None]])
def test_labels_that_are_not_integers_in_one_dimension(tmp_path, labels):
    _refused(_write(tmp_path, images=IMAGES, labels=labels), "labels must be a non-empty 1-D")


def test_negative_labels(tmp_path):
    _refused(_write(tmp_path, images=IMAGES, labels=LABELS - 1), "labels must be ≥ 0")


def test_fewer_labels_than_images(tmp_path):
    _refused(_write(tmp_path, images=IMAGES, labels=LABELS[:4]), "6 rows of images but 4")


def test_pickled_object_array_is_never_unpickled(tmp_path):
    names = np.array([{"a": 1}, "b", "c"], dtype=object)
    _refused(_write(tmp_path, images=IMAGES, labels=LABELS, class_names=names),
             "cannot read without pickle")


def test_class_names_that_are_not_strings(tmp_path):
    _refused(_write(tmp_path, images=IMAGES, labels=LABELS, class_names=np.arange(3)),
             "class_names must be a 1-D array of ≥ 2 strings")


def test_file_over_the_size_cap(tmp_path):
    path = _write(tmp_path, images=IMAGES, labels=LABELS)
    _refused(path, "more than the 100 tinyedge reads", max_bytes=100)


def test_header_promising_more_than_the_cap_is_refused_before_reading(tmp_path):
    """A compressed member whose .npy header declares 4 GB: refused from the header."""
    import zipfile

    header = np.lib.format.header_data_from_array_1_0(IMAGES)
    header["shape"] = (1 << 20, 64, 64, 1)
    path = tmp_path / "data.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("images.npy", "w") as fh:
            np.lib.format.write_array_header_1_0(fh, header)
            fh.write(b"\0" * 1000)
        with archive.open("labels.npy", "w") as fh:
            np.lib.format.write_array(fh, LABELS)
    _refused(path, "unpacks to 4,294,967,344 bytes")


def test_rows_of_another_shape_than_the_model_input(tmp_path):
    data = load_user_data(_write(tmp_path, images=IMAGES, labels=LABELS))
    with pytest.raises(DatasetError, match=r"rows are 4×5×3, but m\.tflite takes 32×32×3"):
        check_fits(data, (32, 32, 3), 3, "m.tflite")


def test_labels_beyond_the_model_outputs(tmp_path):
    data = load_user_data(_write(tmp_path, images=IMAGES, labels=LABELS))
    with pytest.raises(DatasetError, match=r"labels reach 2, but m.tflite has 2 outputs"):
        check_fits(data, (4, 5, 3), 2, "m.tflite")


def test_class_names_not_one_per_output(tmp_path):
    data = load_user_data(_write(tmp_path, images=IMAGES, labels=LABELS,
                                 class_names=np.array(["a", "b", "c"])))
    with pytest.raises(DatasetError, match=r"names 3 classes, but m\.tflite has 4 outputs"):
        check_fits(data, (4, 5, 3), 4, "m.tflite")
