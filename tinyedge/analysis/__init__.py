"""Analyses as pure functions on arrays (SPEC §7)."""

from tinyedge.analysis.metrics import (
    expected_calibration_error,
    per_class_accuracy,
    softmax,
    top_k_accuracy,
)

__all__ = ["expected_calibration_error", "per_class_accuracy", "softmax", "top_k_accuracy"]
