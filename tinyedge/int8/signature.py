"""Checks that an exported TFLite model is what the int8 deployment path can run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tinyedge.errors import ModelError
from tinyedge.firmware.compiler import SUPPORTED_OPS
from tinyedge.firmware.tflite_reader import Graph, read_model


@dataclass(frozen=True)
class Int8Signature:
    """Quantization of the model's single input and output: real = scale · (q − zero)."""

    input_shape: tuple[int, ...]
    input_scale: float
    input_zero_point: int
    output_shape: tuple[int, ...]
    output_scale: float
    output_zero_point: int
    ops: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "input_shape": list(self.input_shape),
            "input_scale": self.input_scale,
            "input_zero_point": self.input_zero_point,
            "output_shape": list(self.output_shape),
            "output_scale": self.output_scale,
            "output_zero_point": self.output_zero_point,
            "ops": list(self.ops),
        }


def check_int8_model(path: str | Path) -> Int8Signature:
    """Read ``path`` and refuse it, naming the problem, unless it has one int8 input, one
    int8 output and only operators the int8 runtimes and firmware support."""
    graph = read_model(path)
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise ModelError(f"{path}: expected one input and one output, found "
                         f"{len(graph.inputs)} and {len(graph.outputs)}")
    inp, out = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    for role, tensor in (("input", inp), ("output", out)):
        if tensor.dtype != "INT8" or not tensor.scales:
            raise ModelError(f"{path}: the {role} is {tensor.dtype}, not quantized int8; "
                             "export with full-integer quantization")
    return Int8Signature(
        input_shape=inp.shape, input_scale=inp.scale, input_zero_point=inp.zero_point,
        output_shape=out.shape, output_scale=out.scale, output_zero_point=out.zero_point,
        ops=_check_ops(graph, path),
    )


def _check_ops(graph: Graph, path: str | Path) -> tuple[str, ...]:
    names: list[str] = []
    for op in graph.operators:
        if op.opcode not in SUPPORTED_OPS:
            raise ModelError(
                f"{path}: {op.describe()} cannot run on the int8 path (supported: "
                f"{', '.join(SUPPORTED_OPS)}); change the model to avoid it"
            )
        if op.opcode not in names:
            names.append(op.opcode)
    return tuple(names)
