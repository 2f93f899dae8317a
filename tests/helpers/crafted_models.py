"""Single-operator TFLite models written directly as flatbuffers (no TensorFlow), so the
validator's refusals can be tested on parameters no converter would emit: a perm that is
not a permutation, a stride of 0, an axis out of range, quantization outside what the int8
kernels handle.

``one_op`` builds a model with the activation inputs as graph inputs, constant inputs
stored in buffers, and one int8 output; ``crafted`` is the same model after ``change`` has
edited its object tree (:class:`Crafted` names the operator and tensors to edit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import flatbuffers
import numpy as np

from tinyedge.firmware.tflite_reader import schema

_DTYPES = {np.dtype(np.int8): "INT8", np.dtype(np.int32): "INT32",
           np.dtype(np.int64): "INT64"}


@dataclass(frozen=True)
class Act:
    """A non-constant int8 tensor (an activation) with per-tensor quantization."""

    shape: tuple[int, ...]
    scale: float = 0.05
    zero_point: int = 0


@dataclass(frozen=True)
class Const:
    """A constant tensor; int8 ones get per-tensor quantization."""

    data: np.ndarray
    scale: float = 0.05
    zero_point: int = 0


@dataclass
class Crafted:
    """The object tree of a one-operator model, for ``change`` to edit."""

    model: Any
    tensor_of: dict[str, int] = field(default_factory=dict)

    @property
    def op(self) -> Any:
        return self.model.subgraphs[0].operators[0]

    @property
    def options(self) -> Any:
        return self.op.builtinOptions

    def tensor(self, role: str) -> Any:
        return self.model.subgraphs[0].tensors[self.tensor_of[role]]

    def set_const(self, role: str, values: Any) -> None:
        """Replace a constant input's data (and shape, to match); a list becomes int32."""
        array = values if isinstance(values, np.ndarray) else np.asarray(values, np.int32)
        t = self.tensor(role)
        t.shape = list(array.shape)
        t.type = getattr(schema().TensorType, _DTYPES[array.dtype])
        self.model.buffers[t.buffer].data = array.reshape(-1).view(np.uint8)


def _quant(scale: float, zero_point: int) -> Any:
    q = schema().QuantizationParametersT()
    q.scale = [scale]
    q.zeroPoint = [zero_point]
    return q


def one_op(opcode: str, inputs: dict[str, Act | Const | str], output: Act,
           options: tuple[str, dict[str, Any]] | None = None) -> Crafted:
    """A model whose one operator ``opcode`` reads ``inputs`` (in order; the dict keys name
    the roles; a string names an earlier role, to read one tensor twice) and writes
    ``output``; ``options`` is (BuiltinOptions name, its fields). The runtime takes one graph
    input, so at most one distinct :class:`Act` should be among the inputs."""
    sch = schema()
    model = sch.ModelT()
    model.version = 3
    model.description = "crafted by tests/helpers/crafted_models.py"
    empty = sch.BufferT()
    model.buffers = [empty]
    graph = sch.SubGraphT()
    graph.tensors, graph.inputs = [], []
    crafted = Crafted(model)

    def add(role: str, spec: Act | Const) -> int:
        t = sch.TensorT()
        t.name = role.encode()
        if isinstance(spec, Act):
            t.shape, t.type, t.buffer = list(spec.shape), sch.TensorType.INT8, 0
            t.quantization = _quant(spec.scale, spec.zero_point)
        else:
            data = np.ascontiguousarray(spec.data)
            t.shape, t.type = list(data.shape), getattr(sch.TensorType, _DTYPES[data.dtype])
            buffer = sch.BufferT()
            buffer.data = data.reshape(-1).view(np.uint8)
            model.buffers.append(buffer)
            t.buffer = len(model.buffers) - 1
            if data.dtype == np.int8:
                t.quantization = _quant(spec.scale, spec.zero_point)
        graph.tensors.append(t)
        crafted.tensor_of[role] = len(graph.tensors) - 1
        return len(graph.tensors) - 1

    indices = [crafted.tensor_of[spec] if isinstance(spec, str) else add(role, spec)
               for role, spec in inputs.items()]
    graph.inputs = [i for i, spec in zip(indices, inputs.values(), strict=True)
                    if isinstance(spec, Act)]
    out = add("output", output)
    graph.outputs = [out]
    code = sch.OperatorCodeT()
    code.builtinCode = getattr(sch.BuiltinOperator, opcode)
    code.deprecatedBuiltinCode = min(code.builtinCode, 127)
    code.version = 1
    model.operatorCodes = [code]
    op = sch.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, indices, [out]
    if options is not None:
        name, fields = options
        op.builtinOptionsType = getattr(sch.BuiltinOptions, name)
        op.builtinOptions = getattr(sch, f"{name}T")()
        for key, value in fields.items():
            setattr(op.builtinOptions, key, value)
    graph.operators = [op]
    model.subgraphs = [graph]
    return crafted


def pack(crafted: Crafted) -> bytes:
    builder = flatbuffers.Builder(1024)
    builder.Finish(crafted.model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def crafted(make: Callable[[], Crafted], change: Callable[[Crafted], None]) -> bytes:
    """The model ``make()`` builds, edited by ``change``, as flatbuffer bytes."""
    model = make()
    change(model)
    return pack(model)
