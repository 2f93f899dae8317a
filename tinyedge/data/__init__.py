"""Datasets: CIFAR-100, the bundled digits set, and a synthetic generator for tests."""

from tinyedge.data.dataset import ImageDataset
from tinyedge.data.registry import DATASETS, dataset_for, default_root, load_dataset

__all__ = ["DATASETS", "ImageDataset", "dataset_for", "default_root", "load_dataset"]
