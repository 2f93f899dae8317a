"""Where two models' predictions part: confusion matrices, their difference, the flipped
images and the class-to-class flows between two models on the same images (SPEC §7
"float vs deployed int8": not only how many inputs change, but which).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tinyedge.analysis.errors import _labels_pred


class Flow(NamedTuple):
    source: int  # class model A predicts
    target: int  # class model B predicts for the same image
    count: int


class FlippedImages(NamedTuple):
    correct_to_wrong: np.ndarray  # indices right under A, wrong under B (ascending, int64)
    wrong_to_correct: np.ndarray  # indices wrong under A, right under B


def _classes(values: np.ndarray, num_classes: int, name: str) -> None:
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    if values.size and (values.min() < 0 or values.max() >= num_classes):
        raise ValueError(f"{name} holds class ids outside 0…{num_classes - 1}")


def confusion_matrix(labels: np.ndarray, pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts ``M[i, j] = |{n : labels[n] = i and pred[n] = j}|`` (rows: true class,
    columns: predicted class), int64 of shape (num_classes, num_classes).

    Example: labels [0, 0, 1], pred [0, 1, 1], 2 classes → [[1, 1], [0, 1]].
    """
    labels, pred = _labels_pred(labels, pred)
    _classes(labels, num_classes, "labels")
    _classes(pred, num_classes, "pred")
    out = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(out, (labels.astype(np.int64), pred.astype(np.int64)), 1)
    return out


def confusion_difference(labels: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray,
                         num_classes: int) -> np.ndarray:
    """``D = M_B − M_A``: how model B's confusion matrix differs from model A's on the same
    images. Each row sums to 0 (the images of a class are the same for both); a positive
    off-diagonal ``D[i, j]`` means B calls class i "j" more often than A does, a negative
    diagonal entry that B gets class i right less often.

    Example: labels [0, 0, 1], A [0, 0, 1], B [0, 1, 1] → [[-1, 1], [0, 0]].
    """
    labels, pred_a = _labels_pred(labels, pred_a)
    _, pred_b = _labels_pred(labels, pred_b)
    return (confusion_matrix(labels, pred_b, num_classes)
            - confusion_matrix(labels, pred_a, num_classes))


def flipped_images(labels: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> FlippedImages:
    """The images behind :func:`~tinyedge.analysis.flips`' counts:
    right→wrong = {n : a_n = y_n ≠ b_n}, wrong→right = {n : a_n ≠ y_n = b_n}.

    Example: labels [0, 1, 2, 3], A [0, 0, 2, 3], B [1, 1, 2, 0] → right→wrong [0, 3],
    wrong→right [1].
    """
    labels, pred_a = _labels_pred(labels, pred_a)
    _, pred_b = _labels_pred(labels, pred_b)
    right_a, right_b = pred_a == labels, pred_b == labels
    return FlippedImages(np.flatnonzero(right_a & ~right_b).astype(np.int64),
                         np.flatnonzero(~right_a & right_b).astype(np.int64))


def class_flows(pred_a: np.ndarray, pred_b: np.ndarray, top: int | None = None) -> list[Flow]:
    """Class-to-class flows between two models: for every pair a ≠ b, the number of images
    that model A predicts as class a and model B as class b,
    ``count(a → b) = |{n : A_n = a and B_n = b}|``. Images both predict alike are no flow.
    Sorted by count (descending), then source, then target; ``top`` keeps the first ones.
    No image changes → an empty list.

    Example: A [0, 0, 0, 1, 2], B [1, 1, 2, 1, 0] → [(0→1, 2), (0→2, 1), (2→0, 1)].
    """
    a, b = _labels_pred(pred_a, pred_b)
    if top is not None and top < 0:
        raise ValueError(f"top must be ≥ 0, got {top}")
    moved = a != b
    pairs, counts = np.unique(np.stack([a[moved], b[moved]], axis=1).astype(np.int64),
                              axis=0, return_counts=True)
    flows = [Flow(int(s), int(t), int(c)) for (s, t), c in zip(pairs, counts, strict=True)]
    flows.sort(key=lambda f: (-f.count, f.source, f.target))
    return flows if top is None else flows[:top]
