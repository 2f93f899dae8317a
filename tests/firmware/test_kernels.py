"""Every kernel, both implementations, bit-exact with the TFLite Micro interpreter on
randomized single-op int8 models (one table of cases, one helper)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from firmware_models import OpCase, build_op_model, random_inputs, tflm_outputs

from tinyedge.firmware.host import build_native

CASES = [
    OpCase("conv3x3_same_relu", "conv", (1, 9, 9, 3), {"filters": 5, "act": "relu"}),
    OpCase("conv3x3_valid_s2", "conv", (1, 10, 11, 4), {"filters": 6, "stride": 2,
                                                        "padding": "VALID"}),
    OpCase("conv5x5_same_s2_relu6", "conv", (1, 9, 8, 2), {"filters": 4, "k": 5, "stride": 2,
                                                           "act": "relu6"}),
    OpCase("conv1x1_wide", "conv", (1, 4, 4, 24), {"filters": 16, "k": 1}),
    OpCase("conv3x3_dilated", "conv", (1, 9, 9, 3), {"filters": 4, "dilation": 2}),
    OpCase("dw3x3_same_relu6", "depthwise", (1, 8, 8, 6), {"act": "relu6"}),
    OpCase("dw3x3_valid_s2", "depthwise", (1, 9, 9, 5), {"stride": 2, "padding": "VALID"}),
    OpCase("dw3x3_mult2", "depthwise", (1, 7, 7, 3), {"mult": 2, "stride": 2}),
    OpCase("fc", "fc", (1, 17), {"units": 7}),
    OpCase("fc_relu", "fc", (1, 40), {"units": 12, "act": "relu"}),
    OpCase("max_pool_2x2", "max_pool", (1, 8, 8, 3), {}),
    OpCase("max_pool_3x3_same", "max_pool", (1, 7, 7, 4), {"k": 3, "stride": 2,
                                                          "padding": "SAME"}),
    OpCase("avg_pool_2x2", "avg_pool", (1, 6, 6, 3), {}),
    OpCase("avg_pool_3x3_same", "avg_pool", (1, 7, 7, 3), {"k": 3, "stride": 2,
                                                          "padding": "SAME"}),
    OpCase("mean_hw_keep", "mean", (1, 5, 6, 7), {"keep": True}),
    OpCase("mean_hw_drop", "mean", (1, 4, 4, 9), {"keep": False}),
    OpCase("mean_w", "mean", (1, 3, 5, 4), {"keep": True, "axis": [2]}),
    OpCase("add", "add", (1, 6, 6, 4), {}),
    OpCase("add_relu", "add", (1, 5, 5, 3), {"act": "relu"}),
    OpCase("pad", "pad", (1, 5, 5, 3), {"pads": [[0, 0], [1, 2], [0, 1], [0, 0]]}),
    OpCase("reshape", "reshape", (1, 3, 3, 2), {}),
]

# The TFLite op each case is there to exercise.
EXPECTED_OP = {
    "conv": "CONV_2D", "depthwise": "DEPTHWISE_CONV_2D", "fc": "FULLY_CONNECTED",
    "max_pool": "MAX_POOL_2D", "avg_pool": "AVERAGE_POOL_2D", "mean": "MEAN", "add": "ADD",
    "pad": "PAD", "reshape": "RESHAPE",
}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("op_models")


@pytest.mark.parametrize("variant", ["reference", "host_simd", "cortexm_dsp"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_kernel_bit_exact_with_tflite_micro(
    case: OpCase, variant: str, model_dir: Path, native_cache: Path
) -> None:
    path = model_dir / f"{case.name}.tflite"
    if not path.exists():  # both variants share one converted model
        build_op_model(case, path)
    native = build_native(path, native_cache, variant)
    ops = {layer.op for layer in native.compiled.layers}
    assert EXPECTED_OP[case.op] in ops, f"converter produced {ops}"
    inputs = random_inputs(case.shape, 48)
    expected = tflm_outputs(path, inputs)
    got = native.run(inputs)
    mismatches = np.argwhere(got != expected)
    assert mismatches.size == 0, f"{len(mismatches)} outputs differ, first at {mismatches[:5]}"


def test_mean_with_equal_input_and_output_quantization(model_dir: Path,
                                                       native_cache: Path) -> None:
    """Some TFLM versions take another code path when MEAN keeps its input's scale and zero
    point; the converter never emits that, so craft it and check against the interpreter."""
    import flatbuffers

    from tinyedge.firmware.tflite_reader import schema

    case = OpCase("mean_same_quant", "mean", (1, 5, 6, 7), {"keep": True})
    model = schema().ModelT.InitFromPackedBuf(
        bytearray(build_op_model(case, model_dir / "mean_src.tflite").read_bytes()), 0)
    graph = model.subgraphs[0]
    (op,) = graph.operators
    source, target = (graph.tensors[op.inputs[0]].quantization,
                      graph.tensors[op.outputs[0]].quantization)
    target.scale, target.zeroPoint = list(source.scale), list(source.zeroPoint)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path = model_dir / "mean_same_quant.tflite"
    path.write_bytes(bytes(builder.Output()))
    inputs = random_inputs(case.shape, 48)
    for variant in ("reference", "host_simd", "cortexm_dsp"):
        got = build_native(path, native_cache, variant).run(inputs)
        assert (got == tflm_outputs(path, inputs)).all()
