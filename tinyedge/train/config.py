"""Training hyper-parameters. Defaults are the paper's protocol (SPEC §4)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from tinyedge.errors import TinyedgeError

# (minimum, maximum) of each whole-number setting, and of each real-valued one.
_INT_RANGES = {"seed": (0, None), "epochs": (1, None), "batch_size": (2, None),
               "crop_padding": (0, 32), "cutout": (0, 32)}
_FLOAT_RANGES = {"lr": (0.0, None), "lr_min": (0.0, None), "momentum": (0.0, 1.0),
                 "weight_decay": (0.0, None)}


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

    def __post_init__(self) -> None:
        """Refuse settings that would train nothing or train to NaN without an error."""
        for name, (low, high) in _INT_RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TinyedgeError(f"training setting {name} must be a whole number, got "
                                    f"{value!r}")
            if value < low or (high is not None and value > high):
                bound = f"between {low} and {high}" if high is not None else f"≥ {low}"
                raise TinyedgeError(f"training setting {name} must be {bound}, got {value}")
        for name, (low, high) in _FLOAT_RANGES.items():
            value = getattr(self, name)
            ok = isinstance(value, int | float) and not isinstance(value, bool) and \
                math.isfinite(value) and value >= low and (high is None or value < high)
            if not ok or (name == "lr" and value <= 0):
                bound = "> 0" if name == "lr" else f"≥ {low:g}" + (
                    f" and < {high:g}" if high is not None else "")
                raise TinyedgeError(f"training setting {name} must be a finite number {bound}, "
                                    f"got {value!r}")
        if self.lr_min > self.lr:
            raise TinyedgeError(f"training setting lr_min {self.lr_min:g} is above lr "
                                f"{self.lr:g}; pass a final learning rate ≤ the initial one")
        if not isinstance(self.hflip, bool):
            raise TinyedgeError(f"training setting hflip must be true or false, got "
                                f"{self.hflip!r}")

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
