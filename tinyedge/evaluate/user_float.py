"""Float evaluation of the user's own float model (float TFLite, Keras, SavedModel, ONNX,
PyTorch; :mod:`tinyedge.floatmodel`) on their ``--data`` file, into the shared record
format (``results/<model>-<sha256[:8]>/float/`` by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinyedge.data.user_data import UserData
from tinyedge.errors import DatasetError, ModelError
from tinyedge.fileio import check_stage_folder, file_entry, set_aside, write_manifest
from tinyedge.floatmodel import FloatModel, output_kind_of_values
from tinyedge.int8 import Normalization
from tinyedge.int8.float_partner import FLOAT_MODEL_KEY, float_model_rows
from tinyedge.layout import FLOAT_RUNTIME
from tinyedge.progress import Progress
from tinyedge.records import OutputKind, headline_figures, make_record, write_record


def evaluate_float_model(model: FloatModel, data: UserData, out_dir: str | Path, *,
                         normalize: Normalization | None = None, limit: int | None = None,
                         output_kind: OutputKind | None = None,
                         progress: Progress | None = None) -> dict[str, Any]:
    """Run ``model`` on ``data`` (the first ``limit`` rows) with the library of its format
    and write the float record (float32 outputs, logits or probabilities as ``output_kind``
    or the graph says) and its manifest into ``out_dir``; return the metrics."""
    check_stage_folder(out_dir, "evaluate")
    rows, norm = float_model_rows(model, data, normalize)
    model.check_input(tuple(rows.shape[1:]), f"--data {data.path}")
    labels = data.labels
    if limit is not None:
        rows, labels = rows[:limit], labels[:limit]
    outputs = model.run(rows, progress, desc=f"evaluate float ({model.format})")
    classes = outputs.shape[1]
    if classes < 2:
        raise ModelError(f"{model.spec} gives {classes} output per input; tinyedge evaluates "
                         "classifiers with one output per class")
    if int(labels.max()) >= classes:
        raise DatasetError(f"--data {data.path}: labels reach {int(labels.max())}, but "
                           f"{model.spec} has {classes} outputs; use the class ids of the "
                           "model's outputs")
    names = data.class_names
    if names is not None and len(names) != classes:
        raise DatasetError(f"--data {data.path} names {len(names)} classes, but {model.spec} "
                           f"has {classes} outputs; give one class name per output, or none")
    kind = output_kind or model.output_kind or output_kind_of_values(outputs)
    set_aside(out_dir, (FLOAT_MODEL_KEY, "checkpoint"), model.sha256)
    record = make_record(labels, outputs, output_kind=kind)
    metrics = write_record(out_dir, record, names or tuple(str(c) for c in range(classes)),
                           runtime=FLOAT_RUNTIME,
                           extra={"model": model.name, "dataset": data.name})
    write_manifest(
        out_dir, "evaluate",
        inputs={FLOAT_MODEL_KEY: model.identity, "dataset": data.name,
                "images": data.image_set(), "data": file_entry(data.path)},
        parameters={"runtime": FLOAT_RUNTIME, "backend": model.format, "limit": limit,
                    "normalization": norm, "outputs": kind},
        figures={**headline_figures(metrics), "params": model.parameters},
    )
    return metrics
