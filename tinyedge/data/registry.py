"""Dataset names accepted by ``--dataset`` and where their files live."""

from __future__ import annotations

import os
from pathlib import Path

from tinyedge.data.dataset import ImageDataset
from tinyedge.errors import DatasetError

DATASETS = ("cifar100", "digits", "synthetic")


def default_root() -> Path:
    """Where datasets are kept: ``$TINYEDGE_DATA`` or ``./data``."""
    return Path(os.environ.get("TINYEDGE_DATA", "data"))


def load_dataset(name: str, root: str | Path | None = None) -> ImageDataset:
    """Load a dataset by its ``--dataset`` name."""
    if name == "cifar100":
        from tinyedge.data.cifar100 import load_cifar100

        return load_cifar100(root if root is not None else default_root())
    if name == "digits":
        from tinyedge.data.digits import load_digits_dataset

        return load_digits_dataset()
    if name == "synthetic":
        from tinyedge.data.synthetic import make_synthetic_dataset

        return make_synthetic_dataset()
    raise DatasetError(f"unknown dataset {name!r}; valid datasets: {', '.join(DATASETS)}")
