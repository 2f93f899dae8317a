"""Static shape arithmetic evaluated ahead of time (tinyedge.firmware.fold), and the one-line
refusal naming every operator the compiler lacks. Graphs are built directly from the
reader's dataclasses (no TensorFlow); the converted Keras models are in
test_static_shapes.py."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinyedge.errors import ModelError
from tinyedge.firmware.compiler import compile_graph
from tinyedge.firmware.fold import fold_constants
from tinyedge.firmware.tflite_reader import Graph, Operator, Tensor, schema


class Builder:
    """A graph under construction: int8 activations, int32 values, operators in order."""

    def __init__(self) -> None:
        self.tensors: list[Tensor] = []
        self.operators: list[Operator] = []

    def act(self, shape: tuple[int, ...], scale: float = 0.05) -> int:
        return self._add(shape, "INT8", (scale,), (0,), None)

    def ints(self, shape: tuple[int, ...], data: Any = None) -> int:
        """An int32 tensor, constant when ``data`` is given."""
        array = None if data is None else np.asarray(data, np.int32).reshape(shape)
        return self._add(shape, "INT32", (), (), array)

    def const8(self, data: np.ndarray, scale: float = 0.05) -> int:
        return self._add(data.shape, "INT8", (scale,), (0,), data.astype(np.int8))

    def _add(self, shape, dtype, scales, zero_points, data) -> int:
        index = len(self.tensors)
        self.tensors.append(Tensor(index, f"t{index}", tuple(shape), dtype, scales,
                                   zero_points, 0, data))
        return index

    def op(self, opcode: str, inputs: list[int], output: int, options: str | None = None,
           **fields: Any) -> None:
        opts = None
        if options is not None:
            opts = getattr(schema(), f"{options}T")()
            for key, value in fields.items():
                setattr(opts, key, value)
        self.operators.append(Operator(len(self.operators), opcode, tuple(inputs),
                                       (output,), opts))

    def graph(self, inputs: list[int], outputs: list[int]) -> Graph:
        return Graph(tuple(self.tensors), tuple(self.operators), tuple(inputs),
                     tuple(outputs), "")


def _flatten_graph(shape_op_output: tuple[int, ...] = (4,)) -> tuple[Builder, dict[str, int]]:
    """x [1,3,4,2] -> SHAPE -> STRIDED_SLICE (batch, shrunk) -> PACK with -1 -> RESHAPE ->
    FULLY_CONNECTED: what the converter writes for a Keras Flatten without a fixed batch."""
    b = Builder()
    t = {"x": b.act((1, 3, 4, 2))}
    t["shape"] = b.ints(shape_op_output)
    b.op("SHAPE", [t["x"]], t["shape"], "ShapeOptions")
    t["batch"] = b.ints(())
    b.op("STRIDED_SLICE", [t["shape"], b.ints((1,), [0]), b.ints((1,), [1]),
                           b.ints((1,), [1])], t["batch"], "StridedSliceOptions",
         shrinkAxisMask=1)
    t["target"] = b.ints((2,))
    b.op("PACK", [t["batch"], b.ints((), [-1])], t["target"], "PackOptions", valuesCount=2)
    t["flat"] = b.act((1, 24))
    b.op("RESHAPE", [t["x"], t["target"]], t["flat"], "ReshapeOptions")
    t["out"] = b.act((1, 5))
    weights = np.random.default_rng(0).integers(-100, 100, (5, 24))
    b.op("FULLY_CONNECTED", [t["flat"], b.const8(weights), -1], t["out"],
         "FullyConnectedOptions")
    return b, t


def test_flatten_shape_arithmetic_is_folded_away() -> None:
    b, t = _flatten_graph()
    graph = b.graph([t["x"]], [t["out"]])
    folded = fold_constants(graph)
    assert [op.opcode for op in folded.operators] == ["RESHAPE", "FULLY_CONNECTED"]
    assert [op.index for op in folded.operators] == [3, 4]  # the file's indices are kept
    assert folded.tensors[t["shape"]].data.tolist() == [1, 3, 4, 2]
    assert folded.tensors[t["batch"]].data.tolist() == 1
    assert folded.tensors[t["target"]].data.tolist() == [1, -1]
    assert folded.tensors[t["target"]].data.dtype == np.int32
    compiled = compile_graph(graph)
    assert [layer.op for layer in compiled.layers] == ["RESHAPE", "FULLY_CONNECTED"]
    # no code and no arena for the folded values: only the int8 activations are planned
    assert set(compiled.offsets) == {t["x"], t["flat"], t["out"]}


def test_folding_evaluates_gather_concat_arithmetic_and_reductions() -> None:
    b = Builder()
    x = b.act((1, 6, 4, 2))
    shape = b.ints((4,))
    b.op("SHAPE", [x], shape, "ShapeOptions")
    hw = b.ints((2,))
    b.op("GATHER", [shape, b.ints((2,), [1, 2])], hw, "GatherOptions", axis=0)
    area = b.ints(())
    b.op("REDUCE_PROD", [hw, b.ints((1,), [0])], area, "ReducerOptions", keepDims=False)
    half = b.ints(())
    b.op("FLOOR_DIV", [area, b.ints((), [-5])], half)  # floors toward minus infinity
    scaled = b.ints((2,))
    b.op("MUL", [hw, b.ints((2,), [2, 3])], scaled, "MulOptions")
    joined = b.ints((3,))
    b.op("CONCATENATION", [b.ints((1,), [7]), scaled], joined, "ConcatenationOptions",
         axis=0)
    total = b.ints((1,))
    b.op("SUM", [joined, b.ints((1,), [0])], total, "ReducerOptions", keepDims=True)
    biggest = b.ints((3,))
    b.op("MAXIMUM", [joined, b.ints((), [10])], biggest)
    folded = fold_constants(b.graph([x], [biggest]))
    values = {i: folded.tensors[i].data.tolist() for i in (hw, area, half, scaled, joined,
                                                          total, biggest)}
    assert values == {hw: [6, 4], area: 24, half: -5, scaled: [12, 12], joined: [7, 12, 12],
                      total: [31], biggest: [10, 12, 12]}
    assert folded.operators == ()


def test_values_that_are_not_known_stay_and_are_named_with_the_hint() -> None:
    """A STRIDED_SLICE with an ellipsis mask is not evaluated here: it, the PACK that needs
    its result, and a TANH are all named in one line, the shape ones with the batch hint."""
    b, t = _flatten_graph()
    ops = list(b.operators)
    opts = schema().StridedSliceOptionsT()
    opts.shrinkAxisMask, opts.ellipsisMask = 1, 1
    ops[1] = Operator(1, "STRIDED_SLICE", ops[1].inputs, ops[1].outputs, opts)
    tanh_out = b.act((1, 5))
    b.operators = ops
    b.op("TANH", [t["out"]], tanh_out)
    graph = b.graph([t["x"]], [tanh_out])
    with pytest.raises(ModelError) as info:
        compile_graph(graph)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("operator 1 (STRIDED_SLICE), operator 2 (PACK), operator 5 "
                              "(TANH) are not supported by the tinyedge compiler")
    assert "operator 1 (STRIDED_SLICE) is shape arithmetic that is not static" in message
    assert "fix the batch size to 1" in message
    assert "operator 0 (SHAPE)" not in message  # evaluated ahead of time
    assert "tinyedge export" not in message and "tinyedge train" not in message


def test_every_unsupported_operator_is_named_once_in_one_line() -> None:
    b = Builder()
    x = b.act((1, 4, 4, 2))
    y, z, w = b.act((1, 4, 4, 2)), b.act((1, 4, 4, 2)), b.act((1, 4, 4, 2))
    b.op("TANH", [x], y)
    b.op("RESIZE_BILINEAR", [y, b.ints((2,), [4, 4])], z, "ResizeBilinearOptions")
    b.op("RELU", [z], w)
    with pytest.raises(ModelError) as info:
        compile_graph(b.graph([x], [w]))
    message = str(info.value)
    assert "operator 0 (TANH), operator 1 (RESIZE_BILINEAR) are not supported" in message
    assert "RESIZE_BILINEAR: upsample with nearest neighbour" in message
    assert "RELU)" not in message and "\n" not in message


@pytest.mark.parametrize(("change", "message"), [
    ("gather_index", "index [4] is out of range for 4 values"),
    ("declared_shape", "computes a value of shape [4], but its output"),
    ("division", "cannot be evaluated: division by zero"),
    ("overflow", "outside INT32"),
])
def test_values_the_runtime_would_refuse_are_refused(change: str, message: str) -> None:
    b = Builder()
    x = b.act((1, 3, 4, 2))
    shape = b.ints((3,) if change == "declared_shape" else (4,))
    b.op("SHAPE", [x], shape, "ShapeOptions")
    result = b.ints((1,))
    if change == "gather_index":
        b.op("GATHER", [shape, b.ints((1,), [4])], result, "GatherOptions", axis=0)
    elif change == "division":
        b.op("FLOOR_DIV", [b.ints((1,), [3]), b.ints((1,), [0])], result)
    elif change == "overflow":
        b.op("MUL", [b.ints((1,), [1 << 20]), b.ints((1,), [1 << 12])], result, "MulOptions")
    with pytest.raises(ModelError) as info:
        fold_constants(b.graph([x], [x]))
    assert message in str(info.value)


def test_int8_operators_of_constants_are_left_to_the_compiler() -> None:
    """Only int32/int64 values are evaluated here: an int8 ADD of a constant still
    compiles to a kernel."""
    b = Builder()
    x, y = b.act((1, 2, 2, 3)), b.act((1, 2, 2, 3))
    b.op("ADD", [x, b.const8(np.arange(3))], y, "AddOptions")
    graph = b.graph([x], [y])
    assert fold_constants(graph) is graph
    assert [layer.kernel for layer in compile_graph(graph).layers] == ["te_add_broadcast_s8"]


def test_float_computation_inside_the_model_is_named_with_the_quantization_hint() -> None:
    """What the converter writes around a layer it cannot quantize: DEQUANTIZE -> float
    ELU -> QUANTIZE in the middle of an int8 graph. All three are named."""
    b = Builder()
    x = b.act((1, 4, 4, 2))
    inner = b._add((1, 4, 4, 2), "FLOAT32", (), (), None)
    elu = b._add((1, 4, 4, 2), "FLOAT32", (), (), None)
    back, out = b.act((1, 4, 4, 2)), b.act((1, 4, 4, 2))
    b.op("DEQUANTIZE", [x], inner)
    b.op("ELU", [inner], elu)
    b.op("QUANTIZE", [elu], back)
    b.op("RELU", [back], out)
    with pytest.raises(ModelError) as info:
        compile_graph(b.graph([x], [out]))
    message = str(info.value)
    assert message.startswith("operator 0 (DEQUANTIZE), operator 1 (ELU), operator 2 "
                              "(QUANTIZE) are not supported by the tinyedge compiler")
    assert "operator 0 (DEQUANTIZE) computes in float32 inside the model" in message
    assert "full-integer quantization" in message and "\n" not in message


def test_supported_ops_are_the_lowered_ones() -> None:
    from tinyedge.firmware.compiler import _LOWERINGS, SUPPORTED_OPS

    assert sorted(SUPPORTED_OPS) == sorted(_LOWERINGS)
