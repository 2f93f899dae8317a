"""Evaluation on every runtime — float PyTorch, host int8 interpreters, the native host
build of the firmware — all writing the shared record format of :mod:`tinyedge.records`."""

from tinyedge.evaluate.float_model import evaluate_checkpoint
from tinyedge.evaluate.int8_model import evaluate_tflite
from tinyedge.int8 import RUNTIMES, quantize_images, run_int8
from tinyedge.train.infer import float_logits

__all__ = [
    "RUNTIMES",
    "evaluate_checkpoint",
    "evaluate_tflite",
    "float_logits",
    "quantize_images",
    "run_int8",
]
