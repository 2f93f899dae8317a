"""Evaluate a graph's static shape arithmetic ahead of time.

Converters write shape computations into graphs whose every shape is in fact fixed: a
Keras ``Flatten`` on an input declared without a batch size becomes SHAPE -> STRIDED_SLICE
-> PACK -> RESHAPE, the RESHAPE's target computed at run time. Every tensor of a TFLite
model has a static shape, so SHAPE's result is known at compile time, and so is any int32 /
int64 operator whose inputs are all known. :func:`fold_constants` evaluates those operators
here, turns their outputs into constant tensors and drops the operators: they produce no C
code and no arena buffers. The operators that consume such values (RESHAPE's shape operand)
compile as before.

Operators with options this module does not evaluate (an ellipsis mask, batched GATHER) are
left in the graph, where the compiler reports them with every other operator it lacks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from tinyedge.errors import ModelError
from tinyedge.firmware.tflite_reader import Graph, Operator, Tensor, schema

# Element types of the shape-like values evaluated here.
SHAPE_DTYPES = ("INT32", "INT64")


class _NotFoldable(Exception):
    """The operator uses an option this module does not evaluate: leave it in the graph."""


def is_shape_value(t: Tensor) -> bool:
    """An int32 / int64 tensor: a shape, index or size, never an int8 activation."""
    return t.dtype in SHAPE_DTYPES


def fold_constants(graph: Graph) -> Graph:
    """``graph`` with every operator whose int32/int64 result is known at compile time
    (SHAPE of a static tensor, then any supported operator of known values) evaluated: its
    output tensor carries the value as constant data and the operator is removed. Operator
    indices are kept, so messages still name the operators of the file."""
    values: dict[int, np.ndarray] = {t.index: t.data for t in graph.tensors if t.is_constant}
    tensors = list(graph.tensors)
    kept: list[Operator] = []
    for op in graph.operators:
        result = _evaluate(graph, op, values)
        if result is None:
            kept.append(op)
            continue
        out = graph.tensors[op.outputs[0]]
        tensors[out.index] = replace(out, data=result)
        values[out.index] = result
    if len(kept) == len(graph.operators):
        return graph
    return replace(graph, tensors=tuple(tensors), operators=tuple(kept))


def _evaluate(graph: Graph, op: Operator, values: dict[int, np.ndarray]) -> np.ndarray | None:
    """The value of ``op``'s single output, or None when it is not known ahead of time."""
    fold = _FOLDERS.get(op.opcode)
    if fold is None or len(op.outputs) != 1:
        return None
    out = graph.tensors[op.outputs[0]]
    if not is_shape_value(out) or out.is_constant:
        return None
    present = [i for i in op.inputs if i >= 0]
    if op.opcode != "SHAPE" and not all(
            i in values and is_shape_value(graph.tensors[i]) for i in present):
        return None
    # Python integers (object arrays): no intermediate result can wrap around
    args = [values[i].astype(object) if i in values and is_shape_value(graph.tensors[i])
            else None for i in op.inputs]
    try:
        result = np.asarray(fold(graph, op, args), dtype=object)
    except _NotFoldable:
        return None
    except (ValueError, IndexError, ZeroDivisionError) as exc:
        raise ModelError(f"{op.describe()} cannot be evaluated: {exc}") from exc
    if result.shape != out.shape:
        raise ModelError(
            f"{op.describe()} computes a value of shape {list(result.shape)}, but its output "
            f"{out.describe()} is declared {list(out.shape)}")
    info = np.iinfo(out.numpy_dtype)
    if any(not info.min <= int(v) <= info.max for v in result.reshape(-1)):
        raise ModelError(f"{op.describe()} computes {result.tolist()}, outside {out.dtype}")
    return result.astype(out.numpy_dtype)


def _options(op: Operator, class_name: str) -> Any:
    if not isinstance(op.options, getattr(schema(), class_name)):
        raise ModelError(f"{op.describe()} lacks its {class_name.removesuffix('T')}")
    return op.options


def _no_activation(op: Operator, class_name: str) -> None:
    if _options(op, class_name).fusedActivationFunction != 0:  # ActivationFunctionType.NONE
        raise _NotFoldable


def _inputs(op: Operator, args: list[np.ndarray | None], count: int) -> list[np.ndarray]:
    if len(args) != count or any(a is None for a in args):
        raise ModelError(f"{op.describe()} has {len(args)} inputs, expected {count}")
    return [a for a in args if a is not None]


def _axis(op: Operator, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise ModelError(f"{op.describe()} axis {axis} is out of range for rank {rank}")
    return axis % rank


def slice_axes(op: Operator, opts: Any, shape: tuple[int, ...], begin: list[int],
               end: list[int], strides: list[int]) -> list[tuple[int, int, int, bool]]:
    """STRIDED_SLICE resolved per axis, as TFLite does (masks, negative indices, clamping):
    (first index, step, count, shrunk). Refuses a stride of 0, an empty selection and a
    shrunk index outside the axis."""
    axes = []
    for a, size in enumerate(shape):
        if strides[a] == 0:
            raise ModelError(f"{op.describe()} has stride 0 on axis {a}")
        if opts.shrinkAxisMask >> a & 1:
            start = begin[a] + size if begin[a] < 0 else begin[a]
            if not 0 <= start < size:
                raise ModelError(f"{op.describe()} index {begin[a]} is out of range on axis {a}")
            axes.append((start, 1, 1, True))
            continue
        lo = None if opts.beginMask >> a & 1 else begin[a]
        hi = None if opts.endMask >> a & 1 else end[a]
        start, stop, step = slice(lo, hi, strides[a]).indices(size)
        count = len(range(start, stop, step))
        if count == 0:
            raise ModelError(f"{op.describe()} selects nothing on axis {a}")
        axes.append((start, step, count, False))
    return axes


def _shape(graph: Graph, op: Operator, args: list[np.ndarray | None]) -> np.ndarray:
    if len(op.inputs) != 1 or op.inputs[0] < 0:
        raise ModelError(f"{op.describe()} needs exactly one input")
    return np.asarray(graph.tensors[op.inputs[0]].shape, dtype=np.int64)


def _strided_slice(graph: Graph, op: Operator, args: list[np.ndarray | None]) -> np.ndarray:
    x, begin, end, strides = _inputs(op, args, 4)
    opts = _options(op, "StridedSliceOptionsT")
    if opts.ellipsisMask or opts.newAxisMask or opts.offset or x.ndim == 0:
        raise _NotFoldable
    if not begin.shape == end.shape == strides.shape == (x.ndim,):
        raise ModelError(f"{op.describe()} needs begin, end and strides of {x.ndim} values")
    axes = slice_axes(op, opts, x.shape, begin.tolist(), end.tolist(), strides.tolist())
    picked = x[np.ix_(*[start + step * np.arange(count) for start, step, count, _ in axes])]
    return picked.reshape([count for _, _, count, shrunk in axes if not shrunk])


def _gather(graph: Graph, op: Operator, args: list[np.ndarray | None]) -> np.ndarray:
    x, indices = _inputs(op, args, 2)
    opts = _options(op, "GatherOptionsT")
    if opts.batchDims or x.ndim == 0:
        raise _NotFoldable
    axis = _axis(op, int(opts.axis), x.ndim)
    if indices.size and (indices.min() < 0 or indices.max() >= x.shape[axis]):
        raise ModelError(f"{op.describe()} index {indices.tolist()} is out of range "
                         f"for {x.shape[axis]} values")
    return np.take(x, indices.astype(np.int64), axis=axis)


def _pack(graph: Graph, op: Operator, args: list[np.ndarray | None]) -> np.ndarray:
    values = _inputs(op, args, len(args))
    opts = _options(op, "PackOptionsT")
    if not values or any(v.shape != values[0].shape for v in values):
        raise ModelError(f"{op.describe()} packs values of different shapes")
    return np.stack(values, axis=_axis(op, int(opts.axis), values[0].ndim + 1))


def _concatenation(graph: Graph, op: Operator, args: list[np.ndarray | None]) -> np.ndarray:
    values = _inputs(op, args, len(args))
    _no_activation(op, "ConcatenationOptionsT")
    if not values or values[0].ndim == 0:
        raise ModelError(f"{op.describe()} concatenates nothing or scalars")
    axis = _axis(op, int(op.options.axis), values[0].ndim)
    return np.concatenate(values, axis=axis)


def _reshape(graph: Graph, op: Operator, args: list[np.ndarray | None]) -> np.ndarray:
    """RESHAPE, SQUEEZE, EXPAND_DIMS and CAST of a known value: its elements in order, in
    the output's declared shape (the element type is set by the caller)."""
    if not args or args[0] is None:
        raise ModelError(f"{op.describe()} is missing its input")
    out = graph.tensors[op.outputs[0]]
    if args[0].size != out.size:
        raise ModelError(f"{op.describe()} changes the element count ({args[0].size} -> "
                         f"{out.size})")
    return args[0].reshape(out.shape)


def _arithmetic(function: Callable[[np.ndarray, np.ndarray], np.ndarray], options: str | None
                ) -> Callable[[Graph, Operator, list[np.ndarray | None]], np.ndarray]:
    def fold(graph: Graph, op: Operator, args: list[np.ndarray | None]) -> np.ndarray:
        a, b = _inputs(op, args, 2)
        if options is not None:
            _no_activation(op, options)
        return function(a, b)
    return fold


def _floor_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if (b == 0).any():
        raise ValueError("division by zero")
    return np.floor_divide(a, b)  # Python integers: rounds toward minus infinity, as TFLite


def _reduce(function: Callable[..., np.ndarray]
            ) -> Callable[[Graph, Operator, list[np.ndarray | None]], np.ndarray]:
    def fold(graph: Graph, op: Operator, args: list[np.ndarray | None]) -> np.ndarray:
        x, axes = _inputs(op, args, 2)
        keep = bool(_options(op, "ReducerOptionsT").keepDims)
        axis = tuple(sorted({_axis(op, int(a), x.ndim) for a in axes.reshape(-1)}))
        return function(x, axis=axis, keepdims=keep)
    return fold


_FOLDERS: dict[str, Callable[[Graph, Operator, list[np.ndarray | None]], np.ndarray]] = {
    "SHAPE": _shape,
    "STRIDED_SLICE": _strided_slice,
    "GATHER": _gather,
    "PACK": _pack,
    "CONCATENATION": _concatenation,
    "RESHAPE": _reshape,
    "SQUEEZE": _reshape,
    "EXPAND_DIMS": _reshape,
    "CAST": _reshape,
    "ADD": _arithmetic(np.add, "AddOptionsT"),
    "SUB": _arithmetic(np.subtract, "SubOptionsT"),
    "MUL": _arithmetic(np.multiply, "MulOptionsT"),
    "FLOOR_DIV": _arithmetic(_floor_div, None),
    "MAXIMUM": _arithmetic(np.maximum, None),
    "MINIMUM": _arithmetic(np.minimum, None),
    "REDUCE_PROD": _reduce(lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims)),
    "SUM": _reduce(lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims)),
}

# The operators evaluated ahead of time when their values are known (for messages).
FOLDABLE_OPS = tuple(_FOLDERS)

