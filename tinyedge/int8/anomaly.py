"""The anomaly record of a reconstruction model (the MLPerf Tiny autoencoder), the same
for every host runtime and the device: each input's score is the mean squared error
between the dequantised output and the dequantised int8 input the model was given (a
float32 edge's values as they are) (:func:`tinyedge.analysis.anomaly.reconstruction_error`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tinyedge.analysis.anomaly import reconstruction_error
from tinyedge.int8.inputs import ModelInputs
from tinyedge.int8.signature import Int8Signature
from tinyedge.records import AnomalyRecord, write_anomaly_record


def anomaly_record(m: ModelInputs, outputs: np.ndarray, signature: Int8Signature
                   ) -> AnomalyRecord:
    """Score each row of ``outputs`` (the model's raw output for ``m.inputs``: int8, or
    float32 from a model that dequantizes its own output)."""
    n = len(m.inputs)
    q_out = np.asarray(outputs, dtype=signature.output_dtype).reshape(n, -1)
    x = _real(m.inputs.reshape(n, -1), signature.input_scale, signature.input_zero_point)
    y = _real(q_out, signature.output_scale, signature.output_zero_point)
    return AnomalyRecord(np.asarray(m.labels, dtype=np.int64), q_out,
                         reconstruction_error(x, y), signature.output_scale,
                         signature.output_zero_point)


def _real(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Values on the real scale: int8 dequantised, x = s·(q − z); float32 as they are."""
    if values.dtype == np.int8:
        return scale * (values.astype(np.float64) - zero_point)
    return values.astype(np.float64)


def write_anomaly_outputs(model_path: str | Path, m: ModelInputs, outputs: np.ndarray,
                          signature: Int8Signature, out_dir: str | Path, runtime: str
                          ) -> dict[str, Any]:
    """Write the anomaly record of ``outputs`` into ``out_dir``; return its metrics."""
    return write_anomaly_record(out_dir, anomaly_record(m, outputs, signature),
                                runtime=runtime,
                                extra={"model": Path(model_path).parent.name,
                                       "dataset": m.dataset})
