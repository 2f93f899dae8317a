"""What ``memory.json`` records about the compiled model besides its sizes: the layers the
firmware runs (in profile order, with their MACs) and the activation arena's plan (every
buffer's size, lifetime and offset), so a report can show the per-layer profile and the
arena timeline without compiling the model again."""

from __future__ import annotations

import math
from typing import Any

from tinyedge.firmware.compiler import CompiledModel, Layer

# MACs are counted the standard way (SPEC §2): conv and linear layers only.
_MAC_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def layer_macs(layer: Layer) -> int:
    """Multiply-accumulates of one kernel call: output elements × taps per output
    (kh·kw·in_channels for a conv, kh·kw for a depthwise conv, in_features for a fully
    connected layer); 0 for every other op."""
    if layer.op not in _MAC_OPS:
        return 0
    out = math.prod(layer.dims("output"))
    f = layer.dims("filter")
    if layer.op == "CONV_2D":
        return out * f[1] * f[2] * f[3]
    if layer.op == "DEPTHWISE_CONV_2D":
        return out * f[1] * f[2]
    return out * f[3]


def plan_report(compiled: CompiledModel) -> dict[str, Any]:
    """``layers``: index (as the device's profile numbers them), op, kernel, input and
    output shapes, MACs. ``arena``: size and one entry per buffer — the tensor (or a
    layer's scratch) it holds, bytes, offset, first and last layer it is live in."""
    tensors = compiled.graph.tensors
    layers = [{"index": layer.index, "op": layer.op, "kernel": layer.kernel,
               "input_shape": list(tensors[layer.inputs[0]].shape) if layer.inputs else [],
               "output_shape": list(tensors[layer.output].shape),
               "macs": layer_macs(layer)} for layer in compiled.layers]
    offset_of = {**{t: o for t, o in compiled.offsets.items()},
                 **{len(tensors) + i: o for i, o in compiled.scratch_offsets.items()}}
    buffers = []
    for b in sorted(compiled.buffers, key=lambda b: (b.first, b.id)):
        if b.id < len(tensors):
            name, kind = tensors[b.id].name, "tensor"
        else:
            name, kind = f"scratch of layer {b.id - len(tensors)}", "scratch"
        buffers.append({"name": name, "kind": kind, "bytes": b.size,
                        "offset": offset_of.get(b.id, 0), "first": b.first, "last": b.last})
    return {"layers": layers, "arena": {"bytes": compiled.arena_size, "buffers": buffers}}
