"""The trained-model checkpoint: weights plus everything later stages need to use them.

Checkpoints are loaded with ``torch.load(weights_only=True)``: plain containers and
tensors only, so a checkpoint from elsewhere cannot run code.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tinyedge.errors import CheckpointError
from tinyedge.fileio import atomic_path
from tinyedge.models import ARCHITECTURES, ModelSpec, build_model, resolve

FORMAT = "tinyedge-checkpoint"
VERSION = 1
# The largest zoo model (MobileNetV2 m=3.00) has ~20 M parameters: ~80 MB of float32.
MAX_CHECKPOINT_BYTES = 2 * 1024**3
REQUIRED = ("arch", "width", "num_classes", "class_names", "normalization", "state_dict")


def save_checkpoint(
    path: str | Path,
    spec: ModelSpec,
    model: nn.Module,
    *,
    class_names: tuple[str, ...],
    normalization: tuple[tuple[float, ...], tuple[float, ...]],
    extra: dict[str, Any] | None = None,
) -> None:
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "arch": spec.arch,
        "width": spec.width,
        "num_classes": len(class_names),
        "class_names": list(class_names),
        "normalization": {"mean": list(normalization[0]), "std": list(normalization[1])},
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        **(extra or {}),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        problem = "is not a regular file" if path.exists() else "does not exist"
        raise CheckpointError(f"checkpoint {path} {problem}; train one with `tinyedge train`")
    if path.stat().st_size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{path} is {path.stat().st_size:,} bytes, more than any zoo "
                              f"model's checkpoint (at most {MAX_CHECKPOINT_BYTES:,}); pass the "
                              "checkpoint.pt that `tinyedge train` wrote")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a corrupt or foreign file
        raise CheckpointError(
            f"{path} is not a readable tinyedge checkpoint ({type(exc).__name__}); "
            "re-run `tinyedge train` to recreate it"
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a tinyedge checkpoint (no '{FORMAT}' marker)")
    missing = [k for k in REQUIRED if k not in payload]
    if missing:
        raise CheckpointError(f"{path} lacks {', '.join(missing)}; re-run `tinyedge train`")
    _check_fields(path, payload)
    return payload


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _check_fields(path: Path, payload: dict[str, Any]) -> None:
    """Types and ranges of every field later stages use; one line naming the field."""

    def bad(field: str, expected: str) -> CheckpointError:
        value = payload.get(field)
        shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
        return CheckpointError(f"{path}: field '{field}' must be {expected}, got "
                               f"{shown[:60]}; re-run `tinyedge train` to recreate it")

    if not isinstance(payload["arch"], str):
        raise bad("arch", "a string such as 'scalecnn'")
    if not _is_number(payload["width"]) or payload["width"] <= 0:
        raise bad("width", "a positive number")
    num_classes = payload["num_classes"]
    if not _is_int(num_classes) or not 2 <= num_classes <= 100_000:
        raise bad("num_classes", "a whole number ≥ 2")
    names = payload["class_names"]
    if (not isinstance(names, list | tuple) or len(names) != num_classes
            or not all(isinstance(n, str) for n in names)):
        raise bad("class_names", f"a list of {num_classes} strings (one per class)")
    norm = payload["normalization"]
    if not isinstance(norm, dict):
        raise bad("normalization", "a dict with 'mean' and 'std' lists")
    known = ARCHITECTURES.get(payload["arch"])
    channels = known.channels if known is not None else 3
    for key in ("mean", "std"):
        values = norm.get(key)
        if (not isinstance(values, list | tuple) or len(values) != channels
                or not all(_is_number(v) for v in values)
                or (key == "std" and not all(v > 0 for v in values))):
            raise bad("normalization", f"a dict whose '{key}' is a list of {channels} finite "
                      "numbers" + (" > 0" if key == "std" else ""))
    if not isinstance(payload["state_dict"], dict) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor)
            for k, v in payload["state_dict"].items()):
        raise bad("state_dict", "a dict of named tensors")
    if "seed" in payload and (not _is_int(payload["seed"]) or payload["seed"] < 0):
        raise bad("seed", "a whole number ≥ 0")
    if "dataset" in payload and not isinstance(payload["dataset"], str):
        raise bad("dataset", "a dataset name such as 'cifar100'")
    if "epochs" in payload and (not _is_int(payload["epochs"]) or payload["epochs"] < 1):
        raise bad("epochs", "a whole number ≥ 1")


def load_model(
    path: str | Path, expect: ModelSpec | None = None
) -> tuple[nn.Module, ModelSpec, dict[str, Any]]:
    """Rebuild the model stored in a checkpoint, in eval mode.

    ``expect`` guards against using a checkpoint of another architecture or width.
    """
    payload = read_checkpoint(path)
    spec = resolve(payload["arch"], payload["width"])
    if expect is not None and spec != expect:
        raise CheckpointError(
            f"{path} holds {spec.name}, not the requested {expect.name}; "
            "pass the matching --arch/--width or another --checkpoint"
        )
    model = build_model(spec, payload["num_classes"])
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path} weights do not fit {spec.name}: {exc}") from exc
    model.eval()
    return model, spec, payload
