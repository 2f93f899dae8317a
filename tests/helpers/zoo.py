"""Zoo models exported through the real export stage, for tests that need an int8 model
but not a trained one: untrained weights with randomized BatchNorm statistics (so
folding matters), calibrated and labelled with the synthetic dataset."""

from __future__ import annotations

from pathlib import Path

import torch

from tinyedge.data.synthetic import make_synthetic_dataset
from tinyedge.export import export_model
from tinyedge.models import build_model, resolve
from tinyedge.train import save_checkpoint


def export_untrained(arch: str, width: float, work_dir: Path, num_classes: int = 10) -> Path:
    work_dir.mkdir(parents=True, exist_ok=True)
    spec = resolve(arch, width)
    dataset = make_synthetic_dataset(num_classes=num_classes)
    torch.manual_seed(0)
    model = build_model(spec, num_classes=num_classes).eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
    checkpoint = work_dir / "checkpoint.pt"
    save_checkpoint(checkpoint, spec, model, class_names=dataset.class_names,
                    normalization=dataset.normalization(), extra={"dataset": "synthetic"})
    result = export_model(spec, checkpoint, work_dir / "export", dataset=dataset,
                          calib_samples=100, verify_samples=10)
    return result.tflite
