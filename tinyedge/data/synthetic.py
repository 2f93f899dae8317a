"""A synthetic, learnable image dataset for tests: one smooth colour template per class."""

from __future__ import annotations

import numpy as np

from tinyedge.data.dataset import ImageDataset


def make_synthetic_dataset(
    num_classes: int = 10,
    train_per_class: int = 40,
    test_per_class: int = 10,
    seed: int = 0,
    noise: float = 30.0,
    shape: tuple[int, ...] = (32, 32, 3),
) -> ImageDataset:
    """Each class is a random low-frequency template of ``shape`` (H, W, C images, or (F,)
    feature vectors): a grid 8 times coarser, upsampled; samples are the template scaled by
    a random contrast plus Gaussian noise. The default is 32×32×3 images. Deterministic for
    a given seed."""
    rng = np.random.default_rng(seed)
    spatial = shape[:-1] if len(shape) == 3 else shape
    coarse_shape = tuple(-(-d // 8) for d in spatial) + tuple(shape[len(spatial):])
    templates = rng.uniform(0, 255, size=(num_classes, *coarse_shape))
    for axis, size in enumerate(spatial, start=1):
        templates = templates.repeat(8, axis=axis).take(range(size), axis=axis)

    def sample(per_class: int) -> tuple[np.ndarray, np.ndarray]:
        labels = np.repeat(np.arange(num_classes), per_class)
        contrast = rng.uniform(0.7, 1.3, size=(len(labels),) + (1,) * len(shape))
        pixels = 128 + (templates[labels] - 128) * contrast
        pixels += rng.normal(0, noise, size=pixels.shape)
        order = rng.permutation(len(labels))
        images = pixels.round().clip(0, 255).astype(np.uint8)
        return images[order], labels[order].astype(np.int64)

    train_images, train_labels = sample(train_per_class)
    test_images, test_labels = sample(test_per_class)
    return ImageDataset(
        name="synthetic",
        train_images=train_images,
        train_labels=train_labels,
        test_images=test_images,
        test_labels=test_labels,
        class_names=tuple(f"class_{i}" for i in range(num_classes)),
    )
