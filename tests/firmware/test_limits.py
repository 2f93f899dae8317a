"""Crafted models the validator must refuse with one line before any C is generated
(issue 10's reproductions), and the pure limit checks themselves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import flatbuffers
import numpy as np
import pytest
from helpers.cli import run_cli_subprocess
from helpers.crafted_models import Act, Const, Crafted, crafted, one_op, pack

from tinyedge.errors import ModelError
from tinyedge.firmware import limits
from tinyedge.firmware.host import compile_model_bytes
from tinyedge.firmware.tflite_reader import schema

CORPUS = Path(__file__).resolve().parents[1] / "fuzz" / "corpus"


def edit(seed: str, change: Callable) -> bytes:
    """The seed model with ``change(model)`` applied through the flatbuffer object API."""
    model = schema().ModelT.InitFromPackedBuf(bytearray((CORPUS / seed).read_bytes()), 0)
    change(model)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def op(model):
    return model.subgraphs[0].operators[0]


def refusal(data: bytes) -> str:
    with pytest.raises(ModelError) as info:
        compile_model_bytes(data, "crafted.tflite")
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("dilation", [1 << 15, (1 << 30) + 1, (1 << 31) - 1])
def test_huge_dilation_is_refused(dilation: int) -> None:
    def change(model):
        op(model).builtinOptions.dilationWFactor = dilation

    for seed in ("op_conv.tflite", "op_depthwise.tflite"):
        assert "dilation" in refusal(edit(seed, change))


def test_largest_16_bit_dilation_is_accepted() -> None:
    def change(model):
        op(model).builtinOptions.dilationHFactor = (1 << 15) - 1

    compiled, _ = compile_model_bytes(edit("op_conv.tflite", change), "ok.tflite")
    assert compiled.layers[0].params["dilation_h"] == (1 << 15) - 1


def test_bias_that_overflows_the_accumulator_is_refused() -> None:
    def change(model):
        graph = model.subgraphs[0]
        bias = graph.tensors[op(model).inputs[2]]
        n = int(bias.shape[0])
        model.buffers[bias.buffer].data = np.full(n, (1 << 31) - 100, "<i4").view(np.uint8)

    assert "overflow the int32 accumulator" in refusal(edit("op_conv.tflite", change))


def test_tiny_output_scale_with_relu6_is_one_line() -> None:
    """A pool with RELU6 and scale 1e-45: 6/scale overflows float32 (was an OverflowError)."""
    def change(model):
        graph = model.subgraphs[0]
        for t in (*op(model).inputs, *op(model).outputs):
            graph.tensors[t].quantization.scale = [1e-45]
        op(model).builtinOptions.fusedActivationFunction = 3  # RELU6

    assert "too small" in refusal(edit("op_max_pool.tflite", change))


def test_fc_weight_zero_point_outside_int8_is_refused() -> None:
    def change(model):
        graph = model.subgraphs[0]
        graph.tensors[op(model).inputs[1]].quantization.zeroPoint = [1 << 20]

    message = refusal(edit("op_fc.tflite", change))
    assert "zero point" in message


def test_window_and_work_bounds() -> None:
    limits.check_window("op", "width", 32, 32, 3, 1, 1, 1)
    with pytest.raises(ModelError, match="spans"):
        limits.check_window("op", "width", 32, 1 << 13, 3, 1 << 12, 1, 0)
    with pytest.raises(ModelError, match="sums"):
        limits.check_sum_count("op", limits.MAX_SUM_COUNT + 1)
    limits.check_sum_count("op", limits.MAX_SUM_COUNT)
    with pytest.raises(ModelError, match="arena"):
        limits.check_arena(limits.HOST_ARENA_CAP + 1)
    with pytest.raises(ModelError, match="multiply-accumulates"):
        limits.check_work(limits.MAX_WORK + 1)
    with pytest.raises(ModelError, match="32-bit"):
        limits.check_int32("op", {"conv": {"pad_h": 1 << 31}})
    limits.check_int32("op", {"conv": {"pad_h": (1 << 31) - 1}, "dims": [(1, 2, 3, 4)]})


@pytest.mark.subprocess
def test_cli_build_refuses_a_crafted_model_and_writes_nothing(tmp_path: Path) -> None:
    def change(model):
        op(model).builtinOptions.dilationWFactor = (1 << 31) - 1

    model = tmp_path / "crafted.tflite"
    model.write_bytes(edit("op_conv.tflite", change))
    result = run_cli_subprocess("build", "--board", "mps2-an500", "--model", str(model),
                                "--out", str(tmp_path / "fw"), cwd=tmp_path)
    assert result.code == 2, result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
    assert "dilation" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crafted.tflite"]


def test_a_batch_2_model_is_refused_with_one_line() -> None:
    """The native API used to accept (7, 7, 3) rows while C copied the whole [2, 7, 7, 3]
    tensor per row, reading past the caller's buffer (issue 17)."""
    def change(model):
        graph = model.subgraphs[0]
        for t in (graph.inputs[0], graph.outputs[0]):
            graph.tensors[t].shape = [2, *list(graph.tensors[t].shape)[1:]]

    assert "batch 2" in refusal(edit("op_fc.tflite", change))


def test_softmax_rows_beyond_511_are_refused() -> None:
    limits.check_softmax_depth("op", limits.MAX_SOFTMAX_DEPTH)
    with pytest.raises(ModelError, match="at most 511"):
        limits.check_softmax_depth("op", limits.MAX_SOFTMAX_DEPTH + 1)


# --- The operators added with SOFTMAX (issue 11): crafted single-op models (crafted_models),
# each base model accepted as written, then one parameter made inconsistent or outside what
# the int8 kernels handle, refused with one line that names it.

P = 1 / 256  # SOFTMAX's and LOGISTIC's required output scale (zero point -128)
BLOCK = (1, 4, 4, 3)


def _ints(*values: int) -> np.ndarray:
    return np.asarray(values, np.int32)


BASES: dict[str, Callable[[], Crafted]] = {
    "SOFTMAX": lambda: one_op("SOFTMAX", {"input": Act((1, 10), 0.1, 3)}, Act((1, 10), P, -128),
                              ("SoftmaxOptions", {"beta": 1.0})),
    "LOGISTIC": lambda: one_op("LOGISTIC", {"input": Act(BLOCK, 0.05, 2)}, Act(BLOCK, P, -128)),
    "LEAKY_RELU": lambda: one_op("LEAKY_RELU", {"input": Act(BLOCK, 0.05, 2)},
                                 Act(BLOCK, 0.04, -10), ("LeakyReluOptions", {"alpha": 0.2})),
    "HARD_SWISH": lambda: one_op("HARD_SWISH", {"input": Act(BLOCK, 0.05, 2)},
                                 Act(BLOCK, 0.03, -20)),
    "CONCATENATION": lambda: one_op("CONCATENATION", {"input1": Act(BLOCK), "input2": "input1"},
                                    Act((1, 4, 4, 6)), ("ConcatenationOptions", {"axis": 3})),
    "STRIDED_SLICE": lambda: one_op(
        "STRIDED_SLICE", {"input": Act((1, 6, 5, 4)), "begin": Const(_ints(0, 1, 0, 0)),
                          "end": Const(_ints(1, 6, 5, 4)), "strides": Const(_ints(1, 2, 1, 1))},
        Act((1, 3, 5, 4)), ("StridedSliceOptions", {})),
    "TRANSPOSE": lambda: one_op("TRANSPOSE", {"input": Act((1, 3, 5, 4)),
                                              "perm": Const(_ints(0, 2, 1, 3))},
                                Act((1, 5, 3, 4))),
    "MUL": lambda: one_op("MUL", {"input1": Act(BLOCK, 0.05, 1), "input2": Const(
        np.arange(3, dtype=np.int8).reshape(1, 1, 1, 3), 0.03, -2)}, Act(BLOCK, 0.02, 4),
                          ("MulOptions", {})),
    "ADD": lambda: one_op("ADD", {"input1": Act(BLOCK, 0.05, 1), "input2": Const(
        np.arange(12, dtype=np.int8).reshape(1, 4, 1, 3), 0.03, -2)}, Act(BLOCK, 0.06, 4),
                          ("AddOptions", {})),
}
KERNELS = {"SOFTMAX": "te_softmax_s8", "LOGISTIC": "te_logistic_s8",
           "LEAKY_RELU": "te_leaky_relu_s8", "HARD_SWISH": "te_hard_swish_s8",
           "CONCATENATION": "te_concatenation_s8", "STRIDED_SLICE": "te_strided_slice_s8",
           "TRANSPOSE": "te_transpose_s8", "MUL": "te_mul_s8", "ADD": "te_add_broadcast_s8"}


def quant_of(role: str, scale: float | None = None, zero_point: int | None = None):
    def change(c: Crafted) -> None:
        q = c.tensor(role).quantization
        q.scale = q.scale if scale is None else [scale]
        q.zeroPoint = q.zeroPoint if zero_point is None else [zero_point]
    return change


def options(**fields: Any):
    def change(c: Crafted) -> None:
        for name, value in fields.items():
            setattr(c.options, name, value)
    return change


def shapes(**roles: tuple[int, ...]):
    def change(c: Crafted) -> None:
        for role, shape in roles.items():
            c.tensor(role).shape = list(shape)
    return change


def const(role: str, values: Any):
    return lambda c: c.set_const(role, values)


def both(*changes: Callable[[Crafted], None]):
    def change(c: Crafted) -> None:
        for one in changes:
            one(c)
    return change


# (base, change, words the one-line refusal must contain)
REFUSED = {
    "softmax_output_zero_point": ("SOFTMAX", quant_of("output", zero_point=-127),
                                  "scale 1/256 and zero point -128"),
    "softmax_output_scale": ("SOFTMAX", quant_of("output", scale=1 / 128),
                             "scale 1/256 and zero point -128"),
    "softmax_tiny_beta": ("SOFTMAX", options(beta=1e-12), "too small"),
    "softmax_negative_beta": ("SOFTMAX", options(beta=-1.0), "finite positive"),
    "softmax_infinite_beta": ("SOFTMAX", options(beta=float("inf")), "finite positive"),
    "softmax_nan_beta": ("SOFTMAX", options(beta=float("nan")), "finite positive"),
    "softmax_row_of_512": ("SOFTMAX", shapes(input=(1, 512), output=(1, 512)), "at most 511"),
    "softmax_output_shape": ("SOFTMAX", shapes(output=(1, 9)), "one shape"),
    "logistic_output_zero_point": ("LOGISTIC", quant_of("output", zero_point=0),
                                   "zero point -128"),
    "logistic_huge_input_scale": ("LOGISTIC", quant_of("input", scale=100.0), "outside"),
    "logistic_tiny_input_scale": ("LOGISTIC", quant_of("input", scale=1e-30), "outside"),
    "logistic_output_shape": ("LOGISTIC", shapes(output=(1, 4, 4, 2)), "differs"),
    "leaky_relu_alpha_above_1": ("LEAKY_RELU", options(alpha=2.0), "alpha 2.0 must lie in [0, 1]"),
    "leaky_relu_negative_alpha": ("LEAKY_RELU", options(alpha=-1.0), "must lie in [0, 1]"),
    "leaky_relu_nan_alpha": ("LEAKY_RELU", options(alpha=float("nan")), "must lie in [0, 1]"),
    "leaky_relu_scale_ratio": ("LEAKY_RELU", quant_of("output", scale=1e-12), "too large"),
    "hard_swish_tiny_output_scale": ("HARD_SWISH", quant_of("output", scale=1e-9), "outside"),
    "hard_swish_huge_input_scale": ("HARD_SWISH", quant_of("input", scale=1e6), "outside"),
    "concatenation_axis_4": ("CONCATENATION", options(axis=4), "axis 4 is out of range"),
    "concatenation_axis_minus_5": ("CONCATENATION", options(axis=-5), "out of range"),
    "concatenation_axis_int32_max": ("CONCATENATION", options(axis=(1 << 31) - 1),
                                     "out of range"),
    "concatenation_wrong_axis": ("CONCATENATION", options(axis=1), "does not fit"),
    "concatenation_fused_relu": ("CONCATENATION", options(fusedActivationFunction=1),
                                 "fused activation"),
    "concatenation_output_quant": ("CONCATENATION", quant_of("output", scale=0.1),
                                   "same scale and zero point"),
    "concatenation_output_shape": ("CONCATENATION", shapes(output=(1, 4, 4, 7)),
                                   "does not match"),
    "concatenation_1025_inputs": ("CONCATENATION",
                                  lambda c: setattr(c.op, "inputs", [0] * 1025), "1 to 1024"),
    "strided_slice_stride_0": ("STRIDED_SLICE", const("strides", [1, 0, 1, 1]),
                               "stride 0 on axis 1"),
    "strided_slice_int64_stride": ("STRIDED_SLICE",
                                   const("strides", np.asarray([1, 1 << 40, 1, 1], np.int64)),
                                   "does not fit a 32-bit integer"),
    "strided_slice_int64_begin": ("STRIDED_SLICE",
                                  const("begin", np.asarray([0, -(1 << 63), 0, 0], np.int64)),
                                  "does not fit a 32-bit integer"),
    "strided_slice_short_begin": ("STRIDED_SLICE", const("begin", [0, 1, 0]),
                                  "int vector of 4"),
    "strided_slice_int8_begin": ("STRIDED_SLICE", const("begin", np.zeros(4, np.int8)),
                                 "int vector of 4"),
    "strided_slice_selects_nothing": ("STRIDED_SLICE", const("end", [1, 1, 5, 4]),
                                      "selects nothing on axis 1"),
    "strided_slice_shrink_out_of_range": ("STRIDED_SLICE", both(
        options(shrinkAxisMask=2), const("begin", [0, 9, 0, 0])), "index 9 is out of range"),
    "strided_slice_ellipsis": ("STRIDED_SLICE", options(ellipsisMask=1), "ellipsis"),
    "strided_slice_new_axis": ("STRIDED_SLICE", options(newAxisMask=2), "new axis"),
    "strided_slice_offset": ("STRIDED_SLICE", options(offset=True), "offset"),
    "strided_slice_output_shape": ("STRIDED_SLICE", shapes(output=(1, 2, 5, 4)),
                                   "does not match"),
    "strided_slice_output_quant": ("STRIDED_SLICE", quant_of("output", zero_point=3),
                                   "same scale and zero point"),
    "transpose_repeated_axis": ("TRANSPOSE", const("perm", [0, 0, 1, 3]),
                                "perm [0, 0, 1, 3] is not a permutation"),
    "transpose_axis_7": ("TRANSPOSE", const("perm", [0, 1, 2, 7]), "not a permutation"),
    "transpose_negative_axis": ("TRANSPOSE", const("perm", [0, -1, 1, 3]), "not a permutation"),
    "transpose_short_perm": ("TRANSPOSE", const("perm", [0, 2, 1]), "int vector of 4"),
    "transpose_int64_axis": ("TRANSPOSE", const("perm", np.asarray([0, 1 << 40, 1, 3], np.int64)),
                             "does not fit a 32-bit integer"),
    "transpose_output_shape": ("TRANSPOSE", shapes(output=(1, 3, 5, 4)), "does not match"),
    "transpose_output_quant": ("TRANSPOSE", quant_of("output", scale=0.5),
                               "same scale and zero point"),
    "mul_scale_beyond_int32": ("MUL", quant_of("output", scale=1e-12), "too large"),
    "mul_operands_do_not_broadcast": ("MUL", const("input2", np.zeros((1, 1, 1, 2), np.int8)),
                                      "do not broadcast"),
    "mul_output_shape": ("MUL", shapes(output=(1, 4, 4, 1)), "do not broadcast"),
    "mul_output_zero_point": ("MUL", quant_of("output", zero_point=128), "outside int8"),
    "mul_constant_zero_point": ("MUL", quant_of("input2", zero_point=-129), "outside int8"),
    "mul_relu6_tiny_scale": ("MUL", both(options(fusedActivationFunction=3),
                                         quant_of("output", scale=1e-40)), "too small"),
    "add_operands_do_not_broadcast": ("ADD", const("input2", np.zeros((1, 3, 1, 3), np.int8)),
                                      "do not broadcast"),
    "add_output_scale_beyond_one": ("ADD", quant_of("output", scale=1e-12), "must lie in (0, 1)"),
    "add_constant_zero_point": ("ADD", quant_of("input2", zero_point=300), "outside int8"),
}


@pytest.mark.parametrize("base", list(BASES))
def test_crafted_base_model_is_accepted(base: str) -> None:
    """The control: each model the refusals below start from compiles as written."""
    compiled, _ = compile_model_bytes(pack(BASES[base]()), f"{base}.tflite")
    assert [layer.kernel for layer in compiled.layers] == [KERNELS[base]]


@pytest.mark.parametrize("case", list(REFUSED))
def test_crafted_new_op_parameters_are_refused_with_one_line(case: str) -> None:
    base, change, words = REFUSED[case]
    message = refusal(crafted(BASES[base], change))
    assert words in message, message
