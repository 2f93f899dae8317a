"""Which format a user's float model is in, told from its content (not only its name).

=====================  ===========================================  =====================
format                 what it is                                   run by
=====================  ===========================================  =====================
``tflite``             a float ``.tflite`` (``TFL3`` at byte 4)      LiteRT
``keras``              Keras ``.keras`` (zip with config.json) or    TensorFlow / Keras,
                       ``.h5`` (HDF5 signature)                      ``safe_mode=True``
``savedmodel``         a folder holding ``saved_model.pb``           TensorFlow
``onnx``               an ``.onnx`` protobuf                         onnxruntime
``torchscript``        ``torch.jit.save`` archive (zip with code/)   ``torch.jit.load``
``torch-export``       ``torch.export.save`` archive (``.pt2``)      ``torch.export.load``
``torch-module``       ``module:factory`` or ``file.py:factory``     PyTorch, weights via
                       plus ``--weights state_dict.pt``              ``weights_only=True``
=====================  ===========================================  =====================

A bare ``torch.save`` state dict is not a model (it holds weights, not the network): it is
refused with the ``module:factory`` fix. Every refusal is one :class:`ModelError` line.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Literal

from tinyedge.errors import ModelError

FloatFormat = Literal["tflite", "keras", "savedmodel", "onnx", "torchscript", "torch-export",
                      "torch-module"]
FORMATS: tuple[FloatFormat, ...] = ("tflite", "keras", "savedmodel", "onnx", "torchscript",
                                    "torch-export", "torch-module")

_HDF5 = b"\x89HDF\r\n\x1a\n"
# ``pkg.module:factory`` or ``path/to/file.py:factory``
FACTORY = re.compile(r"^(?P<module>[^:]+):(?P<factory>[A-Za-z_][A-Za-z0-9_]*)$")

_KNOWN = ("a float .tflite, a Keras .keras/.h5 file, a SavedModel folder, an .onnx file, a "
          "TorchScript or torch.export (.pt2) file, or module:factory with --weights")


def detect_format(spec: str | Path) -> FloatFormat:
    """The format of the model ``spec`` names (a path, or ``module:factory``)."""
    text = str(spec)
    path = Path(text)
    if not path.exists() and FACTORY.match(text):
        return "torch-module"
    if path.is_dir():
        if (path / "saved_model.pb").is_file():
            return "savedmodel"
        raise ModelError(f"{path} is a folder without saved_model.pb, not a SavedModel; pass "
                         + _KNOWN)
    if not path.is_file():
        raise ModelError(f"model {path} does not exist; pass {_KNOWN}")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if len(head) >= 8 and head[4:8] == b"TFL3":
        return "tflite"
    if head == _HDF5:
        return "keras"
    if zipfile.is_zipfile(path):
        return _zip_format(path)
    if path.suffix.lower() == ".onnx":
        return "onnx"
    raise ModelError(f"{path} is a model file of an unknown format; pass {_KNOWN}")


def _zip_format(path: Path) -> FloatFormat:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{path} is a damaged zip archive ({exc}); save the model again"
                         ) from exc
    base = {n.split("/", 1)[-1] for n in names}
    if "config.json" in names and any(n.endswith(".weights.h5") or n == "metadata.json"
                                      for n in names):
        return "keras"
    if any("/code/" in n for n in names) and "constants.pkl" in base:
        return "torchscript"
    if any(n.endswith("archive_format") or "/models/" in n for n in names):
        return "torch-export"
    if "data.pkl" in base:
        raise ModelError(
            f"{path} is a PyTorch state dict (weights without the network); pass the network "
            "as --model my_package.models:build_net (or path/to/models.py:build_net) with "
            f"--weights {path}, or save it with torch.jit.save or torch.export.save")
    raise ModelError(f"{path} is a zip archive tinyedge does not recognise as a model; pass "
                     + _KNOWN)


def split_factory(spec: str) -> tuple[str, str]:
    """``module:factory`` → (module, factory); a refusal names the expected form."""
    match = FACTORY.match(spec)
    if match is None:
        raise ModelError(f"{spec!r} is not module:factory; pass e.g. "
                         "my_package.models:build_net or path/to/models.py:build_net")
    return match["module"], match["factory"]
