"""Every kernel, every variant (reference, host_simd, cortexm_dsp built for the host),
bit-exact with the TFLite Micro interpreter on randomized single-op int8 models (one table
of cases, one helper)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from firmware_models import (
    OpCase,
    build_op_model,
    byte_mismatches,
    case_inputs,
    random_inputs,
    tflm_outputs,
)
from kernel_cases import CASES, EXPECTED_OP

from tinyedge.firmware.host import build_native

# Host builds under test: (kernel variant, extra compiler flags). host_simd-portable forces
# the host_simd kernels' portable C loops on a host whose -march=native would take the
# AVX-512 VNNI path, so both paths of that variant are checked wherever the tests run.
BUILDS = {
    "reference": ("reference", ("-march=native",)),
    "host_simd": ("host_simd", ("-march=native",)),
    "host_simd-portable": ("host_simd", ("-march=native", "-DTE_HOST_PORTABLE")),
    "cortexm_dsp": ("cortexm_dsp", ("-march=native",)),
}


def build(path: Path, cache: Path, name: str):
    variant, flags = BUILDS[name]
    native = build_native(path, cache, variant, extra_flags=flags)
    if name == "host_simd-portable":
        assert not native.vector_path
    return native


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("op_models")


@pytest.mark.parametrize("variant", list(BUILDS))
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_kernel_bit_exact_with_tflite_micro(
    case: OpCase, variant: str, model_dir: Path, native_cache: Path
) -> None:
    path = model_dir / f"{case.name}.tflite"
    if not path.exists():  # every variant shares one converted model
        build_op_model(case, path)
    native = build(path, native_cache, variant)
    ops = {layer.op for layer in native.compiled.layers}
    assert EXPECTED_OP[case.op] in ops, f"converter produced {ops}"
    if case.opts.get("io") == "float":
        assert {"QUANTIZE", "DEQUANTIZE"} <= ops, f"converter produced {ops}"
    inputs = case_inputs(case, path, 48)
    expected = tflm_outputs(path, inputs)
    got = native.run(inputs)
    mismatches = byte_mismatches(got, expected)
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
    for variant in BUILDS:
        got = build(path, native_cache, variant).run(inputs)
        assert (got == tflm_outputs(path, inputs)).all()


def test_float_edge_saturates_where_tflite_micro_is_undefined(model_dir: Path,
                                                              native_cache: Path) -> None:
    """TFLite Micro converts x / scale to int32 unchecked (undefined for NaN and beyond
    int32); tinyedge's QUANTIZE saturates there: NaN reads as 0 (the zero point), ±inf and
    ±1e30 as the ends of the int8 range — the same outputs as 0 and ±10⁶·scale."""
    case = next(c for c in CASES if c.name == "conv_float_io")
    path = model_dir / f"{case.name}.tflite"
    if not path.exists():
        build_op_model(case, path)
    item = case.shape[1:]

    def full(value: float) -> np.ndarray:
        return np.full(item, value, np.float32)

    scale = float(build(path, native_cache, "reference").compiled.layers[0].params["scale"]
                  .value)
    undefined = np.stack([full(np.nan), full(np.inf), full(-np.inf), full(1e30), full(-1e30)])
    defined = np.stack([full(0.0), full(1e6 * scale), full(-1e6 * scale), full(1e6 * scale),
                        full(-1e6 * scale)])
    for variant in BUILDS:
        native = build(path, native_cache, variant)
        got, want = native.run(undefined), native.run(defined)
        assert byte_mismatches(got, want).size == 0, variant
    np.testing.assert_array_equal(tflm_outputs(path, defined), want)  # the defined side
