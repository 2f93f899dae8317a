"""The trained-model checkpoint: weights plus everything later stages need to use them.

Checkpoints are loaded with ``torch.load(weights_only=True)``: plain containers and
tensors only, so a checkpoint from elsewhere cannot run code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from tinyedge.errors import CheckpointError
from tinyedge.fileio import atomic_path
from tinyedge.models import ModelSpec, build_model, resolve

FORMAT = "tinyedge-checkpoint"
VERSION = 1
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
        raise CheckpointError(f"checkpoint {path} does not exist; train one with `tinyedge train`")
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
    return payload


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
    model = build_model(spec, int(payload["num_classes"]))
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path} weights do not fit {spec.name}: {exc}") from exc
    model.eval()
    return model, spec, payload
