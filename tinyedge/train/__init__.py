"""Training: the paper's protocol with resumable, reproducible runs."""

from tinyedge.train.checkpoint import load_model, read_checkpoint, save_checkpoint
from tinyedge.train.config import TrainConfig, cosine_lr
from tinyedge.train.infer import float_logits
from tinyedge.train.loop import TrainResult, run_dir_for, train

__all__ = [
    "TrainConfig",
    "TrainResult",
    "cosine_lr",
    "float_logits",
    "load_model",
    "read_checkpoint",
    "run_dir_for",
    "save_checkpoint",
    "train",
]
