"""Float evaluation of a trained checkpoint on a test split, into the shared record format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinyedge.data import ImageDataset
from tinyedge.errors import TinyedgeError
from tinyedge.fileio import check_stage_folder, file_entry, write_manifest
from tinyedge.layout import FLOAT_RUNTIME
from tinyedge.progress import Progress
from tinyedge.records import image_set, make_record, write_record
from tinyedge.train.checkpoint import load_model
from tinyedge.train.infer import float_logits


def evaluate_checkpoint(
    checkpoint: str | Path,
    dataset: ImageDataset,
    out_dir: str | Path,
    *,
    device: str = "cpu",
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Evaluate ``checkpoint`` on ``dataset``'s test split; write the record and manifest
    into ``out_dir``; return the metrics."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 1):
        raise TinyedgeError(f"limit must be a whole number ≥ 1, got {limit!r}; pass --limit N")
    check_stage_folder(out_dir, "evaluate")
    model, spec, payload = load_model(checkpoint)
    if tuple(payload["class_names"]) != dataset.class_names:
        raise TinyedgeError(
            f"{checkpoint} was trained on {payload.get('dataset', 'another dataset')} "
            f"({payload['num_classes']} classes), not {dataset.name} ({dataset.num_classes} "
            "classes); pass the matching --dataset"
        )
    images, labels = dataset.split("test")
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    norm = payload["normalization"]
    logits = float_logits(model, images, tuple(norm["mean"]), tuple(norm["std"]),
                          device=device, progress=progress)
    record = make_record(labels, logits)
    metrics = write_record(out_dir, record, dataset.class_names, runtime=FLOAT_RUNTIME,
                           extra={"model": spec.name, "dataset": dataset.name})
    write_manifest(
        out_dir, "evaluate",
        inputs={"checkpoint": file_entry(checkpoint), "dataset": dataset.name,
                "images": image_set(dataset.name, "test", *dataset.split("test"))},
        parameters={"runtime": FLOAT_RUNTIME, "device": device, "limit": limit},
        figures={k: metrics[k] for k in ("top1", "top5", "ece", "n")},
    )
    return metrics
