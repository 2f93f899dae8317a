"""Crafted models the validator must refuse with one line before any C is generated
(issue 10's reproductions), and the pure limit checks themselves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import flatbuffers
import numpy as np
import pytest
from helpers.cli import run_cli_subprocess

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
