"""Zoo models exported through the real export stage, untrained (see
tinyedge.export.untrained), labelled with the synthetic dataset."""

from __future__ import annotations

from pathlib import Path

from tinyedge.export.untrained import export_untrained as _export
from tinyedge.models import resolve


def export_untrained(arch: str, width: float, work_dir: Path) -> Path:
    return _export(resolve(arch, width), work_dir).tflite
