"""The in-memory dataset every stage uses: uint8 NHWC images, integer labels, class names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ImageDataset:
    """A train/test split of images (32×32 RGB for the built-in datasets).

    Images are uint8 arrays of shape (N, H, W, C) (NHWC, the layout of TFLite models), or
    (N, F) for feature vectors (synthetic inputs of a feature model such as the MLPerf Tiny
    autoencoder); labels are int64 arrays of shape (N,).
    """

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def normalization(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Per-channel mean and std of the training images, on the [0, 1] scale (one mean
        and std for feature vectors)."""
        channels = self.train_images.shape[-1] if self.train_images.ndim == 4 else 1
        pixels = self.train_images.reshape(-1, channels).astype(np.float64)
        pixels /= 255.0
        return tuple(pixels.mean(axis=0).tolist()), tuple(pixels.std(axis=0).tolist())

    def split(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        if which == "train":
            return self.train_images, self.train_labels
        if which == "test":
            return self.test_images, self.test_labels
        raise ValueError(f"unknown split {which!r}; use 'train' or 'test'")
