"""The cortexm_dsp kernels on the emulated Cortex-M7 (QEMU mps2-an500) and Cortex-M4
(mps2-an386), built with the board's -mcpu so the real DSP instructions run: every case of
the shared kernel table, and whole zoo models, byte for byte equal to the TFLite Micro
interpreter. Each board runs one suite image holding all cases (tinyedge.firmware.suite),
so the whole table costs two emulator boots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.firmware_models import build_op_model, case_inputs, random_inputs, tflm_outputs
from helpers.kernel_cases import CASES

from tinyedge.firmware.suite import SuiteCase, build_suite, run_suite

pytestmark = [
    pytest.mark.tools("qemu-system-arm", "arm-none-eabi-gcc"),
    pytest.mark.cross,
    pytest.mark.qemu,
    pytest.mark.tensorflow,
]

BOARDS = {"cortex-m7": "mps2-an500", "cortex-m4": "mps2-an386"}
ZOO = [("scalecnn", 4), ("scalecnn", 8), ("scalecnn", 16),
       ("mobilenetv2", 0.10), ("mobilenetv2", 0.35), ("mobilenetv2", 0.50)]


@pytest.fixture(scope="module")
def op_suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[SuiteCase], list]:
    """Every case's model, its inputs (20 random + the extremes; float edges: + rounding
    ties and out-of-range values) and TFLM's outputs as raw bytes."""
    folder = tmp_path_factory.mktemp("op_models_device")
    cases, expected = [], []
    for case in CASES:
        path = build_op_model(case, folder / f"{case.name}.tflite")
        inputs = case_inputs(case, path, 20, seed=3)
        cases.append(SuiteCase(path, inputs.reshape(len(inputs), -1)))
        want = tflm_outputs(path, inputs)
        expected.append(want.view(np.int8).reshape(len(want), -1))  # the suite's raw bytes
    return cases, expected


@pytest.mark.parametrize("core", list(BOARDS))
def test_dsp_kernels_bit_exact_on_emulated_core(op_suite, tmp_path: Path, core: str) -> None:
    cases, expected = op_suite
    board = BOARDS[core]
    elf = build_suite(board, cases, tmp_path, "cortexm_dsp")
    results = run_suite(board, elf, len(cases))
    for case, want, got in zip(CASES, expected, results, strict=True):
        diff = np.argwhere(got.outputs != want)
        assert got.outputs.shape == want.shape, case.name
        assert diff.size == 0, f"{case.name} on {core}: {len(diff)} bytes differ, first {diff[:5]}"
        assert len(set(got.instructions)) >= 1 and min(got.instructions) > 0


@pytest.mark.slow
@pytest.mark.parametrize("core", list(BOARDS))
def test_zoo_models_bit_exact_on_emulated_core(zoo_int8, tmp_path: Path, core: str) -> None:
    """ScaleCNN c=4, 8, 16 and MobileNetV2 m=0.10, 0.35, 0.50 (untrained, 10 classes, as
    exported by tinyedge.export), 24 inputs each, in one image per core."""
    cases, expected = [], []
    for arch, width in ZOO:
        path = zoo_int8(arch, width)
        inputs = random_inputs((1, 32, 32, 3), 22, seed=5)
        cases.append(SuiteCase(path, inputs.reshape(len(inputs), -1)))
        expected.append(tflm_outputs(path, inputs))
    board = BOARDS[core]
    results = run_suite(board, build_suite(board, cases, tmp_path, "cortexm_dsp"), len(cases))
    for (arch, width), want, got in zip(ZOO, expected, results, strict=True):
        np.testing.assert_array_equal(got.outputs, want, err_msg=f"{arch} {width} on {core}")


# The MLPerf Tiny reference models with their published class counts (2 synthetic labels for
# the autoencoder, which reconstructs its 1×640 input).
MLPERF = [("resnet8", 16, 10), ("dscnn", 64, 12), ("mobilenetv1", 0.25, 2),
          ("fcautoencoder", 128, 2)]


@pytest.mark.slow
@pytest.mark.parametrize("core", list(BOARDS))
def test_mlperf_tiny_models_bit_exact_on_emulated_core(zoo_int8, tmp_path: Path,
                                                       core: str) -> None:
    """ResNet-8, DS-CNN, MobileNetV1 0.25 and the FC autoencoder (untrained, exported by
    tinyedge.export on synthetic inputs of their shapes), 6 inputs each, in one image."""
    from tinyedge.int8 import check_int8_model

    cases, expected = [], []
    for arch, width, classes in MLPERF:
        path = zoo_int8(arch, width, classes)
        inputs = random_inputs(check_int8_model(path).input_shape, 4, seed=7)
        cases.append(SuiteCase(path, inputs.reshape(len(inputs), -1)))
        expected.append(tflm_outputs(path, inputs))
    board = BOARDS[core]
    results = run_suite(board, build_suite(board, cases, tmp_path, "cortexm_dsp"), len(cases))
    for (arch, _, _), want, got in zip(MLPERF, expected, results, strict=True):
        np.testing.assert_array_equal(got.outputs, want, err_msg=f"{arch} on {core}")
        assert min(got.instructions) > 0
