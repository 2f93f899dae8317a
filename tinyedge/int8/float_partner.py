"""The float model an int8 model was made from, evaluated beside it: the user's own float
model (any format of :mod:`tinyedge.floatmodel`) named by ``--float-model`` or by the
manifest of ``tinyedge export --model``. Its record goes into the int8 record's results
folder as ``float/`` (the runtime folder zoo variants' float evaluations use), on the same
rows, so every float-vs-deployed analysis works for it as for a zoo model.

One data file serves both sides: ``images`` are normalised (the export manifest's or
``--normalize``'s mean and std) for the float model and quantized for the int8 one;
float32 ``inputs`` go to the float model as they are and are quantized with the int8
model's input scale and zero point; int8 ``inputs`` are dequantized for the float model.

A float record is reused only when its manifest names the same float model (sha256), the
same image set, the same normalisation and output kind, and holds every row the int8
record holds; otherwise it is evaluated again. A record of another model in that folder
is moved aside (:func:`tinyedge.fileio.set_aside`), never overwritten.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tinyedge.data.user_data import UserData
from tinyedge.errors import DatasetError, ModelError, TinyedgeError
from tinyedge.fileio import file_entry, read_manifest, set_aside, write_manifest
from tinyedge.floatmodel import FloatModel, load_float_model
from tinyedge.int8.inputs import ModelInputs, Normalization, check_normalize
from tinyedge.int8.preprocess import normalize_images
from tinyedge.int8.signature import Int8Signature
from tinyedge.layout import FLOAT_RUNTIME, project_root, resolve_stored
from tinyedge.progress import Progress
from tinyedge.records import (
    OutputKind,
    Record,
    headline_figures,
    load_record,
    make_record,
    write_record,
)

FLOAT_MODEL_KEY = "float_model"  # manifests' inputs entry naming a user's float model


def export_float_source(export: dict[str, Any] | None) -> dict[str, Any] | None:
    """The float model an export manifest names (``tinyedge export --model``), or None."""
    entry = ((export or {}).get("inputs") or {}).get(FLOAT_MODEL_KEY)
    return entry if isinstance(entry, dict) and isinstance(entry.get("sha256"), str) else None


def find_float_partner(model_path: str | Path, export: dict[str, Any] | None,
                       float_model: str | None = None, weights: str | Path | None = None,
                       ) -> FloatModel | None:
    """The float model of ``model_path``: ``float_model`` (``--float-model``, with
    ``weights`` for a ``module:factory``) when given, else the one its export manifest
    names (checked to be the very file exported from), else None."""
    source = export_float_source(export)
    if float_model is not None:
        partner = load_float_model(float_model, weights)
        if source is not None and source["sha256"] != partner.sha256:
            raise ModelError(f"{model_path} was exported from another float model "
                             f"({source.get('path')}, sha256 {source['sha256'][:12]}…) than "
                             f"--float-model {float_model}; drop --float-model or pass that "
                             "model")
        return partner
    if source is None:
        return None
    root = project_root()
    path = resolve_stored(str(source.get("path", "")), root) if source.get("path") else None
    if source.get("format") == "torch-module":
        spec = str(source.get("factory", ""))
        partner = load_float_model(spec, path) if path is not None and path.is_file() else None
    else:
        partner = load_float_model(path) if path is not None and path.exists() else None
    if partner is None:
        raise ModelError(f"{model_path} was exported from {source.get('path')}, which is no "
                         "longer there; put it back, or pass --float-model PATH")
    if partner.sha256 != source["sha256"]:
        raise ModelError(f"{partner.spec} changed since {model_path} was exported from it "
                         "(its sha256 differs); export again with `tinyedge export --model "
                         f"{partner.spec} --calib …`")
    return partner


def float_rows(m: ModelInputs, signature: Int8Signature) -> np.ndarray:
    """The rows of ``m`` as a float model takes them: normalised float32 images, float32
    features as they are, or int8 inputs dequantized with the int8 input quantization."""
    raw = m.raw
    if raw is None:
        raise TinyedgeError("the evaluated rows are unknown; pass --data FILE.npz")
    if raw.dtype == np.uint8:
        if m.normalization is None:
            raise TinyedgeError("images need a normalisation for the float model; pass "
                                "--normalize MEAN,STD")
        return normalize_images(raw, m.normalization["mean"],
                                m.normalization["std"]).astype(np.float32)
    if raw.dtype == np.int8:
        return (signature.input_scale * (raw.astype(np.float64) - signature.input_zero_point)
                ).astype(np.float32)
    return np.asarray(raw, dtype=np.float32)


def float_partner_record(partner: FloatModel, m: ModelInputs, signature: Int8Signature,
                         int8_out: str | Path, *, output_kind: OutputKind | None = None,
                         progress: Progress | None = None) -> Record:
    """Evaluate ``partner`` on the rows of ``m`` into ``<int8_out>/../float/`` (or reuse
    the record there, see the module docstring); return the float record."""
    folder = Path(int8_out).parent / FLOAT_RUNTIME
    rows = float_rows(m, signature)
    partner.check_input(tuple(rows.shape[1:]), m.dataset)
    kind = output_kind or partner.output_kind or signature.output_kind
    indices = np.arange(len(m.labels), dtype=np.int64)
    parameters = {"runtime": FLOAT_RUNTIME, "backend": partner.format,
                  "normalization": m.normalization, "outputs": kind}
    reused = _reusable(folder, partner, m, parameters, indices)
    if reused is not None:
        return reused
    set_aside(folder, (FLOAT_MODEL_KEY, "checkpoint"), partner.sha256)
    outputs = partner.run(rows, progress, desc=f"evaluate float ({partner.format})")
    expected = int(np.prod(signature.output_shape))
    if outputs.shape[1] != expected:
        raise ModelError(f"{partner.spec} gives {outputs.shape[1]} outputs but the int8 model "
                         f"gives {expected}; pair the int8 model with the float model it was "
                         "made from")
    record = make_record(m.labels, outputs, indices=indices, output_kind=kind)
    metrics = write_record(folder, record, m.class_names, runtime=FLOAT_RUNTIME,
                           extra={"model": partner.name, "dataset": m.dataset})
    write_manifest(folder, "evaluate",
                   inputs={FLOAT_MODEL_KEY: partner.identity, "dataset": m.dataset,
                           "images": m.images,
                           **({"data": file_entry(m.data_path)} if m.data_path else {})},
                   parameters=parameters, figures=headline_figures(metrics))
    return record


def _reusable(folder: Path, partner: FloatModel, m: ModelInputs, parameters: dict[str, Any],
              indices: np.ndarray) -> Record | None:
    try:
        manifest = read_manifest(folder)
        if manifest is None:
            return None
        inputs, params = manifest["inputs"], manifest["parameters"]
        if ((inputs.get(FLOAT_MODEL_KEY) or {}).get("sha256") != partner.sha256
                or inputs.get("images") != m.images
                or any(params.get(k) != v for k, v in parameters.items())):
            return None
        record = load_record(folder)
    except (TinyedgeError, AttributeError, TypeError, KeyError):
        return None
    return record if np.isin(indices, record.image_indices()).all() else None


def float_model_rows(model: FloatModel, data: UserData, normalize: Normalization | None
                     ) -> tuple[np.ndarray, dict[str, Any] | None]:
    """The float32 rows of ``data`` for ``model`` and the normalisation applied: images
    normalised by ``normalize`` (mean, std per channel or one for all), float32 ``inputs``
    as they are. int8 ``inputs`` have no real values without an int8 model's scale."""
    if data.inputs is not None:
        if data.inputs.dtype != np.float32:
            raise DatasetError(f"--data {data.path} holds {data.inputs.dtype} `inputs`; a "
                               "float model takes float32 inputs (or uint8 `images` with "
                               "--normalize)")
        if normalize is not None:
            raise DatasetError(f"--data {data.path} holds float32 `inputs`, which the model "
                               "takes as they are; drop --normalize")
        return data.inputs, None
    assert data.images is not None
    channels = data.images.shape[-1]
    if normalize is None:
        raise DatasetError(f"--data {data.path} holds uint8 images; say how {model.spec} "
                           "expects them normalised: --normalize MEAN,STD (pixel/255 scale, "
                           "e.g. 0,1 for pixel/255 or 0.5,0.5 for [-1, 1]) or per channel "
                           "M1,M2,M3:S1,S2,S3")
    check_normalize(normalize, channels, "the images have")
    mean, std = normalize
    mean = tuple(mean) * (channels // len(mean))
    std = tuple(std) * (channels // len(std))
    rows = normalize_images(data.images, mean, std).astype(np.float32)
    return rows, {"mean": list(mean), "std": list(std), "source": "--normalize"}


def pair_float(model_path: str | Path, m: ModelInputs, signature: Int8Signature,
               int8_out: str | Path, *, float_model: str | None = None,
               weights: str | Path | None = None, output_kind: OutputKind | None = None,
               progress: Progress | None = None) -> FloatModel | None:
    """Find the float model of ``model_path`` (:func:`find_float_partner`) and make sure
    its record on the rows of ``m`` lies beside ``int8_out``; return it (None without
    one). Called by every int8 evaluation, host and device, before the int8 run."""
    if m.task == "anomaly":
        if float_model is not None:
            raise ModelError("--float-model pairs classifiers; an anomaly model is compared "
                             "by its reconstruction scores — drop --float-model")
        return None
    partner = find_float_partner(model_path, m.export, float_model, weights)
    if partner is not None:
        float_partner_record(partner, m, signature, int8_out, output_kind=output_kind,
                             progress=progress)
    return partner


def paired_inputs(partner: FloatModel | None) -> dict[str, Any]:
    """What an int8 record's manifest adds to its inputs for a float partner."""
    return {} if partner is None else {FLOAT_MODEL_KEY: partner.identity}
