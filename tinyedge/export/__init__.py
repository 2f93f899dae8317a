"""Export: PyTorch checkpoint → ONNX → full-integer int8 TFLite, verified."""

from tinyedge.export.pipeline import (
    ONNX_NAME,
    TFLITE_NAME,
    ExportResult,
    default_checkpoint,
    export_model,
)

__all__ = ["ONNX_NAME", "TFLITE_NAME", "ExportResult", "default_checkpoint", "export_model"]
