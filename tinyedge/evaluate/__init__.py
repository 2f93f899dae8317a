"""Evaluation on every runtime (float PyTorch now; host int8 and device later), all
writing the shared record format of :mod:`tinyedge.records`."""

from tinyedge.evaluate.float_model import evaluate_checkpoint, float_logits

__all__ = ["evaluate_checkpoint", "float_logits"]
