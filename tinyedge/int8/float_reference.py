"""The float model's logits as the reference of an int8 record: output-similarity figures
(:mod:`tinyedge.analysis.similarity`) for an int8 record's ``metrics.json``, and the
fields every int8 record (host runtimes and device alike) adds to the shared ones.

The reference is the float evaluation beside the int8 one — ``results/<variant>/float/``,
the sibling of the int8 record's folder — used only when its manifest says it evaluated
the float source of the int8 model (:func:`float_source_sha256`: the checkpoint or the
user's float model the export manifest names, or ``--float-model``) on the same image
set; rows are matched by their index in that set (``indices``), so a ``--limit`` on
either side compares the images both hold. No float record, or another float model or
image set: no figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tinyedge.analysis.similarity import logit_similarity
from tinyedge.errors import TinyedgeError
from tinyedge.fileio import read_manifest
from tinyedge.int8.inputs import ModelInputs
from tinyedge.layout import FLOAT_RUNTIME
from tinyedge.records import Record, load_record

_SAME_SET = ("dataset", "split", "sha256")


_FLOAT_SOURCES = ("checkpoint", "float_model")  # manifest inputs naming a float model


def float_source_sha256(inputs: dict[str, Any] | None) -> str | None:
    """The sha256 of the float model a manifest's ``inputs`` name: a zoo checkpoint, or the
    user's float model (``float_model``); None when they name none."""
    for key in _FLOAT_SOURCES:
        entry = (inputs or {}).get(key)
        if isinstance(entry, dict) and isinstance(entry.get("sha256"), str):
            return entry["sha256"]
    return None


def float_reference(out_dir: str | Path, images: dict[str, Any],
                    float_sha256: str | None) -> Record | None:
    """The float record beside ``out_dir`` when it is the float model ``float_sha256``'s
    on the image set ``images``; None otherwise (or when it cannot be read)."""
    if float_sha256 is None:
        return None
    folder = Path(out_dir).parent / FLOAT_RUNTIME
    try:
        manifest = read_manifest(folder)
        if manifest is None:
            return None
        if float_source_sha256(manifest["inputs"]) != float_sha256:
            return None
        inputs = manifest["inputs"]
        evaluated = inputs.get("images") or {}
        if any(evaluated.get(k) != images.get(k) for k in _SAME_SET):
            return None
        return load_record(folder)
    except (TinyedgeError, AttributeError, TypeError):
        return None


def float_similarity(record: Record, out_dir: str | Path, images: dict[str, Any],
                     float_sha256: str | None) -> dict[str, Any] | None:
    """``{"reference": "float", "n", "l2_relative_error", "cosine_similarity", "rmse",
    "mae", "top1_agreement"}`` of ``record``'s dequantised logits against the float
    model's on the images both hold; None without a usable float record. An undefined
    figure (all-zero logits) is None."""
    reference = float_reference(out_dir, images, float_sha256)
    if reference is None or reference.logits.shape[1] != record.logits.shape[1]:
        return None
    common, rows, ref_rows = np.intersect1d(record.image_indices(),
                                            reference.image_indices(), return_indices=True)
    if not len(common):
        return None
    s = logit_similarity(reference.real_logits()[ref_rows], record.real_logits()[rows])
    figures = {k: (None if v != v else v) for k, v in s._asdict().items()}  # NaN → None
    return {"reference": FLOAT_RUNTIME, **figures}


def record_extra(model_path: str | Path, m: ModelInputs, record: Record,
                 out_dir: str | Path, float_sha256: str | None = None) -> dict[str, Any]:
    """The fields an int8 record's metrics.json adds to the shared ones: the model, the
    dataset, and ``float_similarity`` (see :func:`float_similarity`) when known —
    against the float model ``float_sha256`` (``--float-model``), by default the one the
    export manifest names."""
    extra: dict[str, Any] = {"model": Path(out_dir).parent.name, "dataset": m.dataset}
    if float_sha256 is None and m.export is not None:
        float_sha256 = float_source_sha256(m.export["inputs"])
    similarity = float_similarity(record, out_dir, m.images, float_sha256)
    if similarity is not None:
        extra["float_similarity"] = similarity
    return extra
