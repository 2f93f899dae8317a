"""What a TFLite classifier's output is: logits, or probabilities (it ends in SOFTMAX or
LOGISTIC, as every Keras classifier with ``activation="softmax"`` and every published
MLPerf Tiny classifier does). Confidence, ECE and the reliability diagrams take the
softmax of logits but the outputs themselves when they are probabilities already."""

from __future__ import annotations

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
