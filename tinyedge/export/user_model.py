"""``tinyedge export --model FLOAT_MODEL --calib calib.npz``: the user's own float model
(Keras, SavedModel, ONNX, PyTorch) → full-integer int8 TFLite, by the same converters the
zoo export uses, verified, with a manifest that names the float source and its sha256,
the calibration data and its sha256, and the normalisation — so ``tinyedge evaluate`` of
the int8 model finds its float model and evaluates both on the same rows.

==============  ===========================================================================
source          path to int8
==============  ===========================================================================
Keras           TFLiteConverter from the model traced at batch 1 (``safe_mode`` load)
SavedModel      TFLiteConverter.from_saved_model
ONNX            onnx2tf (NCHW → NHWC, dynamic batch fixed to 1) then TFLiteConverter
PyTorch         ``torch.onnx.export`` at batch 1, then as ONNX
float TFLite    refused: quantize from the model it was converted from
==============  ===========================================================================

The export folder is ``export/<name>/`` (``model_int8.tflite``, ``manifest.json``, and
``model.onnx`` for PyTorch sources), written into a hidden sibling and renamed into place
only when complete, like the zoo export.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from tinyedge.data.user_data import UserData
from tinyedge.errors import DatasetError, ModelError
from tinyedge.export.convert import onnx_to_int8_tflite, tensorflow_to_int8_tflite
from tinyedge.export.pipeline import (
    ExportResult,
    _check_destination,
    _entry,
    _export_versions,
    _publish,
)
from tinyedge.fileio import _umask, file_entry, write_bytes_atomic, write_manifest
from tinyedge.firmware.tflite_reader import read_model
from tinyedge.floatmodel import FloatModel, graph_macs
from tinyedge.int8 import Normalization, check_int8_model, run_int8, tflm_arena_bytes
from tinyedge.int8.float_partner import FLOAT_MODEL_KEY, float_model_rows
from tinyedge.int8.preprocess import quantize_values
from tinyedge.layout import EXPORT_DIR, ONNX_NAME, TFLITE_NAME
from tinyedge.progress import Progress, SilentProgress
from tinyedge.records import OutputKind, argmax_pred

MAX_CALIBRATION = 1000  # rows the converter calibrates on (a fixed-seed sample beyond)
VERIFY_WITHOUT_DATA = 100  # calibration rows compared float vs int8 without --verify


def export_user_model(
    model: FloatModel,
    calib: UserData,
    out_root: str | Path = EXPORT_DIR,
    *,
    normalize: Normalization | None = None,
    verify: UserData | None = None,
    output_kind: OutputKind | None = None,
    name: str | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Quantize ``model`` to int8 calibrated on ``calib`` into ``out_root/<name>/``
    (default name: the model file's stem); verify it against the float model on
    ``verify`` (labelled data: top-1 of each and their agreement) or on calibration
    rows (agreement only)."""
    progress = progress or SilentProgress()
    if model.format == "tflite":
        raise ModelError(f"{model.spec} is already TFLite: tinyedge quantizes from the model "
                         "it was converted from (Keras, SavedModel, ONNX or PyTorch); or "
                         "evaluate your own int8 .tflite with --float-model "
                         f"{model.spec}")
    rows, norm = float_model_rows(model, calib, normalize)
    model.check_input(tuple(rows.shape[1:]), f"--calib {calib.path}")
    if verify is not None:
        v_rows, v_norm = float_model_rows(model, verify, normalize)
        if v_rows.shape[1:] != rows.shape[1:] or v_norm != norm:
            raise DatasetError(f"--verify {verify.path} holds rows of "
                               f"{'×'.join(map(str, v_rows.shape[1:]))} "
                               f"{'images' if verify.images is not None else 'inputs'}, unlike "
                               f"--calib {calib.path}; give both the same kind and shape")
    final = Path(out_root) / (name or model.name)
    _check_destination(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=final.parent))
    os.chmod(folder, 0o777 & ~_umask())
    try:
        result = _export_into(folder, final, model, calib, rows, norm, verify, output_kind,
                              progress)
        _publish(folder, final)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return result


def _calibration_rows(rows: np.ndarray) -> np.ndarray:
    if len(rows) <= MAX_CALIBRATION:
        return rows
    pick = np.random.default_rng(0).choice(len(rows), MAX_CALIBRATION, replace=False)
    return rows[np.sort(pick)]


def _export_into(folder: Path, final: Path, model: FloatModel, calib: UserData,
                 rows: np.ndarray, norm: dict[str, Any] | None, verify: UserData | None,
                 output_kind: OutputKind | None, progress: Progress) -> ExportResult:
    sample = model.run(rows[:1])
    if not np.isfinite(sample).all():
        raise ModelError(f"{model.spec} gives NaN or infinite outputs; fix the model first")
    classes = sample.shape[1]
    tflite = folder / TFLITE_NAME
    onnx_path = None
    calibration = _calibration_rows(rows)
    progress.message(f"quantizing {model.spec} ({model.format}) on {len(calibration)} "
                     "calibration rows")
    if model.format in ("keras", "savedmodel"):
        tensorflow_to_int8_tflite(model.format, model.spec, calibration, tflite)
    else:
        if model.format == "onnx":
            source = Path(model.spec)
        else:  # PyTorch: through ONNX at batch 1, in the model's own layout
            onnx_path = source = folder / ONNX_NAME
            _torch_to_onnx(model, rows[:1], onnx_path)
        onnx_to_int8_tflite(source, calibration, tflite, fix_batch=True)
    signature = check_int8_model(tflite)
    got = int(np.prod(signature.output_shape))
    if got != classes:
        raise ModelError(f"the int8 model gives {got} outputs but {model.spec} gives "
                         f"{classes}; report this model to tinyedge's developers")
    kind = output_kind or model.output_kind or signature.output_kind
    progress.message(f"int8 TFLite written ({tflite.stat().st_size:,} bytes)")
    verification = _verify(model, tflite, signature, rows, norm, verify, progress)
    names = next((d.class_names for d in (verify, calib) if d is not None and d.class_names
                  and len(d.class_names) == classes), None)
    inputs = {FLOAT_MODEL_KEY: model.identity, "calib": file_entry(calib.path),
              "dataset": (verify or calib).name}
    if verify is not None:
        inputs["verify"] = file_entry(verify.path)
    figures = {
        "params": model.parameters,
        "macs": graph_macs(read_model(tflite)),
        "tflite_bytes": tflite.stat().st_size,
        "tflm_arena_bytes": tflm_arena_bytes(tflite),
        **signature.as_dict(),
        **verification,
    }
    outputs = {"tflite": _entry(tflite, final)}
    if onnx_path is not None:
        outputs["onnx"] = _entry(onnx_path, final)
    manifest_path = write_manifest(
        folder, "export", inputs=inputs,
        parameters={
            "source_format": model.format,
            "num_classes": classes,
            "class_names": list(names or (str(c) for c in range(classes))),
            "normalization": None if norm is None else {"mean": norm["mean"],
                                                        "std": norm["std"]},
            "outputs": kind,
            "calib_samples": len(calibration),
            "quantization": "full-integer int8, per-channel weights, int8 input and output",
        },
        outputs=outputs, figures=figures, versions=_export_versions())
    return ExportResult(final, final / ONNX_NAME, final / TFLITE_NAME,
                        json.loads(manifest_path.read_text()))


def _torch_to_onnx(model: FloatModel, first: np.ndarray, path: Path) -> None:
    import torch

    x = first.transpose(0, 3, 1, 2) if model.layout(tuple(first.shape[1:])) == "NCHW" \
        else first
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            if isinstance(model.module, torch.export.ExportedProgram):
                logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # torchvision notes
                torch.onnx.export(model.module, dynamo=True, opset_version=18).save(buffer)
            else:
                torch.onnx.export(model.module, (torch.from_numpy(np.ascontiguousarray(x)),),
                                  buffer, dynamo=False, input_names=["input"],
                                  output_names=["output"], opset_version=17,
                                  do_constant_folding=True)
    except Exception as exc:
        raise ModelError(f"PyTorch cannot export {model.spec} to ONNX "
                         f"({type(exc).__name__}: {str(exc)[:160]}); export it to ONNX "
                         "yourself and pass the .onnx file") from exc
    write_bytes_atomic(path, buffer.getvalue())


def _verify(model: FloatModel, tflite: Path, signature: Any, calib_rows: np.ndarray,
            norm: dict[str, Any] | None, verify: UserData | None,
            progress: Progress) -> dict[str, Any]:
    """Float vs int8 (TFLite Micro) on ``verify`` — top-1 of each and their agreement —
    or on the first calibration rows (agreement only), and whether LiteRT's reference
    kernels equal TFLite Micro byte for byte."""
    if verify is not None:
        rows, _ = float_model_rows(model, verify, None if norm is None else (
            tuple(norm["mean"]), tuple(norm["std"])))
        labels: np.ndarray | None = verify.labels
    else:
        rows, labels = calib_rows[:VERIFY_WITHOUT_DATA], None
    q = quantize_values(rows, signature.input_scale, signature.input_zero_point)
    float_out = model.run(rows, progress, desc="verify float")
    tflm = run_int8(tflite, q, "tflm", progress=progress)
    ref = run_int8(tflite, q, "litert-ref", progress=progress)
    float_pred, int8_pred = argmax_pred(float_out), argmax_pred(tflm)
    figures: dict[str, Any] = {
        "verify_samples": len(rows),
        "verify_data": "verify" if verify is not None else "calib",
        "float_int8_top1_agreement": float((float_pred == int8_pred).mean()),
        "litert_ref_vs_tflm_top1_agreement": float((argmax_pred(ref) == int8_pred).mean()),
    }
    if labels is not None:
        figures["float_top1"] = float((float_pred == labels).mean())
        figures["int8_top1"] = float((int8_pred == labels).mean())
    differ = tflm != ref
    return {**figures, "litert_ref_equals_tflm": bool(not differ.any()),
            "litert_ref_vs_tflm_differing_bytes": int(differ.sum()),
            "litert_ref_vs_tflm_max_abs_diff": int(np.abs(tflm.astype(int) - ref).max())}

