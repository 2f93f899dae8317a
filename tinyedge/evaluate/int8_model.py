"""Evaluation of an exported int8 ``.tflite`` on a host runtime, into the record format."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tinyedge.data import ImageDataset
from tinyedge.data.user_data import UserData
from tinyedge.errors import ModelError
from tinyedge.fileio import check_stage_folder, file_entry, set_aside, write_manifest
from tinyedge.int8 import (
    Normalization,
    check_int8_model,
    model_inputs,
    output_record,
    prepare_int8,
    record_extra,
)
from tinyedge.int8.anomaly import write_anomaly_outputs
from tinyedge.int8.float_partner import pair_float, paired_inputs
from tinyedge.int8.inputs import Task
from tinyedge.progress import Progress
from tinyedge.records import OutputKind, headline_figures, write_record


def evaluate_tflite(
    model_path: str | Path,
    runtime: str,
    out_dir: str | Path,
    *,
    dataset: ImageDataset | None = None,
    data: UserData | None = None,
    normalize: Normalization | None = None,
    data_root: str | Path | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    task: Task | None = None,
    float_model: str | None = None,
    weights: str | Path | None = None,
    output_kind: OutputKind | None = None,
) -> dict[str, Any]:
    """Quantize the test split (or the user's ``data``) with the model's input scale/zero
    point, run it on ``runtime`` and write the int8 record (raw int8 logits + output
    quantization), with the similarity to the float model's logits when they are known.
    A float model — ``float_model`` (``--float-model``, ``weights`` for a PyTorch
    factory) or the one ``tinyedge export --model`` recorded — is evaluated on the same
    rows into the sibling ``float/`` folder first (:mod:`tinyedge.int8.float_partner`).
    ``output_kind`` (``--outputs``) overrides what the graph shows (logits or
    probabilities). A record of another model in ``out_dir`` is moved aside.
    A reconstruction model (``task``, see :func:`tinyedge.int8.inputs.model_task`) gets the
    anomaly record instead: a reconstruction error per input, mean/median and ROC AUC."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 1):
        raise ModelError(f"limit must be a whole number ≥ 1, got {limit!r}; pass --limit N")
    check_stage_folder(out_dir, "evaluate")
    signature = check_int8_model(model_path, compiled=(runtime == "native"))
    m = model_inputs(model_path, signature, dataset=dataset, data=data, normalize=normalize,
                     data_root=data_root, limit=limit, task=task)
    partner = pair_float(model_path, m, signature, out_dir, float_model=float_model,
                         weights=weights, output_kind=output_kind, progress=progress)
    model_entry = file_entry(model_path)
    if (moved := set_aside(out_dir, "model", model_entry["sha256"])) is not None and progress:
        progress.message(f"{out_dir} held the record of another model; moved it to "
                         f"{moved.name}")
    started = time.perf_counter()
    run = prepare_int8(model_path, runtime)  # load or compile: timed apart
    prepared = time.perf_counter()
    outputs = run(m.inputs, progress)
    seconds = time.perf_counter() - prepared
    prepare_seconds = prepared - started
    if m.task == "anomaly":
        metrics = write_anomaly_outputs(model_path, m, outputs, signature, out_dir, runtime)
    else:
        record = output_record(m.labels, outputs, signature, output_kind)
        metrics = write_record(out_dir, record, m.class_names, runtime=runtime,
                               extra=record_extra(model_path, m, record, out_dir,
                                                  partner and partner.sha256))
    write_manifest(
        out_dir, "evaluate",
        inputs={"model": model_entry, "dataset": m.dataset, "images": m.images,
                **({"data": file_entry(m.data_path)} if m.data_path else {}),
                **paired_inputs(partner)},
        parameters={"runtime": runtime, "limit": limit, "normalization": m.normalization},
        figures={**headline_figures(metrics),
                 "prepare_seconds": prepare_seconds, "seconds": seconds,
                 "images_per_s": len(m.inputs) / max(seconds, 1e-9)},
    )
    return metrics
