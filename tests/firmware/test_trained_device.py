"""Trained weights on the emulated cores: ScaleCNN c=8 and MobileNetV2 m=0.35 trained
briefly on the bundled digits, exported through tinyedge's own pipeline, run with the
Cortex-M DSP kernels on real test images — byte for byte equal to TFLite Micro, and
accurate (so the weights are really trained, not random)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.firmware_models import tflm_outputs

from tinyedge.data import load_dataset
from tinyedge.export import export_model
from tinyedge.firmware.suite import SuiteCase, build_suite, run_suite
from tinyedge.int8 import check_int8_model, quantize_images
from tinyedge.models import resolve
from tinyedge.train import TrainConfig, train

pytestmark = [
    pytest.mark.tools("qemu-system-arm", "arm-none-eabi-gcc"),
    pytest.mark.cross,
    pytest.mark.qemu,
]

MODELS = [("scalecnn", 8, 4), ("mobilenetv2", 0.35, 3)]  # arch, width, epochs
N = 60


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path, np.ndarray,
                                                                    np.ndarray]]:
    root = tmp_path_factory.mktemp("trained")
    dataset = load_dataset("digits")
    images, labels = dataset.split("test")
    out = []
    for arch, width, epochs in MODELS:
        config = TrainConfig(arch=arch, width=width, dataset="digits", epochs=epochs,
                             lr=0.05, batch_size=64)
        run = train(config, dataset, root / "runs")
        result = export_model(resolve(arch, width), run.checkpoint, root / "export",
                              dataset=dataset, calib_samples=100, verify_samples=20)
        sig = check_int8_model(result.tflite)
        norm = result.manifest["parameters"]["normalization"]
        x = quantize_images(images[:N], norm["mean"], norm["std"], sig.input_scale,
                            sig.input_zero_point)
        out.append((f"{arch}-{width}", result.tflite, x, labels[:N]))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("board", ["mps2-an500", "mps2-an386"])
def test_trained_models_on_the_dsp_kernels_equal_tflite_micro(trained, tmp_path: Path,
                                                              board: str) -> None:
    cases = [SuiteCase(path, x.reshape(len(x), -1)) for _, path, x, _ in trained]
    results = run_suite(board, build_suite(board, cases, tmp_path, "cortexm_dsp"), len(cases))
    for (name, path, x, labels), got in zip(trained, results, strict=True):
        want = tflm_outputs(path, x)
        np.testing.assert_array_equal(got.outputs, want, err_msg=f"{name} on {board}")
        accuracy = float((want.argmax(axis=1) == labels).mean())
        assert accuracy > 0.5, f"{name} is not trained (top-1 {accuracy:.2f} on digits)"
