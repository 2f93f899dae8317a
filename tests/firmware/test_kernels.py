"""Every kernel, every variant (reference, host_simd, cortexm_dsp built for the host),
bit-exact with the TFLite Micro interpreter on randomized single-op int8 models (one table
of cases, one helper)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.firmware_models import (
    OpCase,
    build_op_model,
    byte_mismatches,
    case_inputs,
    random_inputs,
    tflm_outputs,
)
from helpers.kernel_cases import CASES, EXPECTED_OP

from tinyedge.firmware.host import build_native

pytestmark = [pytest.mark.tensorflow]

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


def _crafted_sub(path: Path) -> Path:
    """SUB of every int8 value of the input (1×256×1) and of a constant (the 256 values):
    all 65,536 operand pairs, with scales and zero points for which multipliers formed in
    double precision (ADD's, quant.add_multipliers) and in single precision (as some TFLite
    Micro sources write SUB's) give different output bytes."""
    from helpers.crafted_models import Act, Const, one_op, pack

    every = np.arange(-128, 128).astype(np.int8)
    model = one_op("SUB", {"input": Act((1, 256, 1), 0.03097819723188877, -12),
                           "other": Const(every, 0.133976012468338, 3)},
                   Act((1, 256, 256), 0.03821885958313942, -2), ("SubOptions", {}))
    path.write_bytes(pack(model))
    return path


def _single_precision_multipliers(scale1: float, scale2: float, output_scale: float,
                                  left_shift: int = 20) -> dict[str, int]:
    """ADD's constants with every ratio a float32 result (twice the larger scale, each
    quotient, the output product): what the TFLite Micro interpreter does NOT do."""
    from tinyedge.firmware import quant

    s1, s2, so = np.float32(scale1), np.float32(scale2), np.float32(output_scale)
    twice = np.float32(2.0) * max(s1, s2)
    pairs = [quant.quantize_multiplier_smaller_than_one(float(r)) for r in
             (s1 / twice, s2 / twice, twice / (np.float32(1 << left_shift) * so))]
    return {"left_shift": left_shift, "input1_multiplier": pairs[0][0],
            "input1_shift": pairs[0][1], "input2_multiplier": pairs[1][0],
            "input2_shift": pairs[1][1], "output_multiplier": pairs[2][0],
            "output_shift": pairs[2][1]}


def test_sub_multipliers_as_the_tflite_micro_interpreter(
        model_dir: Path, native_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SUB takes ADD's multipliers (double precision): bit-exact on all 65,536 operand
    pairs for every variant, where single-precision ones differ."""
    from tinyedge.firmware import quant
    from tinyedge.int8 import run_int8

    path = _crafted_sub(model_dir / "sub_every_pair.tflite")
    inputs = np.arange(-128, 128).astype(np.int8).reshape(1, 256, 1)
    expected = run_int8(path, inputs, "tflm").reshape(1, -1)  # TFLM with an arena that fits
    for variant in BUILDS:
        assert byte_mismatches(build(path, native_cache, variant).run(inputs),
                               expected).size == 0, variant
    # the case can fail: single-precision multipliers differ from TFLite Micro here
    monkeypatch.setattr(quant, "add_multipliers", _single_precision_multipliers)
    wrong = build(path, native_cache, "reference").run(inputs)
    assert byte_mismatches(wrong, expected).size > 0


def test_resize_nearest_indices_as_tflite_micro(model_dir: Path) -> None:
    """quant.nearest_indices against TFLite Micro itself: a one-column input holding its
    own row numbers, resized along its height, returns the rows TFLite Micro picks — for
    plain, align_corners and half-pixel sampling, input sizes 1 to 31, up and down."""
    from helpers.crafted_models import Act, Const, one_op, pack

    from tinyedge.firmware.quant import nearest_indices

    checked = 0
    for align, half in ((False, False), (True, False), (False, True)):
        for size in (1, 2, 3, 5, 7, 10, 13, 17, 31):
            for out in (1, 2, 3, 4, 6, 9, 11, 16, 25, 40):
                model = one_op("RESIZE_NEAREST_NEIGHBOR",
                               {"input": Act((1, size, 1, 1), 1.0, 0),
                                "size": Const(np.asarray([out, 1], np.int32))},
                               Act((1, out, 1, 1), 1.0, 0),
                               ("ResizeNearestNeighborOptions",
                                {"alignCorners": align, "halfPixelCenters": half}))
                path = model_dir / "resize_rows.tflite"
                path.write_bytes(pack(model))
                rows = tflm_outputs(path, np.arange(size, dtype=np.int8).reshape(1, size, 1, 1))
                assert rows.reshape(-1).tolist() == nearest_indices(size, out, align, half), \
                    (size, out, align, half)
                checked += 1
    assert checked == 270
