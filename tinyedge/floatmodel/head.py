"""Facts read from a model's graph: what a classifier's output is — logits, or
probabilities (it ends in SOFTMAX or LOGISTIC, as every Keras classifier with
``activation="softmax"`` and every published MLPerf Tiny classifier does; confidence, ECE
and the reliability diagrams take the softmax of logits but the outputs themselves when
they are probabilities already) —, whether a TFLite graph computes in float, and its MACs
and parameters."""

from __future__ import annotations

import numpy as np

from tinyedge.firmware.tflite_reader import Graph
from tinyedge.records import OutputKind

# Ops that pass a value through unchanged in meaning (shape or quantization only).
_PASS_THROUGH = ("RESHAPE", "SQUEEZE", "DEQUANTIZE", "QUANTIZE", "EXPAND_DIMS")
_PROBABILITY_OPS = ("SOFTMAX", "LOGISTIC")
# TFLite's int8 encoding of a probability: real = (q + 128) / 256, covering [0, 1).
PROBABILITY_SCALE, PROBABILITY_ZERO_POINT = 1.0 / 256.0, -128


def graph_output_kind(graph: Graph) -> OutputKind:
    """``probabilities`` when the output is made by SOFTMAX or LOGISTIC (through reshapes
    and (de)quantization), or is int8 with TFLite's probability encoding (scale 1/256,
    zero point −128); ``logits`` otherwise.

    Example: CONV_2D → … → FULLY_CONNECTED → SOFTMAX → output gives ``probabilities``;
    … → FULLY_CONNECTED → output (scale 0.1, zero point 3) gives ``logits``."""
    producer = {t: op for op in graph.operators for t in op.outputs}
    tensor = graph.outputs[0]
    while (op := producer.get(tensor)) is not None and op.opcode in _PASS_THROUGH:
        tensor = op.inputs[0]
    if op is not None and op.opcode in _PROBABILITY_OPS:
        return "probabilities"
    out = graph.tensors[graph.outputs[0]]
    if (out.dtype == "INT8" and len(out.scales) == 1
            and abs(out.scales[0] - PROBABILITY_SCALE) < 1e-9
            and out.zero_points[0] == PROBABILITY_ZERO_POINT):
        return "probabilities"
    return "logits"


def is_float_graph(graph: Graph) -> bool:
    """Whether a TFLite graph computes in float: its input is float32 and is not
    quantized straight away (an int8 model with a float edge has QUANTIZE after it)."""
    inp = graph.tensors[graph.inputs[0]] if graph.inputs else None
    if inp is None or inp.dtype != "FLOAT32":
        return False
    readers = [op for op in graph.operators if graph.inputs[0] in op.inputs]
    return not readers or any(op.opcode != "QUANTIZE" for op in readers)


def graph_macs(graph: Graph) -> int:
    """Multiply-accumulates of one inference, counted the standard way (SPEC §2): conv,
    depthwise conv and fully-connected layers only, from their static shapes.

    CONV_2D: OH·OW·OC·KH·KW·IC; DEPTHWISE_CONV_2D: OH·OW·OC·KH·KW; FULLY_CONNECTED:
    rows·OUT·IN. Example: a 3×3 conv from 3 to 8 channels on a 16×16 output gives
    16·16·8·3·3·3 = 55,296."""
    total = 0
    for op in graph.operators:
        if op.opcode not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        out = graph.tensors[op.outputs[0]]
        w = graph.tensors[op.inputs[1]]
        if len(w.shape) < 2:
            continue
        if op.opcode == "CONV_2D":
            total += out.size * w.shape[1] * w.shape[2] * w.shape[3]
        elif op.opcode == "DEPTHWISE_CONV_2D":
            total += out.size * w.shape[1] * w.shape[2]
        else:
            total += out.size * w.shape[-1]
    return int(total)


_WEIGHTED = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV")


def graph_params(graph: Graph) -> int:
    """Parameters of the deployed graph: the elements of the constant weight and bias
    tensors of its conv, depthwise, fully-connected and transposed-conv layers, after
    BatchNorm folding (a folded BatchNorm leaves one bias per channel, not two numbers).

    Example: a 3×3 conv from 3 to 4 channels with a bias is 3·3·3·4 + 4 = 112."""
    seen: set[int] = set()
    total = 0
    for op in graph.operators:
        if op.opcode not in _WEIGHTED:
            continue
        for index in op.inputs[1:]:
            if index < 0 or index in seen:
                continue
            tensor = graph.tensors[index]
            if tensor.is_constant and tensor.dtype in ("INT8", "INT32", "FLOAT32", "INT16"):
                seen.add(index)
                total += tensor.size
    return int(total)


def output_kind_of_values(outputs: np.ndarray) -> OutputKind:
    """What float outputs are when the graph cannot say (a SavedModel, TorchScript or
    PyTorch factory): ``probabilities`` when every row is non-negative and sums to 1
    (within 1e-3) — a softmax head; logits essentially never are — else ``logits``.

    Example: [[0.7, 0.2, 0.1], [0.0, 1.0, 0.0]] gives ``probabilities``; [[2.1, -0.3, 0.4]]
    gives ``logits``."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim != 2 or outputs.shape[1] < 2 or not len(outputs):
        return "logits"
    sums = outputs.sum(axis=1)
    return ("probabilities" if (outputs >= 0).all() and np.abs(sums - 1).max() < 1e-3
            else "logits")
