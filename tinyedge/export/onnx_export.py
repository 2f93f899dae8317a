"""PyTorch → ONNX, checked against PyTorch with onnxruntime."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from tinyedge.fileio import write_bytes_atomic
from tinyedge.models import model_input_shape

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
OPSET = 17


def export_onnx(model: nn.Module, path: str | Path) -> Path:
    """Export an eval-mode model with a static batch-1 input of the model's shape (1×3×32×32
    for the scaling zoo; what a microcontroller runs). BatchNorm is folded into the
    convolutions by the exporter's constant folding in eval mode and by the TFLite
    converter."""
    model = model.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (torch.zeros(1, *model_input_shape(model)),), buffer, dynamo=False,
            input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], opset_version=OPSET,
            do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL,
        )
    write_bytes_atomic(path, buffer.getvalue())
    return Path(path)


def onnx_max_abs_diff(model: nn.Module, onnx_path: str | Path, inputs_nchw: np.ndarray) -> float:
    """Largest |PyTorch logit − onnxruntime logit| over ``inputs_nchw`` (normalized)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    worst = 0.0
    with torch.no_grad():
        for x in inputs_nchw:
            x = x[None].astype(np.float32)
            ref = model(torch.from_numpy(x)).numpy()
            got = session.run(None, {INPUT_NAME: x})[0]
            worst = max(worst, float(np.abs(ref - got).max()))
    return worst
