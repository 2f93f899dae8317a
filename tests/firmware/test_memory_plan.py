"""memory.json's layer table and arena plan (tinyedge.firmware.memory_plan) on real zoo
models: MACs agree with the zoo's count, and the recorded plan is a valid one."""

from __future__ import annotations

import pytest

from tinyedge.firmware.compiler import compile_graph
from tinyedge.firmware.memory_plan import plan_report
from tinyedge.firmware.tflite_reader import read_model
from tinyedge.models import build_model, count_macs, resolve

pytestmark = [pytest.mark.tensorflow]


@pytest.mark.parametrize(("arch", "width"), [("scalecnn", 4), ("mobilenetv2", 0.10)])
def test_layer_macs_sum_to_the_zoo_count(zoo_int8, arch: str, width: float) -> None:
    report = plan_report(compile_graph(read_model(zoo_int8(arch, width)),
                                       variant="cortexm_dsp"))
    layers = report["layers"]
    assert [layer["index"] for layer in layers] == list(range(len(layers)))
    assert sum(layer["macs"] for layer in layers) == count_macs(
        build_model(resolve(arch, width), 10))
    first_conv = layers[0]
    assert first_conv["op"] == "CONV_2D" and first_conv["input_shape"] == [1, 32, 32, 3]
    assert all(layer["macs"] == 0 for layer in layers
               if layer["op"] in ("MAX_POOL_2D", "MEAN", "ADD", "PAD", "RESHAPE"))


def test_recorded_arena_plan_is_valid(zoo_int8) -> None:
    report = plan_report(compile_graph(read_model(zoo_int8("scalecnn", 4)),
                                       variant="cortexm_dsp"))
    arena = report["arena"]
    buffers = arena["buffers"]
    assert {b["kind"] for b in buffers} == {"tensor", "scratch"}
    assert max(b["offset"] + b["bytes"] for b in buffers) <= arena["bytes"]
    for i, a in enumerate(buffers):
        for b in buffers[i + 1:]:
            if a["first"] <= b["last"] and b["first"] <= a["last"]:  # live together
                assert (a["offset"] + a["bytes"] <= b["offset"]
                        or b["offset"] + b["bytes"] <= a["offset"]), (a, b)
