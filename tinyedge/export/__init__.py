"""Export: PyTorch checkpoint → ONNX → full-integer int8 TFLite, verified."""

from tinyedge.export.pipeline import ExportResult, default_checkpoint, export_model

__all__ = ["ExportResult", "default_checkpoint", "export_model"]
