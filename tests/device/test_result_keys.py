"""Issue 12's reproduction: evaluate a model on the emulated board, re-export the same
variant from another checkpoint into the same folder, evaluate again. The second run must
not reuse the first model's results: it moves the old log aside, runs afresh and equals
TFLite Micro on the new model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers.firmware_models import tflm_outputs

from tinyedge.device import evaluate as evaluate_module
from tinyedge.device.evaluate import evaluate_on_device
from tinyedge.device.target import device_target
from tinyedge.export.untrained import export_untrained
from tinyedge.models import resolve
from tinyedge.progress import SilentProgress
from tinyedge.records import load_record

pytestmark = [
    pytest.mark.tools("qemu-system-arm", "arm-none-eabi-gcc"),
    pytest.mark.cross,
    pytest.mark.qemu,
    pytest.mark.tensorflow,
]

N = 6


class Messages(SilentProgress):
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.totals: list[int | None] = []  # of every progress bar shown

    def message(self, text: str) -> None:
        self.lines.append(text)

    def task(self, total, desc, unit="it"):
        self.totals.append(total)
        return super().task(total, desc, unit)


def expected_logits(model: Path) -> np.ndarray:
    from tinyedge.data import load_dataset
    from tinyedge.int8 import check_int8_model, export_info, quantize_images

    manifest, sig = export_info(model), check_int8_model(model)
    images, _ = load_dataset(manifest["inputs"]["dataset"]).split("test")
    norm = manifest["parameters"]["normalization"]
    x = quantize_images(images[:N], norm["mean"], norm["std"], sig.input_scale,
                        sig.input_zero_point)
    return tflm_outputs(model, x)


@pytest.mark.slow
def test_a_re_export_never_reuses_the_old_models_results(tmp_path: Path,
                                                          monkeypatch) -> None:
    spec = resolve("scalecnn", 4)
    first = export_untrained(spec, tmp_path / "a", seed=0).tflite
    second = export_untrained(spec, tmp_path / "b", seed=1).tflite
    variant = tmp_path / "export" / "scalecnn-w4-s0"
    shutil.copytree(first.parent, variant)
    model = variant / "model_int8.tflite"
    out = tmp_path / "results" / "device-mps2-an500-qemu"

    def evaluate(progress, limit=N):
        target = device_target("mps2-an500", model, build_root=tmp_path / "build")
        return evaluate_on_device(model, target, out, limit=limit, progress=progress)

    evaluate(SilentProgress())
    old_expected = expected_logits(model)
    np.testing.assert_array_equal(load_record(out).logits, old_expected)
    # re-export in place from another checkpoint
    for name in ("model_int8.tflite", "manifest.json"):
        shutil.copyfile(second.parent / name, variant / name)
    progress = Messages()
    evaluate(progress)
    # The old model's whole record (its log included) is moved aside, never overwritten.
    assert any("held the record of another model; moved it to" in line
               for line in progress.lines), progress.lines
    (kept,) = out.parent.glob(f".{out.name}-*")
    np.testing.assert_array_equal(load_record(kept).logits, old_expected)
    assert (kept / "device_results.jsonl").is_file(), "the old log must be kept"
    new_expected = expected_logits(model)
    assert not np.array_equal(new_expected, old_expected), "the two exports must differ"
    np.testing.assert_array_equal(load_record(out).logits, new_expected)
    # A third run with every key equal resumes: nothing runs, not even the emulator.
    progress = Messages()
    evaluate(progress)
    assert not any("running" in line or "moved" in line for line in progress.lines)
    assert progress.totals == []  # no progress bar for nothing
    # Fewer images than are on disk (--limit 3 with 6 results): nothing runs and no
    # emulator boots, since the profile is on disk too.
    def no_boot(*args, **kwargs):
        raise AssertionError("QEMU booted with nothing to run")

    monkeypatch.setattr(evaluate_module, "QemuProcess", no_boot)
    progress = Messages()
    assert evaluate(progress, limit=3)["n"] == 3
    assert progress.totals == [] and not progress.lines
    # Two more than on disk: the bar counts the two that run, not the eight.
    monkeypatch.undo()
    progress = Messages()
    assert evaluate(progress, limit=N + 2)["n"] == N + 2
    assert progress.totals == [2]
    assert progress.lines == [f"{N} of {N + 2} results already on disk; running 2"]
