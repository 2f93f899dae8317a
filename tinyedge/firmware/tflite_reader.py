"""Read a ``.tflite`` flatbuffer into a small, validated graph description.

The model file is untrusted: every index, buffer size, shape, type and quantization
parameter is checked here, so later stages can rely on them. Problems raise
:class:`tinyedge.errors.ModelError` naming the tensor or operator.

The flatbuffer schema comes from an installed package (ai-edge-litert, else TensorFlow).
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from tinyedge.errors import ModelError

MAX_RANK = 4
MAX_ELEMENTS = 1 << 26  # far above any model that fits a microcontroller
_NUMPY_TYPES = {
    "FLOAT32": np.float32,
    "INT32": np.int32,
    "UINT8": np.uint8,
    "INT64": np.int64,
    "INT8": np.int8,
    "INT16": np.int16,
}


def schema() -> ModuleType:
    """The generated flatbuffer schema module of an installed TFLite package."""
    try:
        from ai_edge_litert import schema_py_generated as module
    except ImportError:  # pragma: no cover - depends on the environment
        try:
            from tensorflow.lite.python import schema_py_generated as module
        except ImportError as exc:
            raise ModelError(
                "no TFLite flatbuffer schema found; install ai-edge-litert or tensorflow"
            ) from exc
    return module


def _enum_names(enum_class: type) -> dict[int, str]:
    return {v: k for k, v in vars(enum_class).items() if not k.startswith("_")}


@dataclass(frozen=True)
class Tensor:
    """One tensor: shape, element type, quantization and, for constants, its data."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    quantized_dimension: int
    data: np.ndarray | None

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def numpy_dtype(self) -> np.dtype:
        return np.dtype(_NUMPY_TYPES[self.dtype])

    @property
    def nbytes(self) -> int:
        return self.size * self.numpy_dtype.itemsize

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def scale(self) -> float:
        return self.scales[0]

    @property
    def zero_point(self) -> int:
        return self.zero_points[0]

    def describe(self) -> str:
        return f"tensor {self.index} ({self.name!r}, {self.dtype}{list(self.shape)})"


@dataclass(frozen=True)
class Operator:
    """One operator: its builtin name, tensor indices (-1 = omitted) and options object."""

    index: int
    opcode: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: Any

    def describe(self) -> str:
        return f"operator {self.index} ({self.opcode})"


@dataclass(frozen=True)
class Graph:
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    description: str


def read_model(path: str | Path) -> Graph:
    """Parse and validate the model at ``path``."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model {path}: {exc.strerror or exc}") from exc
    return parse_model(data, source=str(path))


def parse_model(data: bytes, source: str = "<bytes>") -> Graph:
    """Parse and validate a model held in memory."""
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelError(f"{source} is not a TFLite flatbuffer (missing 'TFL3' identifier)")
    sch = schema()
    try:
        model = sch.ModelT.InitFromPackedBuf(data, 0)
    except Exception as exc:  # malformed flatbuffers raise anything from struct to index errors
        raise _damaged(source, data, exc) from exc
    try:
        return _build_graph(sch, model, data, source)
    except ModelError:
        raise
    except Exception as exc:  # a malformed table that only fails on access
        raise _damaged(source, data, exc) from exc


def _damaged(source: str, data: bytes, exc: Exception) -> ModelError:
    """The one-line refusal of a flatbuffer that failed to parse: a read past the end of
    the data (what a file cut short gives) says the file is truncated; anything else that
    it is corrupt."""
    text = str(exc)
    if isinstance(exc, struct.error) or "buffer is smaller than requested" in text:
        need = re.search(r"at least (\d+) bytes", text)
        reach = f" (it needs at least {need.group(1)})" if need else ""
        return ModelError(f"{source} is truncated: it ends after {len(data)} bytes, but its "
                          f"contents reach past the end{reach}; the file was cut short (an "
                          "interrupted copy or download?): copy or export it again")
    return ModelError(f"{source} is corrupt: {type(exc).__name__}: {exc}")


def _build_graph(sch: ModuleType, model: Any, data: bytes, source: str) -> Graph:
    if model.version != 3:
        raise ModelError(f"{source}: schema version {model.version} unsupported (need 3)")
    if not model.subgraphs or len(model.subgraphs) != 1:
        count = len(model.subgraphs or [])
        raise ModelError(f"{source}: expected exactly one subgraph, found {count}")
    graph = model.subgraphs[0]
    buffers = model.buffers or []
    tensors = tuple(
        _read_tensor(sch, i, t, buffers, data) for i, t in enumerate(graph.tensors or [])
    )
    opcodes = [_opcode_name(sch, c) for c in (model.operatorCodes or [])]
    operators = tuple(
        _read_operator(i, op, opcodes, len(tensors)) for i, op in enumerate(graph.operators or [])
    )
    inputs = _indices(graph.inputs, len(tensors), "subgraph inputs")
    outputs = _indices(graph.outputs, len(tensors), "subgraph outputs")
    description = model.description.decode() if isinstance(model.description, bytes) else ""
    return Graph(tensors, operators, inputs, outputs, description or "")


def _indices(values: Any, count: int, what: str, allow_omitted: bool = False) -> tuple[int, ...]:
    result = tuple(int(v) for v in (values if values is not None else []))
    for v in result:
        if not (0 <= v < count or (allow_omitted and v == -1)):
            raise ModelError(f"{what} refer to tensor {v}, but the model has {count} tensors")
    return result


def _opcode_name(sch: ModuleType, code: Any) -> str:
    names = _enum_names(sch.BuiltinOperator)
    # Old files keep the code in the deprecated int8 field; new ones in the int32 field.
    value = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
    if value == sch.BuiltinOperator.CUSTOM:
        custom = code.customCode.decode() if code.customCode else "?"
        return f"CUSTOM:{custom}"
    return names.get(value, f"UNKNOWN({value})")


def _read_operator(index: int, op: Any, opcodes: list[str], n_tensors: int) -> Operator:
    if not 0 <= op.opcodeIndex < len(opcodes):
        raise ModelError(f"operator {index} uses opcode index {op.opcodeIndex} out of range")
    name = opcodes[op.opcodeIndex]
    where = f"operator {index} ({name})"
    inputs = _indices(op.inputs, n_tensors, f"{where} inputs", allow_omitted=True)
    outputs = _indices(op.outputs, n_tensors, f"{where} outputs")
    return Operator(index, name, inputs, outputs, op.builtinOptions)


def _read_tensor(sch: ModuleType, index: int, t: Any, buffers: list, data: bytes) -> Tensor:
    name = t.name.decode(errors="replace") if isinstance(t.name, bytes) else str(t.name)
    where = f"tensor {index} ({name!r})"
    dtype = _enum_names(sch.TensorType).get(int(t.type), f"UNKNOWN({t.type})")
    if dtype not in _NUMPY_TYPES:
        raise ModelError(f"{where} has unsupported type {dtype}")
    shape = tuple(int(d) for d in (t.shape if t.shape is not None else []))
    if len(shape) > MAX_RANK or any(d <= 0 for d in shape):
        raise ModelError(f"{where} has unsupported shape {list(shape)} (rank <= 4, dims > 0)")
    if math.prod(shape) > MAX_ELEMENTS:
        raise ModelError(f"{where} is too large ({math.prod(shape)} elements)")
    if t.sparsity is not None:
        raise ModelError(f"{where} is sparse; sparse tensors are not supported")
    scales, zero_points, qdim = _read_quantization(t.quantization, shape, where)
    content = _read_buffer(t.buffer, buffers, data, where)
    array = None
    if content is not None:
        np_type = np.dtype(_NUMPY_TYPES[dtype]).newbyteorder("<")
        expected = math.prod(shape) * np_type.itemsize
        if len(content) != expected:
            raise ModelError(f"{where} holds {len(content)} bytes of data, expected {expected}")
        array = np.frombuffer(content, dtype=np_type).astype(np_type.newbyteorder("="))
        array = array.reshape(shape)
    return Tensor(index, name, shape, dtype, scales, zero_points, qdim, array)


def _read_buffer(buffer_index: int, buffers: list, data: bytes, where: str) -> bytes | None:
    if not 0 <= buffer_index < len(buffers):
        raise ModelError(f"{where} refers to buffer {buffer_index}, model has {len(buffers)}")
    buf = buffers[buffer_index]
    if buf.offset and buf.offset > 1:  # data stored outside the flatbuffer (>2 GB layout)
        end = int(buf.offset) + int(buf.size)
        if end > len(data):
            raise ModelError(f"the model is truncated: {where} buffer extends past the end of "
                             f"the file ({len(data)} bytes, the buffer ends at {end}); copy or "
                             "export it again")
        return bytes(data[int(buf.offset) : end])
    if buf.data is None or len(buf.data) == 0:
        return None
    return bytes(np.asarray(buf.data, dtype=np.uint8))


def _read_quantization(
    q: Any, shape: tuple[int, ...], where: str
) -> tuple[tuple[float, ...], tuple[int, ...], int]:
    if q is None or q.scale is None or len(q.scale) == 0:
        return (), (), 0
    scales = tuple(float(s) for s in np.asarray(q.scale, dtype=np.float32))
    zps = tuple(int(z) for z in (q.zeroPoint if q.zeroPoint is not None else []))
    qdim = int(q.quantizedDimension)
    if len(zps) != len(scales):
        raise ModelError(f"{where} has {len(scales)} scales but {len(zps)} zero points")
    if any(not math.isfinite(s) or s <= 0.0 for s in scales):
        raise ModelError(f"{where} has a non-positive or non-finite scale")
    if len(scales) > 1 and not (0 <= qdim < len(shape) and shape[qdim] == len(scales)):
        raise ModelError(
            f"{where} has {len(scales)} per-channel scales on dimension {qdim} "
            f"of shape {list(shape)}"
        )
    return scales, zps, qdim
