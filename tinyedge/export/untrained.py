"""Export of an untrained zoo model, for benchmarks and tests that measure the deployment
path rather than accuracy (as PLATFORM.md's TFLite Micro anchors do). BatchNorm running
statistics are randomized so that folding them into the convolutions matters."""

from __future__ import annotations

from pathlib import Path

import torch

from tinyedge.data import ImageDataset
from tinyedge.data.synthetic import make_synthetic_dataset
from tinyedge.export.pipeline import ExportResult, export_model
from tinyedge.models import ModelSpec, build_model
from tinyedge.train import save_checkpoint


def export_untrained(spec: ModelSpec, work_dir: str | Path, dataset: ImageDataset | None = None,
                     *, seed: int = 0, calib_samples: int = 100,
                     verify_samples: int = 10) -> ExportResult:
    dataset = dataset or make_synthetic_dataset(num_classes=10)
    work_dir = Path(work_dir)
    torch.manual_seed(seed)
    model = build_model(spec, num_classes=dataset.num_classes).eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
    checkpoint = work_dir / f"{spec.run_name(seed)}.pt"
    save_checkpoint(checkpoint, spec, model, class_names=dataset.class_names,
                    normalization=dataset.normalization(),
                    extra={"dataset": dataset.name, "seed": seed})
    return export_model(spec, checkpoint, work_dir / "export", seed=seed, dataset=dataset,
                        calib_samples=calib_samples, verify_samples=verify_samples)
