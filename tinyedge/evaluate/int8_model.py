"""Evaluation of an exported int8 ``.tflite`` on a host runtime, into the record format."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tinyedge.data import ImageDataset, load_dataset
from tinyedge.errors import ModelError
from tinyedge.evaluate.host_int8 import quantize_images, run_int8
from tinyedge.fileio import file_entry, read_manifest, write_manifest
from tinyedge.progress import Progress
from tinyedge.records import make_record, write_record


def export_info(model_path: str | Path) -> dict[str, Any]:
    """The export manifest next to ``model_path``: normalisation, classes, quantization."""
    manifest = read_manifest(Path(model_path).parent)
    if manifest is None or manifest.get("stage") != "export":
        raise ModelError(
            f"no export manifest.json beside {model_path}; use a model written by "
            "`tinyedge export` (it records the normalisation and the input quantization)"
        )
    return manifest


def evaluate_tflite(
    model_path: str | Path,
    runtime: str,
    out_dir: str | Path,
    *,
    dataset: ImageDataset | None = None,
    data_root: str | Path | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Quantize the test split with the model's input scale/zero point, run it on
    ``runtime`` and write the int8 record (raw int8 logits + output quantization)."""
    from tinyedge.export.int8_check import check_int8_model

    manifest = export_info(model_path)
    signature = check_int8_model(model_path)
    params = manifest["parameters"]
    if dataset is None:
        dataset = load_dataset(manifest["inputs"]["dataset"], data_root)
    if list(dataset.class_names) != list(params["class_names"]):
        raise ModelError(f"{model_path} was exported for {manifest['inputs']['dataset']}, "
                         f"not {dataset.name}; pass the matching --dataset")
    images, labels = dataset.split("test")
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    norm = params["normalization"]
    inputs = quantize_images(images, norm["mean"], norm["std"], signature.input_scale,
                             signature.input_zero_point)
    started = time.perf_counter()
    outputs = run_int8(model_path, inputs, runtime, progress=progress)
    seconds = time.perf_counter() - started
    record = make_record(labels, outputs, signature.output_scale, signature.output_zero_point)
    name = Path(model_path).parent.name
    metrics = write_record(out_dir, record, dataset.class_names, runtime=runtime,
                           extra={"model": name, "dataset": dataset.name})
    write_manifest(
        out_dir, "evaluate",
        inputs={"model": file_entry(model_path), "dataset": dataset.name},
        parameters={"runtime": runtime, "limit": limit},
        figures={**{k: metrics[k] for k in ("top1", "top5", "ece", "n")},
                 "seconds": seconds, "images_per_s": len(images) / max(seconds, 1e-9)},
    )
    return metrics
