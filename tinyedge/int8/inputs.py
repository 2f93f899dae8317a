"""What an int8 model is evaluated on, the same for every host runtime and the device: the
export manifest beside the model (validated, and checked to describe that very file), the
model's input and output against a dataset, and the inputs of a built-in dataset's test
split or of the user's ``--data`` file, made by the one preprocess function
(:func:`tinyedge.int8.preprocess.model_input`: quantised int8, or normalised float32 for a
model that quantizes its own input)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tinyedge.data import ImageDataset, load_dataset
from tinyedge.data.user_data import UserData, check_fits
from tinyedge.errors import DatasetError, ModelError
from tinyedge.fileio import Fields, read_manifest, sha256_file
from tinyedge.int8.preprocess import model_input, quantize_values
from tinyedge.int8.signature import Int8Signature
from tinyedge.layout import MANIFEST_NAME
from tinyedge.models import ARCHITECTURES
from tinyedge.records import ANOMALY_CLASSES, image_set

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
            f"no export {MANIFEST_NAME} beside {model_path}; use a model written by "
            "`tinyedge export` (it records the normalisation and the input quantization)"
        )
    f = Fields(path, manifest, _EXPORT_FIX)
    inputs = f.object("inputs")
    inputs.string("dataset")
    params = f.object("parameters")
    num_classes = params.integer("num_classes", low=2)
    params.array("class_names", num_classes, item="string")
    # One mean and std per input channel of the exported architecture (3 for images of
    # the scaling zoo, 1 for DS-CNN's MFCC features and the autoencoder's vector); a
    # user's own model (exported with --model) has its input's channels, and no
    # normalisation when it was calibrated on float features.
    known = ARCHITECTURES.get(params.data.get("arch"))
    user = user_export(manifest)
    if known is not None:
        channels = known.channels
    elif user:
        figures = f.object("figures")
        shape = figures.array("input_shape", item="integer", low=1)
        if not shape:
            raise figures.fail("input_shape", "the model's input shape")
        channels = int(shape[-1])
    else:
        channels = 3
    norm = params.object("normalization", optional=user)
    if norm is not None:
        norm.array("mean", channels, item="number")
        std = norm.array("std", channels, item="number")
        if min(std) <= 0:
            raise norm.fail("std", f"{channels} numbers > 0")
    tflite = f.object("outputs").object("tflite")
    recorded = tflite.string("sha256")
    if recorded != sha256_file(model_path):
        raise ModelError(
            f"{model_path} is not the model {path} describes (its sha256 differs from the "
            "one recorded at export: an interrupted or mixed-up export); "
            + _EXPORT_FIX)
    return manifest


def user_export(manifest: dict[str, Any] | None) -> bool:
    """Whether an export manifest is of the user's own float model (``tinyedge export
    --model``) rather than a zoo checkpoint."""
    return isinstance(((manifest or {}).get("inputs") or {}).get("float_model"), dict)


def check_model_io(model_path: str | Path, signature: Int8Signature,
                   dataset: ImageDataset, *, outputs: int | None = None) -> None:
    """Refuse a model whose input is not one input of ``dataset`` (a 32×32×3 image for the
    built-in datasets) or whose output does not have ``outputs`` values (default: one per
    class of ``dataset``)."""
    sample = tuple(dataset.test_images.shape[1:])
    expected = (1, *sample)
    if tuple(signature.input_shape) != expected:
        kind = "images (NHWC)" if len(sample) == 3 else "inputs"
        raise ModelError(
            f"{model_path} takes input of shape {'×'.join(map(str, signature.input_shape))}, "
            f"but tinyedge evaluates {'×'.join(map(str, expected))} {kind} of "
            f"{dataset.name}; export a model with a {'×'.join(map(str, sample))} input")
    got = int(np.prod(signature.output_shape)) if len(signature.output_shape) else 0
    if outputs is None and got != dataset.num_classes:
        raise ModelError(
            f"{model_path} has {got} output classes but {dataset.name} has "
            f"{dataset.num_classes}; evaluate it on the dataset it was trained on "
            "(--dataset)")
    if outputs is not None and got != outputs:
        raise ModelError(f"{model_path} has {got} output values, expected {outputs}; "
                         + _EXPORT_FIX)
    check_scales(model_path, signature)


_QUANTIZE_FIX = ("quantize the model again (full-integer, calibrated on typical inputs), "
                 "e.g. with `tinyedge export --model FLOAT_MODEL --calib CALIB.npz`")


def check_scales(model_path: str | Path, signature: Int8Signature,
                 fix: str = _EXPORT_FIX) -> None:
    """Refuse an input or output scale that cannot be inverted or requantized."""
    for role, scale in (("input", signature.input_scale), ("output", signature.output_scale)):
        if not (math.isfinite(scale) and scale >= MIN_SCALE):
            raise ModelError(f"{model_path}: the {role} scale {scale:g} is not a usable "
                             f"quantization scale (must be ≥ {MIN_SCALE:g}); {fix}")


Normalization = tuple[tuple[float, ...], tuple[float, ...]]

# What a model does with an input: classify it (one output per class, scored by top-1),
# or reconstruct it (an autoencoder, scored by its reconstruction error as an anomaly
# score; labels say normal 0 / anomalous 1).
Task = Literal["classify", "anomaly"]
TASKS: tuple[Task, ...] = ("classify", "anomaly")


@dataclass(frozen=True)
class ModelInputs:
    """What a model is evaluated on: its int8 input per row and everything a record and
    manifest say about those rows."""

    # N×H×W×C (or N×F) int8, or float32 for a float-input model: exactly what every
    # runtime and the device get
    inputs: np.ndarray
    labels: np.ndarray  # int64 (N,)
    class_names: tuple[str, ...]
    dataset: str  # the dataset's name, or the --data file's
    images: dict[str, Any]  # the manifest's inputs.images (image-set identity)
    inputs_sha256: str  # hash of the whole set's int8 inputs (before --limit)
    export: dict[str, Any] | None  # the export manifest, None for a model without one
    normalization: dict[str, Any] | None  # mean, std and where they came from
    data_path: Path | None = None  # the --data file
    task: Task = "classify"
    # the rows as the data holds them (uint8 images, float32 or int8 inputs), for a float
    # model evaluated beside the int8 one (tinyedge.int8.float_partner)
    raw: np.ndarray | None = None


def model_task(model_path: str | Path, signature: Int8Signature,
               manifest: dict[str, Any] | None, requested: Task | None) -> Task:
    """What ``model_path`` does: an exported model's task follows from its architecture
    (the zoo marks reconstructing ones, the MLPerf Tiny autoencoder); a model without an
    export manifest classifies unless the user says ``--task anomaly``. An anomaly model
    must output as many values as it takes."""
    if manifest is not None:
        arch = manifest["parameters"].get("arch")
        known = ARCHITECTURES.get(arch)
        task: Task = "anomaly" if known is not None and known.reconstructs else "classify"
        if requested is not None and requested != task:
            raise ModelError(f"{model_path} was exported as {arch}, a "
                             f"{'reconstruction' if task == 'anomaly' else 'classification'}"
                             f" model; drop --task {requested}")
    else:
        task = requested or "classify"
    if task == "anomaly":
        ins, outs = (math.prod(signature.input_shape), math.prod(signature.output_shape))
        if ins != outs:
            raise ModelError(f"{model_path} outputs {outs} values for {ins} inputs, so it "
                             "does not reconstruct its input; evaluate it without "
                             "--task anomaly")
    return task


def check_anomaly_labels(labels: np.ndarray, source: str) -> None:
    """Anomaly data is labelled 0 (normal) or 1 (anomalous), nothing else."""
    wrong = np.setdiff1d(labels, (0, 1))
    if len(wrong):
        raise DatasetError(f"{source}: anomaly-detection labels must be 0 (normal) or 1 "
                           f"(anomalous), found {int(wrong[0])}; relabel the inputs")


def find_export_info(model_path: str | Path) -> dict[str, Any] | None:
    """The validated export manifest beside ``model_path``, or None when there is no
    manifest.json there at all (a model from elsewhere, evaluated on ``--data``)."""
    manifest = Path(model_path).parent / MANIFEST_NAME
    if not manifest.exists() and not manifest.is_symlink():
        return None
    return export_info(model_path)


def model_inputs(model_path: str | Path, signature: Int8Signature, *,
                 dataset: ImageDataset | None = None, data: UserData | None = None,
                 normalize: Normalization | None = None,
                 data_root: str | Path | None = None, limit: int | None = None,
                 task: Task | None = None) -> ModelInputs:
    """The int8 inputs of ``model_path`` on a built-in dataset's test split (the one the
    export manifest names, or ``dataset``) or on the user's ``data``, quantized by the one
    preprocess function; ``normalize`` (mean, std per channel or for all) is for ``data``
    images of a model without an export manifest; ``task`` is ``--task`` (see
    :func:`model_task`). Refusals are one line each."""
    manifest = find_export_info(model_path)
    kind = model_task(model_path, signature, manifest, task)
    if data is None:
        if normalize is not None:
            raise DatasetError("--normalize applies to --data images only; the built-in "
                               "datasets use the export manifest's normalisation — drop it")
        if manifest is None:
            raise ModelError(
                f"no export {MANIFEST_NAME} beside {model_path}, so tinyedge does not know its "
                "data or normalisation; pass --data FILE.npz (and --normalize MEAN,STD "
                "unless the file holds `inputs`), or use a model written by "
                "`tinyedge export`")
        if user_export(manifest):
            raise ModelError(
                f"{model_path} was exported from your own model "
                f"({manifest['inputs']['float_model'].get('path')}); pass the data to "
                "evaluate it on with --data FILE.npz")
        return _dataset_inputs(model_path, signature, manifest, dataset, data_root, limit,
                               kind)
    if dataset is not None:
        raise DatasetError("pass either --data FILE.npz or --dataset, not both")
    shape = tuple(signature.input_shape)
    if len(shape) not in (2, 4) or shape[0] != 1:
        raise ModelError(f"{model_path} takes input of shape {'×'.join(map(str, shape))}; "
                         "tinyedge evaluates models with one 1×H×W×C image or 1×F vector "
                         "input")
    if len(shape) == 2 and data.images is not None:
        raise DatasetError(f"{model_path} takes a 1×{shape[1]} vector, not an image; give "
                           f"--data {data.path} `inputs` of its {signature.input_dtype} input")
    classes = int(np.prod(signature.output_shape))
    if kind == "anomaly":
        check_anomaly_labels(data.labels, f"--data {data.path}")
    check_fits(data, shape[1:], classes, model_path)
    check_scales(model_path, signature, _EXPORT_FIX if manifest is not None else _QUANTIZE_FIX)
    norm = None
    if data.inputs is not None:
        if normalize is not None:
            raise DatasetError(f"--data {data.path} holds `inputs` already in the model's "
                               "input type; drop --normalize")
        if data.inputs.dtype == np.float32 and signature.input_dtype == "int8":
            # float features (e.g. spectrograms): the int8 model gets them quantized with
            # its input scale and zero point, a float model as they are
            inputs = quantize_values(data.inputs, signature.input_scale,
                                     signature.input_zero_point)
        elif data.inputs.dtype != np.dtype(signature.input_dtype):
            raise DatasetError(
                f"--data {data.path} holds {data.inputs.dtype} `inputs`, but {model_path} "
                f"takes {signature.input_dtype}; save them as numpy.{signature.input_dtype}"
                + (" quantised with the model's input scale and zero point"
                   if signature.input_dtype == "int8" else " (the model quantizes them)"))
        else:
            inputs = data.inputs
    else:
        norm = _data_normalization(model_path, data, manifest, normalize, shape[-1])
        assert data.images is not None
        inputs = model_input(data.images, norm["mean"], norm["std"], signature)
    names = data.class_names
    if names is None and manifest is not None:
        exported = tuple(manifest["parameters"]["class_names"])
        names = exported if len(exported) == classes else None
    names = names or tuple(str(c) for c in range(classes))
    if kind == "anomaly":
        names = ANOMALY_CLASSES
    raw = data.inputs if data.inputs is not None else data.images
    return _limited(ModelInputs(inputs, data.labels, names, data.name, data.image_set(),
                                _sha(inputs), manifest, norm, data.path, kind, raw), limit)


def _data_normalization(model_path: str | Path, data: UserData,
                        manifest: dict[str, Any] | None, normalize: Normalization | None,
                        channels: int) -> dict[str, Any]:
    if manifest is not None:
        if normalize is not None:
            raise DatasetError(f"{model_path} has an export manifest, whose normalisation "
                               "applies to --data images; drop --normalize")
        norm = manifest["parameters"].get("normalization")
        if norm is None:
            raise DatasetError(f"{model_path} was calibrated on float32 `inputs`, not images; "
                               f"give --data {data.path} float32 `inputs` of the model's "
                               "input shape")
        if channels != len(norm["mean"]):
            raise ModelError(f"{model_path} takes {channels} channels but its export "
                             f"manifest normalises {len(norm['mean'])}; {_EXPORT_FIX}")
        return {"mean": list(norm["mean"]), "std": list(norm["std"]),
                "source": "export manifest"}
    if normalize is None:
        raise DatasetError(
            f"--data {data.path} holds uint8 images and {model_path} has no export manifest "
            "to say how to normalise them; pass --normalize MEAN,STD (pixel/255 scale, e.g. "
            "0.5,0.25) or per channel M1,M2,M3:S1,S2,S3")
    check_normalize(normalize, channels, "the model takes")
    mean, std = normalize
    return {"mean": list(mean), "std": list(std), "source": "--normalize"}


def check_normalize(normalize: Normalization, channels: int, owner: str) -> None:
    """Refuse ``--normalize`` unless it gives one mean and std for all channels, or one
    per channel (``owner`` says whose channels, e.g. "the model takes")."""
    for name, values in zip(("mean", "std"), normalize, strict=True):
        if len(values) not in (1, channels):
            raise DatasetError(f"--normalize gives {len(values)} {name} values but {owner} "
                               f"{channels} channels; give 1 or {channels}")


def _dataset_inputs(model_path: str | Path, signature: Int8Signature,
                    manifest: dict[str, Any], dataset: ImageDataset | None,
                    data_root: str | Path | None, limit: int | None,
                    task: Task = "classify") -> ModelInputs:
    params = manifest["parameters"]
    if dataset is None:
        dataset = load_dataset(manifest["inputs"]["dataset"], data_root)
    anomaly = task == "anomaly"
    check_model_io(model_path, signature, dataset,
                   outputs=math.prod(signature.input_shape) if anomaly else None)
    if list(dataset.class_names) != list(params["class_names"]):
        raise ModelError(f"{model_path} was exported for {manifest['inputs']['dataset']}, "
                         f"not {dataset.name}; pass the matching --dataset")
    images, labels = dataset.split("test")
    if anomaly:
        check_anomaly_labels(labels, f"{dataset.name}'s test split")
    norm = params["normalization"]
    inputs = model_input(images, norm["mean"], norm["std"], signature)
    return _limited(ModelInputs(
        inputs, labels, ANOMALY_CLASSES if anomaly else tuple(dataset.class_names),
        dataset.name, image_set(dataset.name, "test", images, labels), _sha(inputs), manifest,
        {"mean": list(norm["mean"]), "std": list(norm["std"]), "source": "export manifest"},
        task=task, raw=images), limit)


def _sha(inputs: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(inputs).tobytes()).hexdigest()


def _limited(m: ModelInputs, limit: int | None) -> ModelInputs:
    if limit is None:
        return m
    return replace(m, inputs=m.inputs[:limit], labels=m.labels[:limit],
                   raw=None if m.raw is None else m.raw[:limit])


