"""Build tiny int8 TFLite models for the firmware tests, and run them on TFLite Micro.

Single-op models come from a small tf.function per case, converted with full-integer
quantization (int8 input and output; with ``io: float`` a float32 input and output, which
the converter wraps in QUANTIZE and DEQUANTIZE). Whole zoo models come from the export
stage itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass(frozen=True)
class OpCase:
    """One single-op model: ``op`` selects the graph, ``shape`` is the NHWC input."""

    name: str
    op: str
    shape: tuple[int, ...]
    opts: dict = field(default_factory=dict)


def _activation(x, name: str | None):
    import tensorflow as tf

    if name == "relu":
        return tf.nn.relu(x)
    if name == "relu6":
        return tf.nn.relu6(x)
    return x


def _graph(case: OpCase, rng: np.random.Generator):
    """A function x -> y for the case, with random constants (per-channel magnitudes vary
    so per-channel scales really differ)."""
    import tensorflow as tf

    o = case.opts
    c = case.shape[-1]

    def weights(*shape: int) -> tf.Tensor:
        lo, hi = o.get("spread", (0.2, 2.0))  # per-output-channel magnitude range
        spread = np.exp(rng.uniform(np.log(lo), np.log(hi), size=shape[-1]))
        return tf.constant(rng.standard_normal(shape) * spread / np.sqrt(np.prod(shape[:-1])),
                           dtype=tf.float32)

    def bias(n: int) -> tf.Tensor:
        return tf.constant(rng.standard_normal(n) * 0.3, dtype=tf.float32)

    if case.op == "conv":
        k, s, d, f = o.get("k", 3), o.get("stride", 1), o.get("dilation", 1), o["filters"]
        w, b = weights(k, k, c, f), bias(f)
        return lambda x: _activation(
            tf.nn.conv2d(x, w, s, o.get("padding", "SAME"), dilations=d) + b, o.get("act"))
    if case.op == "depthwise":
        k, s, m = o.get("k", 3), o.get("stride", 1), o.get("mult", 1)
        w, b = weights(k, k, c, m), bias(c * m)
        return lambda x: _activation(
            tf.nn.depthwise_conv2d(x, w, [1, s, s, 1], o.get("padding", "SAME")) + b,
            o.get("act"))
    if case.op == "fc":
        w, b = weights(c, o["units"]), bias(o["units"])
        return lambda x: _activation(tf.matmul(x, w) + b, o.get("act"))
    if case.op in ("max_pool", "avg_pool"):
        pool = tf.nn.max_pool2d if case.op == "max_pool" else tf.nn.avg_pool2d
        return lambda x: pool(x, o.get("k", 2), o.get("stride", 2), o.get("padding", "VALID"))
    if case.op == "mean":
        return lambda x: tf.reduce_mean(x, axis=o.get("axis", [1, 2]), keepdims=o.get("keep"))
    if case.op == "add":
        w1, w2 = weights(1, 1, c, c), weights(1, 1, c, c)
        return lambda x: _activation(
            tf.nn.conv2d(x, w1, 1, "SAME") + 3.0 * tf.nn.conv2d(x, w2, 1, "SAME"), o.get("act"))
    if case.op == "pad":
        w = weights(1, 1, c, c)
        return lambda x: tf.pad(tf.nn.conv2d(x, w, 1, "SAME"), o["pads"])
    if case.op == "softmax":
        return lambda x: tf.nn.softmax(x, axis=-1)
    if case.op == "concat":  # x itself (requantized: QUANTIZE) beside 1x1 convolutions of x
        ws = [weights(1, 1, c, n) for n in o["branches"]]
        axis = o.get("axis", -1)
        return lambda x: tf.concat([x] + [tf.nn.conv2d(x, w, 1, "SAME") for w in ws], axis)
    if case.op in ("relu", "relu6"):
        return tf.nn.relu if case.op == "relu" else tf.nn.relu6
    if case.op == "leaky_relu":
        return lambda x: tf.nn.leaky_relu(x, o["alpha"])
    if case.op == "logistic":
        return lambda x: tf.sigmoid(x)
    if case.op == "hard_swish":
        return lambda x: x * tf.nn.relu6(x + 3.0) / 6.0
    if case.op in ("add_bcast", "mul"):
        fn = tf.add if case.op == "add_bcast" else tf.multiply
        if "const" in o:  # a constant operand of that shape
            k = tf.constant(rng.uniform(-2.0, 2.0, size=o["const"]), dtype=tf.float32)
            return lambda x: _activation(fn(x, k), o.get("act"))
        axes = o.get("reduce", [1, 2])  # an activation operand: the mean over these axes
        return lambda x: _activation(fn(x, tf.reduce_mean(x, axis=axes, keepdims=True)),
                                     o.get("act"))
    if case.op in ("sub", "minimum", "maximum"):
        fn = {"sub": tf.subtract, "minimum": tf.minimum, "maximum": tf.maximum}[case.op]
        if "const" in o:  # a constant operand of that shape (() for a scalar)
            k = tf.constant(rng.uniform(-2.0, 2.0, size=o["const"]), dtype=tf.float32)
            return lambda x: _activation(fn(x, k), o.get("act"))
        if o.get("conv"):  # a 1x1 convolution of x, on its own scale, against x
            w = weights(1, 1, c, c)
            return lambda x: _activation(fn(tf.nn.conv2d(x, w, 1, "SAME"), x), o.get("act"))
        axes = o.get("reduce", [1, 2])  # an activation operand: the mean over these axes
        return lambda x: _activation(fn(x, tf.reduce_mean(x, axis=axes, keepdims=True)),
                                     o.get("act"))
    if case.op == "resize_nearest":
        if o.get("v1"):  # the TF1 op exposes both options
            return lambda x: tf.compat.v1.image.resize_nearest_neighbor(
                x, o["size"], align_corners=o.get("align", False),
                half_pixel_centers=o.get("half", False))
        return lambda x: tf.image.resize(x, o["size"], method="nearest")  # half-pixel centers
    if case.op == "strided_slice":
        return lambda x: x[o["slices"]]
    if case.op == "transpose":
        return lambda x: tf.transpose(x, o["perm"])
    if case.op == "reshape":
        w, b = weights(int(np.prod(case.shape[1:])), 6), bias(6)
        return lambda x: tf.matmul(tf.reshape(x, [case.shape[0], -1]), w) + b
    raise ValueError(f"unknown op {case.op}")


def _crafted_alias(case: OpCase) -> bytes:
    """SQUEEZE / EXPAND_DIMS of the input on ``axis``: the converter writes both as RESHAPE,
    so these one-operator models are written directly (crafted_models)."""
    from helpers.crafted_models import Act, Const, one_op, pack

    shape, axis = case.shape, case.opts["axis"]
    quant = {"scale": 0.04, "zero_point": -3}
    if case.op == "squeeze":
        out = tuple(d for i, d in enumerate(shape) if i != axis)
        return pack(one_op("SQUEEZE", {"input": Act(shape, **quant)}, Act(out, **quant),
                           ("SqueezeOptions", {"squeezeDims": [axis]})))
    out = (*shape[:axis], 1, *shape[axis:])
    return pack(one_op("EXPAND_DIMS", {"input": Act(shape, **quant),
                                       "axis": Const(np.asarray([axis], np.int32))},
                       Act(out, **quant), ("ExpandDimsOptions", {})))


def build_op_model(case: OpCase, path: Path, seed: int = 0) -> Path:
    """Convert the case's graph to a full-integer int8 TFLite model at ``path`` (SQUEEZE and
    EXPAND_DIMS, which the converter never writes, are crafted: :func:`_crafted_alias`)."""
    if case.op in ("squeeze", "expand_dims"):
        path.write_bytes(_crafted_alias(case))
        return path
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    fn = tf.function(_graph(case, rng))
    concrete = fn.get_concrete_function(tf.TensorSpec(case.shape, tf.float32))
    calib_rng = np.random.default_rng(seed + 1)

    lo, hi = case.opts.get("range", (-1.5, 2.5))  # the input's float range (its scale)

    def representative():
        for _ in range(16):
            yield [calib_rng.uniform(lo, hi, size=case.shape).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], fn)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    edge = tf.float32 if case.opts.get("io") == "float" else tf.int8
    converter.inference_input_type = edge
    converter.inference_output_type = edge
    path.write_bytes(converter.convert())
    return path


def build_zoo_int8(arch: str, width: float, work_dir: Path, num_classes: int = 10) -> Path:
    """An untrained zoo model exported through the real export stage, calibrated on
    synthetic inputs of its input shape."""
    from tinyedge.export.untrained import export_untrained, synthetic_dataset_for
    from tinyedge.models import resolve

    spec = resolve(arch, width)
    dataset = synthetic_dataset_for(spec, num_classes, train_per_class=20, test_per_class=2)
    return export_untrained(spec, work_dir, dataset).tflite


def tflm_outputs(path: Path, inputs: np.ndarray) -> np.ndarray:
    """Run every input through the TFLite Micro interpreter; (N, output size) of the
    model output's type."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_file(str(path))
    rows = []
    for x in inputs:
        interpreter.set_input(x[None], 0)  # TFLM reuses the input buffer: refill every time
        interpreter.invoke()
        rows.append(interpreter.get_output(0).reshape(-1).copy())
    return np.stack(rows)


def case_inputs(case: OpCase, path: Path, count: int, seed: int = 0) -> np.ndarray:
    """The case's test inputs: int8 (:func:`random_inputs`), or float32 for a case with
    float edges (:func:`random_float_inputs`)."""
    if case.opts.get("io") == "float":
        return random_float_inputs(path, case.shape, count, case.opts.get("range", (-1.5, 2.5)),
                                   seed)
    return random_inputs(case.shape, count, seed)


def random_float_inputs(path: Path, shape: tuple[int, ...], count: int,
                        value_range: tuple[float, float], seed: int = 0) -> np.ndarray:
    """``count`` float32 inputs of ``shape`` for a model quantizing its own input: uniform
    over the calibrated range, then rows of the values the QUANTIZE rounding decides
    (k·s and (k + ½)·s for the input scale s, ties included), of values far outside the
    int8 range (±10⁶·s, ±10⁹·s), signed zeros and subnormals."""
    from tinyedge.firmware.tflite_reader import read_model

    graph = read_model(path)
    (quantize,) = [op for op in graph.operators if graph.inputs[0] in op.inputs]
    scale = np.float32(graph.tensors[quantize.outputs[0]].scale)
    rng = np.random.default_rng(seed)
    lo, hi = value_range
    body = rng.uniform(lo, hi, size=(count, *shape[1:])).astype(np.float32)
    k = rng.integers(-140, 140, size=(4, *shape[1:])).astype(np.float32)
    edges = np.stack([
        k[0] * scale, (k[1] + np.float32(0.5)) * scale, (k[2] - np.float32(0.5)) * scale,
        (k[3] + np.float32(0.5)) * -scale,
        np.full(shape[1:], 1e6, np.float32) * scale, np.full(shape[1:], -1e9, np.float32) * scale,
        np.where(k[0] > 0, np.float32(0.0), np.float32(-0.0)),
        np.where(k[1] > 0, np.float32(1e-40), np.float32(-1e-40)),
    ]).astype(np.float32)
    return np.concatenate([body, edges])


def byte_mismatches(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Indices where ``got`` and ``want`` differ bit for bit (float outputs included)."""
    assert got.dtype == want.dtype, f"outputs are {got.dtype}, expected {want.dtype}"
    assert got.shape == want.shape, f"outputs are {got.shape}, expected {want.shape}"
    return np.argwhere(got.view(np.uint8) != want.view(np.uint8))


def random_inputs(shape: tuple[int, ...], count: int, seed: int = 0) -> np.ndarray:
    """``count`` random int8 inputs of ``shape`` (batch 1 dropped), plus the two extremes."""
    rng = np.random.default_rng(seed)
    body = rng.integers(-128, 128, size=(count, *shape[1:]), dtype=np.int8)
    extremes = np.stack([np.full(shape[1:], -128, np.int8), np.full(shape[1:], 127, np.int8)])
    return np.concatenate([body, extremes])
