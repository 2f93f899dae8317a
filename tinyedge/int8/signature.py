"""Checks that an exported TFLite model is what the int8 deployment path can run."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyedge.errors import ModelError
from tinyedge.firmware.compiler import float_edge, unsupported_message, unsupported_operators
from tinyedge.firmware.fold import fold_constants
from tinyedge.firmware.tflite_reader import Graph, Tensor, read_model
from tinyedge.floatmodel.head import graph_output_kind
from tinyedge.records import OutputKind, Record, make_record

# The element types a model's input and output may have: int8, or float32 at an edge the
# model converts itself (a QUANTIZE after a float input, a DEQUANTIZE before a float output).
EDGE_DTYPES = {"INT8": "int8", "FLOAT32": "float32"}


@dataclass(frozen=True)
class Int8Signature:
    """The model's single input and output: shape, element type (``int8``, or ``float32``
    where the model quantizes its input / dequantizes its output itself) and the int8
    quantization on that side of the edge: real = scale · (q − zero)."""

    input_shape: tuple[int, ...]
    input_scale: float
    input_zero_point: int
    output_shape: tuple[int, ...]
    output_scale: float
    output_zero_point: int
    ops: tuple[str, ...]
    input_dtype: str = "int8"
    output_dtype: str = "int8"
    # logits or probabilities (a final SOFTMAX/LOGISTIC), see tinyedge.floatmodel.head
    output_kind: OutputKind = "logits"

    @property
    def input_bytes(self) -> int:
        """Bytes of one input (what the device protocol carries)."""
        return math.prod(self.input_shape) * np.dtype(self.input_dtype).itemsize

    @property
    def output_bytes(self) -> int:
        """Bytes of one output (what the device returns)."""
        return math.prod(self.output_shape) * np.dtype(self.output_dtype).itemsize

    def decode_outputs(self, raw: bytes, n: int) -> np.ndarray:
        """``n`` output rows (N, output values) of the output's type from raw bytes."""
        if len(raw) != n * self.output_bytes:
            raise ModelError(f"{len(raw)} output bytes for {n} rows of {self.output_bytes}")
        dtype = np.dtype(self.output_dtype).newbyteorder("<")  # the wire is little-endian
        return np.frombuffer(raw, dtype=dtype).astype(self.output_dtype).reshape(n, -1)

    def as_dict(self) -> dict[str, object]:
        return {
            "input_shape": list(self.input_shape),
            "input_scale": self.input_scale,
            "input_zero_point": self.input_zero_point,
            "output_shape": list(self.output_shape),
            "output_scale": self.output_scale,
            "output_zero_point": self.output_zero_point,
            "ops": list(self.ops),
            "input_dtype": self.input_dtype,
            "output_dtype": self.output_dtype,
            "output_kind": self.output_kind,
        }


def check_int8_model(path: str | Path, *, compiled: bool = True) -> Int8Signature:
    """Read ``path`` and refuse it, naming the problem, unless it has one input and one
    output, each int8 or a float32 edge the model converts itself, and — when it is to be
    ``compiled`` by tinyedge (the native runtime, the firmware) — only operators tinyedge's
    compiler supports once the static shape arithmetic is evaluated (naming every other
    one). TFLite Micro and LiteRT run any operator they have (``compiled=False``)."""
    graph = read_model(path)
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise ModelError(f"{path}: expected one input and one output, found "
                         f"{len(graph.inputs)} and {len(graph.outputs)}")
    inp, out = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    q_in = _int8_side(graph, path, "input", inp)
    q_out = _int8_side(graph, path, "output", out)
    return Int8Signature(
        input_shape=inp.shape, input_scale=q_in.scale, input_zero_point=q_in.zero_point,
        output_shape=out.shape, output_scale=q_out.scale, output_zero_point=q_out.zero_point,
        ops=_check_ops(graph, path, compiled), input_dtype=EDGE_DTYPES[inp.dtype],
        output_dtype=EDGE_DTYPES[out.dtype], output_kind=graph_output_kind(graph),
    )


def _int8_side(graph: Graph, path: str | Path, role: str, tensor: Tensor) -> Tensor:
    """The int8 tensor whose quantization the model's ``role`` tensor stands for: itself,
    or across its float edge the QUANTIZE output (input) / DEQUANTIZE input (output), as
    the compiler finds it (:func:`tinyedge.firmware.compiler.float_edge`)."""
    fix = "export with full-integer quantization"
    if tensor.dtype == "INT8" and tensor.scales:
        return tensor
    if tensor.dtype != "FLOAT32":
        raise ModelError(f"{path}: the {role} is {tensor.dtype}, not quantized int8; {fix}")
    try:
        _, other = float_edge(graph, role)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from exc
    if other.dtype != "INT8" or not other.scales:
        raise ModelError(f"{path}: the {role}'s {other.describe()} across its float edge is "
                         f"not quantized int8; {fix}")
    return other


def _check_ops(graph: Graph, path: str | Path, compiled: bool) -> tuple[str, ...]:
    """The model's operator names; with ``compiled``, refuse it naming every operator
    tinyedge's compiler cannot compile (after folding the static shape arithmetic)."""
    if compiled:
        folded = fold_constants(graph)
        bad = unsupported_operators(folded)
        if bad:
            message = unsupported_message(folded, bad, "cannot run on the int8 path")
            raise ModelError(f"{path}: {message}")
    return tuple(dict.fromkeys(op.opcode for op in graph.operators))


def output_record(labels: np.ndarray, outputs: np.ndarray, signature: Int8Signature,
                  output_kind: OutputKind | None = None) -> Record:
    """The record of a classifier's outputs on any runtime or the device: int8 logits with
    the output quantization, or the float32 logits a dequantizing model returns; logits or
    probabilities as ``output_kind`` (``--outputs``) says, else as the graph shows."""
    kind = output_kind or signature.output_kind
    if signature.output_dtype == "float32":
        return make_record(labels, outputs, output_kind=kind)
    return make_record(labels, outputs, signature.output_scale, signature.output_zero_point,
                       output_kind=kind)
