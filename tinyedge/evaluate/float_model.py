"""Float evaluation of a trained checkpoint on a test split, into the shared record format
(the anomaly record for a reconstruction model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from tinyedge.analysis.anomaly import reconstruction_error
from tinyedge.data import ImageDataset
from tinyedge.errors import TinyedgeError
from tinyedge.fileio import check_stage_folder, file_entry, write_manifest
from tinyedge.int8.inputs import check_anomaly_labels
from tinyedge.layout import FLOAT_RUNTIME
from tinyedge.progress import Progress
from tinyedge.records import (
    AnomalyRecord,
    headline_figures,
    image_set,
    make_record,
    write_anomaly_record,
    write_record,
)
from tinyedge.train.augment import normalize, to_float
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
    mean, std = tuple(payload["normalization"]["mean"]), tuple(payload["normalization"]["std"])
    outputs = float_logits(model, images, mean, std, device=device, progress=progress)
    extra = {"model": spec.name, "dataset": dataset.name}
    if spec.reconstructs:
        check_anomaly_labels(labels, f"{dataset.name}'s test split")
        metrics = write_anomaly_record(out_dir, _float_anomaly_record(images, labels, outputs,
                                                                      mean, std),
                                       runtime=FLOAT_RUNTIME, extra=extra)
    else:
        metrics = write_record(out_dir, make_record(labels, outputs), dataset.class_names,
                               runtime=FLOAT_RUNTIME, extra=extra)
    write_manifest(
        out_dir, "evaluate",
        inputs={"checkpoint": file_entry(checkpoint), "dataset": dataset.name,
                "images": image_set(dataset.name, "test", *dataset.split("test"))},
        parameters={"runtime": FLOAT_RUNTIME, "device": device, "limit": limit},
        figures=headline_figures(metrics),
    )
    return metrics


def _float_anomaly_record(images: np.ndarray, labels: np.ndarray, outputs: np.ndarray,
                          mean: tuple[float, ...], std: tuple[float, ...]) -> AnomalyRecord:
    """Each input's score: the MSE between the float model's output and the normalised
    input it reconstructs (what int8 runtimes compute on the dequantised values). The
    record keeps the float outputs (scale 1, zero point 0)."""
    x = normalize(to_float(torch.from_numpy(images)), torch.tensor(mean), torch.tensor(std))
    return AnomalyRecord(np.asarray(labels, np.int64), outputs.astype(np.float32),
                         reconstruction_error(x.numpy(), outputs), 1.0, 0)
