"""Accepted mutants run identically on the emulated Cortex-M4 and M7 (default kernel
variant of each board) and on the host: the device must never differ from the native
build (which the model fuzzer holds equal to TFLite Micro). Many mutants share one
emulator image (tinyedge.firmware.suite)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.fuzzlib import corpus, fuzz_inputs, mutate

from tinyedge.errors import ModelError
from tinyedge.firmware.host import build_native, compile_model_bytes
from tinyedge.firmware.suite import SuiteCase, build_suite, run_suite

ACCEPTED = 20

pytestmark = [
    pytest.mark.tools("qemu-system-arm", "arm-none-eabi-gcc"),
    pytest.mark.cross,
    pytest.mark.qemu,
]


def accepted_mutants(folder: Path) -> list[Path]:
    rng = np.random.default_rng(7)
    seeds = [p for p in corpus() if p.stat().st_size < 100_000]
    found: list[Path] = []
    for i in range(2000):
        data, _ = mutate(seeds[i % len(seeds)].read_bytes(), rng)
        try:
            compiled, _ = compile_model_bytes(data, "mutant.tflite")
        except ModelError:
            continue
        if compiled.arena_size > 256 * 1024 or data in {p.read_bytes() for p in found}:
            continue
        path = folder / f"mutant{len(found)}.tflite"
        path.write_bytes(data)
        found.append(path)
        if len(found) == ACCEPTED:
            break
    return found


@pytest.fixture(scope="module")
def native_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("native")


@pytest.mark.slow
@pytest.mark.parametrize("board", ["mps2-an500", "mps2-an386"])
def test_accepted_mutants_equal_native_on_the_device(board: str, tmp_path: Path,
                                                     native_cache: Path) -> None:
    mutants = accepted_mutants(tmp_path)
    assert len(mutants) == ACCEPTED
    rng = np.random.default_rng(1)
    cases, expected = [], []
    for path in mutants:
        native = build_native(path, native_cache)
        inputs = fuzz_inputs(native.compiled, 2, rng)
        cases.append(SuiteCase(path, inputs))
        want = native.run(inputs.reshape(2, *native.compiled.input.shape[1:]))
        expected.append(want.view(np.int8).reshape(2, -1))  # the suite's raw bytes
    elf = build_suite(board, cases, tmp_path / "suite")
    results = run_suite(board, elf, len(cases))
    for path, want, got in zip(mutants, expected, results, strict=True):
        assert np.array_equal(got.outputs, want), f"{path.name}: device differs from native"
