"""Batched data augmentation on tensors, so it runs wherever the data lives (CPU or GPU).

Every random draw comes from an explicit ``torch.Generator``: the same generator state
gives the same augmented batch, which makes training reproducible and resumable.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def to_float(images_nhwc_uint8: Tensor) -> Tensor:
    """uint8 NHWC → float32 NCHW on the [0, 1] scale (a batch of feature vectors, N×F,
    keeps its layout)."""
    x = images_nhwc_uint8.permute(0, 3, 1, 2) if images_nhwc_uint8.dim() == 4 \
        else images_nhwc_uint8
    return x.float().div_(255.0)


def normalize(x: Tensor, mean: Tensor, std: Tensor) -> Tensor:
    """Per-channel (dim 1) normalisation of NCHW images; one mean and std for all the values
    of N×F feature vectors."""
    view = (1, -1, 1, 1) if x.dim() == 4 else (1, -1)
    return (x - mean.view(view)) / std.view(view)


def random_crop(x: Tensor, padding: int, generator: torch.Generator) -> Tensor:
    """Zero-pad each side by ``padding`` and crop a random window of the original size."""
    if padding <= 0:
        return x
    n, _, h, w = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))
    top = torch.randint(0, 2 * padding + 1, (n,), generator=generator, device=x.device)
    left = torch.randint(0, 2 * padding + 1, (n,), generator=generator, device=x.device)
    rows = (top[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
    cols = (left[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
    batch = torch.arange(n, device=x.device)[:, None, None, None]
    channels = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
    return padded[batch, channels, rows, cols]


def random_hflip(x: Tensor, generator: torch.Generator, p: float = 0.5) -> Tensor:
    flip = torch.rand(x.shape[0], generator=generator, device=x.device) < p
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def cutout(x: Tensor, size: int, generator: torch.Generator) -> Tensor:
    """Zero one ``size``×``size`` square per image, centred anywhere in the image and
    clipped at the borders (DeVries & Taylor, 2017)."""
    if size <= 0:
        return x
    n, _, h, w = x.shape
    cy = torch.randint(0, h, (n,), generator=generator, device=x.device)[:, None, None]
    cx = torch.randint(0, w, (n,), generator=generator, device=x.device)[:, None, None]
    ys = torch.arange(h, device=x.device)[None, :, None]
    xs = torch.arange(w, device=x.device)[None, None, :]
    half = size // 2
    top, left = cy - half, cx - half
    inside = (ys >= top) & (ys < top + size) & (xs >= left) & (xs < left + size)
    return x * (~inside)[:, None].to(x.dtype)
