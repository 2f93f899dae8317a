"""Training hyper-parameters. Defaults are the paper's protocol (SPEC §4)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class TrainConfig:
    arch: str
    width: float
    seed: int = 0
    dataset: str = "cifar100"
    epochs: int = 200
    batch_size: int = 128
    lr: float = 0.1
    lr_min: float = 1e-5
    momentum: float = 0.9
    weight_decay: float = 5e-4
    crop_padding: int = 4
    hflip: bool = True
    cutout: int = 8

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def cosine_lr(epoch: int, config: TrainConfig) -> float:
    """Learning rate for 0-based ``epoch``: lr_min + ½(lr − lr_min)(1 + cos(π·epoch/epochs)),
    from ``lr`` at epoch 0 down towards ``lr_min`` at the end (stepped once per epoch)."""
    import math

    progress = epoch / max(1, config.epochs)
    return config.lr_min + 0.5 * (config.lr - config.lr_min) * (1 + math.cos(math.pi * progress))
