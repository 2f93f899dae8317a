"""Float inference of a trained model: its logits on uint8 images, normalised the way it
was trained (used by float evaluation and by export's ONNX and int8 agreement checks)."""

from __future__ import annotations

import numpy as np
import torch

from tinyedge.progress import Progress, SilentProgress
from tinyedge.train.augment import normalize, to_float
from tinyedge.train.loop import resolve_device


def float_logits(
    model: torch.nn.Module,
    images: np.ndarray,
    mean: tuple[float, ...],
    std: tuple[float, ...],
    *,
    batch_size: int = 256,
    device: str = "cpu",
    progress: Progress | None = None,
) -> np.ndarray:
    """Logits (N, C) float32 of an eval-mode model on uint8 NHWC ``images``."""
    dev = resolve_device(device)
    model = model.to(dev).eval()
    mean_t, std_t = torch.tensor(mean, device=dev), torch.tensor(std, device=dev)
    bar = (progress or SilentProgress()).task(len(images), "evaluate float", unit="img")
    out = []
    with torch.no_grad():
        for begin in range(0, len(images), batch_size):
            batch = torch.from_numpy(images[begin : begin + batch_size]).to(dev)
            out.append(model(normalize(to_float(batch), mean_t, std_t)).float().cpu().numpy())
            bar.advance(len(batch))
    bar.close()
    return np.concatenate(out).astype(np.float32)
