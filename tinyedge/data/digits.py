"""The offline default dataset: scikit-learn's bundled 8×8 handwritten digits, resized."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from tinyedge.data.dataset import ImageDataset

TEST_FRACTION = 0.25
SPLIT_SEED = 0


def load_digits_dataset() -> ImageDataset:
    """1,797 real 8×8 digit images (values 0–16) upsampled bilinearly to 32×32, grey
    replicated to RGB, split 75/25 stratified by class with a fixed seed."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    small = torch.from_numpy(digits.images.astype(np.float32) / 16.0).unsqueeze(1)
    big = F.interpolate(small, size=(32, 32), mode="bilinear", align_corners=False)
    grey = (big.squeeze(1).numpy() * 255.0).round().clip(0, 255).astype(np.uint8)
    images = np.repeat(grey[..., None], 3, axis=-1)
    labels = digits.target.astype(np.int64)
    train_idx, test_idx = train_test_split(
        np.arange(len(labels)), test_size=TEST_FRACTION, stratify=labels, random_state=SPLIT_SEED
    )
    return ImageDataset(
        name="digits",
        train_images=images[train_idx],
        train_labels=labels[train_idx],
        test_images=images[test_idx],
        test_labels=labels[test_idx],
        class_names=tuple(str(d) for d in range(10)),
    )
