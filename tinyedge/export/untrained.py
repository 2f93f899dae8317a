"""Export of an untrained zoo model, for benchmarks and tests that measure the deployment
path rather than accuracy (as PLATFORM.md's TFLite Micro anchors do). BatchNorm running
statistics are randomized so that folding them into the convolutions matters. Without a
dataset the model is calibrated on synthetic inputs of its own input shape."""

from __future__ import annotations

from pathlib import Path

import torch

from tinyedge.data import ImageDataset
from tinyedge.data.synthetic import make_synthetic_dataset
from tinyedge.export.pipeline import ExportResult, export_model
from tinyedge.models import ModelSpec, build_model
from tinyedge.models.zoo import ARCHITECTURES
from tinyedge.train import save_checkpoint


def export_untrained(spec: ModelSpec, work_dir: str | Path, dataset: ImageDataset | None = None,
                     *, seed: int = 0, calib_samples: int = 100,
                     verify_samples: int = 10) -> ExportResult:
    # The scaling zoo keeps its 10-class default (tests and benches were written for it);
    # the MLPerf Tiny models get their own input shape and class count.
    dataset = dataset or synthetic_dataset_for(
        spec, 10 if ARCHITECTURES[spec.arch].family == "scaling" else None)
    work_dir = Path(work_dir)
    torch.manual_seed(seed)
    model = build_model(spec, num_classes=dataset.num_classes).eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
    checkpoint = work_dir / f"{spec.run_name(seed)}.pt"
    save_checkpoint(checkpoint, spec, model, class_names=dataset.class_names,
                    normalization=dataset.normalization(),
                    extra={"dataset": dataset.name, "seed": seed})
    return export_model(spec, checkpoint, work_dir / "export", seed=seed, dataset=dataset,
                        calib_samples=calib_samples, verify_samples=verify_samples)


def synthetic_dataset_for(spec: ModelSpec, num_classes: int | None = None, *,
                          train_per_class: int = 40, test_per_class: int = 10) -> ImageDataset:
    """Synthetic inputs of ``spec``'s input shape (NHWC images, or feature vectors), for
    measuring the deployment path of a model whose real data the project does not bundle;
    labelled with ``num_classes`` classes (default: the zoo's count for the model, 2 for an
    autoencoder, whose labels only name the inputs)."""
    if num_classes is None:
        num_classes = 2 if spec.reconstructs else spec.default_classes
    return make_synthetic_dataset(num_classes=num_classes, train_per_class=train_per_class,
                                  test_per_class=test_per_class, shape=spec.sample_shape)
