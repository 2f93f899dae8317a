"""Dataset names accepted by ``--dataset`` and where their files live."""

from __future__ import annotations

import os
from pathlib import Path

from tinyedge.data.dataset import ImageDataset
from tinyedge.errors import DatasetError
from tinyedge.models import ModelSpec

DATASETS = ("cifar100", "digits", "synthetic")
BUILTIN_SHAPE = (32, 32, 3)  # the images of every dataset in DATASETS


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
    from tinyedge.data.synthetic import SyntheticSpec, make_synthetic_dataset

    if name == "synthetic":
        return make_synthetic_dataset()
    named = SyntheticSpec.parse(name)
    if named is not None:
        return named.make()
    raise DatasetError(f"unknown dataset {name!r}; valid datasets: {', '.join(DATASETS)} "
                       "(or a synthetic-… name that `tinyedge train` recorded)")


def dataset_for(name: str, spec: ModelSpec) -> str:
    """The dataset ``--dataset name`` gives ``spec``: ``synthetic`` becomes synthetic data
    of an MLPerf Tiny model's own input shape (see
    :func:`tinyedge.data.synthetic.synthetic_name_for`); a dataset whose inputs the model
    cannot take is refused here, before anything is loaded or downloaded."""
    from tinyedge.data.synthetic import SyntheticSpec, synthetic_name_for

    if name == "synthetic":
        return synthetic_name_for(spec)
    named = SyntheticSpec.parse(name)
    if named is None and name not in DATASETS:
        return name  # unknown: load_dataset names the valid ones
    shape = named.shape if named is not None else BUILTIN_SHAPE
    if tuple(shape) != spec.sample_shape:
        raise DatasetError(f"{spec.name} takes {_dims(spec.sample_shape)} inputs but {name} "
                           f"holds {_dims(shape)}; use --dataset synthetic (synthetic inputs "
                           "of the model's own shape) — no dataset of its kind is bundled")
    return name


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))
