"""Evaluation of an exported int8 ``.tflite`` on a host runtime, into the record format."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from tinyedge.data import ImageDataset, load_dataset
from tinyedge.errors import ModelError
from tinyedge.fileio import (
    MANIFEST_NAME,
    Fields,
    check_stage_folder,
    file_entry,
    read_manifest,
    sha256_file,
    write_manifest,
)
from tinyedge.int8 import Int8Signature, check_int8_model, prepare_int8, quantize_images
from tinyedge.models import INPUT_SHAPE
from tinyedge.progress import Progress
from tinyedge.records import image_set, make_record, write_record

# Below this a scale cannot be inverted (1/scale overflows float32) or requantized.
MIN_SCALE = 1e-30


_EXPORT_FIX = "export the model again with `tinyedge export`"


def export_info(model_path: str | Path) -> dict[str, Any]:
    """The export manifest next to ``model_path`` (normalisation, classes, quantization),
    validated field by field, and checked to describe this very file: the sha256 it
    records for the ``.tflite`` must match (a re-export interrupted between the model and
    its manifest, or a file copied over, would otherwise be evaluated with the wrong
    normalisation)."""
    model_path = Path(model_path)
    manifest = read_manifest(model_path.parent, _EXPORT_FIX)
    path = model_path.parent / MANIFEST_NAME
    if manifest is None or manifest.get("stage") != "export":
        raise ModelError(
            f"no export manifest.json beside {model_path}; use a model written by "
            "`tinyedge export` (it records the normalisation and the input quantization)"
        )
    f = Fields(path, manifest, _EXPORT_FIX)
    inputs = f.object("inputs")
    inputs.string("dataset")
    params = f.object("parameters")
    num_classes = params.integer("num_classes", low=2)
    params.array("class_names", num_classes, item="string")
    norm = params.object("normalization")
    norm.array("mean", 3, item="number")
    std = norm.array("std", 3, item="number")
    if min(std) <= 0:
        raise norm.fail("std", "3 numbers > 0")
    tflite = f.object("outputs").object("tflite")
    recorded = tflite.string("sha256")
    if recorded != sha256_file(model_path):
        raise ModelError(
            f"{model_path} is not the model {path} describes (its sha256 differs from the "
            "one recorded at export: an interrupted or mixed-up export); "
            + _EXPORT_FIX)
    return manifest


def check_model_io(model_path: str | Path, signature: Int8Signature,
                   dataset: ImageDataset) -> None:
    """Refuse a model whose input is not one 32×32×3 image or whose output does not have
    one value per class of ``dataset``."""
    channels, height, width = INPUT_SHAPE
    expected = (1, height, width, channels)
    if tuple(signature.input_shape) != expected:
        raise ModelError(
            f"{model_path} takes input of shape {'×'.join(map(str, signature.input_shape))}, "
            f"but tinyedge evaluates {'×'.join(map(str, expected))} images (NHWC); export a "
            "model with a 32×32×3 input")
    outputs = int(np.prod(signature.output_shape)) if len(signature.output_shape) else 0
    if outputs != dataset.num_classes:
        raise ModelError(
            f"{model_path} has {outputs} output classes but {dataset.name} has "
            f"{dataset.num_classes}; evaluate it on the dataset it was trained on "
            "(--dataset)")
    for role, scale in (("input", signature.input_scale), ("output", signature.output_scale)):
        if not (math.isfinite(scale) and scale >= MIN_SCALE):
            raise ModelError(f"{model_path}: the {role} scale {scale:g} is not a usable "
                             f"quantization scale (must be ≥ {MIN_SCALE:g}); {_EXPORT_FIX}")


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
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 1):
        raise ModelError(f"limit must be a whole number ≥ 1, got {limit!r}; pass --limit N")
    check_stage_folder(out_dir, "evaluate")
    manifest = export_info(model_path)
    signature = check_int8_model(model_path)
    params = manifest["parameters"]
    if dataset is None:
        dataset = load_dataset(manifest["inputs"]["dataset"], data_root)
    check_model_io(model_path, signature, dataset)
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
    run = prepare_int8(model_path, runtime)  # load or compile: timed apart
    prepared = time.perf_counter()
    outputs = run(inputs, progress)
    seconds = time.perf_counter() - prepared
    prepare_seconds = prepared - started
    record = make_record(labels, outputs, signature.output_scale, signature.output_zero_point)
    name = Path(model_path).parent.name
    metrics = write_record(out_dir, record, dataset.class_names, runtime=runtime,
                           extra={"model": name, "dataset": dataset.name})
    write_manifest(
        out_dir, "evaluate",
        inputs={"model": file_entry(model_path), "dataset": dataset.name,
                "images": image_set(dataset.name, "test", *dataset.split("test"))},
        parameters={"runtime": runtime, "limit": limit},
        figures={**{k: metrics[k] for k in ("top1", "top5", "ece", "n")},
                 "prepare_seconds": prepare_seconds, "seconds": seconds,
                 "images_per_s": len(images) / max(seconds, 1e-9)},
    )
    return metrics
