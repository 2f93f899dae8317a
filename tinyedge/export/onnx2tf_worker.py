"""Runs the TensorFlow side of the export in its own process:
``python -m tinyedge.export.onnx2tf_worker JOB.json``.

The job's ``source`` says what is converted: ``onnx`` (default) — onnx2tf turns the ONNX
graph into a TensorFlow SavedModel (NCHW → NHWC) first; ``keras`` — a Keras file loaded
with ``safe_mode=True``, traced with a fixed batch of 1 (so a ``Flatten`` needs no
SHAPE/PACK subgraph); ``savedmodel`` — a SavedModel folder as it is. TensorFlow's
TFLiteConverter then quantizes it to full integer: int8 input and output, per-channel
int8 weights, int32 biases, calibrated on the user's images. A separate process keeps
TensorFlow's memory and logging away from the caller and lets the conversion run in a
scratch working directory (onnx2tf reads a sample-image file from the working
directory, and would download one if it were absent; the caller writes it).
"""

from __future__ import annotations

import json
import os
import sys


def main(job_path: str) -> int:
    with open(job_path) as fh:
        job = json.load(fh)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf

    if job.get("source", "onnx") == "onnx":
        import onnx2tf

    calibration = np.load(job["calibration"]).astype(np.float32)
    source = job.get("source", "onnx")
    if source == "keras":
        import keras

        model = keras.models.load_model(job["model"], compile=False, safe_mode=True)
        spec = tf.TensorSpec((1, *calibration.shape[1:]), tf.float32)
        saved_model = os.path.join(job["out_dir"], "saved_model")
        model.export(saved_model, format="tf_saved_model", verbose=False,
                     input_signature=[spec])
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
    else:
        saved_model = job["model"] if source == "savedmodel" else os.path.join(
            job["out_dir"], "saved_model")
        if source == "onnx":
            onnx2tf.convert(input_onnx_file_path=job["onnx"], output_folder_path=saved_model,
                            non_verbose=True, verbosity="error",
                            **({"batch_size": 1} if job.get("fix_batch") else {}))
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)

    def representative_dataset():
        for i in range(len(calibration)):
            yield [calibration[i : i + 1]]

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    with open(job["tflite"], "wb") as fh:
        fh.write(converter.convert())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
