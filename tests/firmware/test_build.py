"""Firmware builds with the real cross compiler, checked against the ELF, and booted in real
QEMU: the device's output bytes equal TFLite Micro's for the same input."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from helpers.firmware_models import OpCase, build_op_model, tflm_outputs

from tinyedge.boards import load_board
from tinyedge.firmware.build import CODE_BUDGET_BYTES, FitError, build_firmware, format_bytes
from tinyedge.firmware.host import compile_model
from tinyedge.firmware.smoke import run_smoke

pytestmark = [pytest.mark.cross, pytest.mark.qemu, pytest.mark.tensorflow]

QEMU_TIMEOUT_S = 60


def readelf_sections(elf: Path) -> dict[str, tuple[int, int]]:
    """name -> (address, size) from ``arm-none-eabi-readelf -S -W``."""
    out = subprocess.run(["arm-none-eabi-readelf", "-S", "-W", str(elf)], capture_output=True,
                         text=True, check=True).stdout
    sections = {}
    for m in re.finditer(r"\]\s+(\.\S+)\s+\S+\s+([0-9a-f]{8})\s+[0-9a-f]+\s+([0-9a-f]+)", out):
        sections[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16))
    return sections


def readelf_attributes(elf: Path) -> str:
    return subprocess.run(["arm-none-eabi-readelf", "-A", str(elf)], capture_output=True,
                          text=True, check=True).stdout


# (board, FP architecture readelf -A reports): Cortex-M7 single-precision FPv5, Cortex-M4F
CORES = [("nucleo-f746", "FPv5/FP-D16 for ARMv8"), ("nucleo-l4r5zi", "VFPv4-D16")]


@pytest.mark.parametrize(("board_name", "fp"), CORES, ids=[c[0] for c in CORES])
def test_board_build_memory_json_matches_the_elf(zoo_int8, tmp_path: Path, board_name: str,
                                                 fp: str) -> None:
    model = zoo_int8("mobilenetv2", 0.10)
    board = load_board(board_name)
    result = build_firmware(board_name, model, tmp_path / "out")
    # The default app is the serial protocol firmware, with its generated build_info.c and
    # the generated headers it was compiled with (board, protocol, kernel geometry).
    assert {p.name for p in result.out_dir.iterdir()} == {
        "build_info.c", "firmware.bin", "firmware.elf", "firmware.map", "linker.ld",
        "memory.json", "model.c", "model.h", "te_board_gen.h", "te_kernel_gen.h",
        "te_protocol_gen.h"}
    attrs = readelf_attributes(result.elf)
    assert "Tag_CPU_arch: v7E-M" in attrs and f"Tag_FP_arch: {fp}" in attrs
    assert "Tag_ABI_HardFP_use: SP only" in attrs and "Tag_ABI_VFP_args: VFP registers" in attrs

    sec = readelf_sections(result.elf)
    memory = json.loads(result.memory_json.read_text())
    m = board.memory
    flash_code = sec[".text"][1] + sec.get(".ARM.exidx", (0, 0))[1] + sec[".data"][1]
    assert memory["flash"] == {"limit": m.flash_bytes, "code": flash_code,
                               "weights": sec[".te_weights"][1],
                               "used": flash_code + sec[".te_weights"][1]}
    assert memory["ram"]["arena"] == sec[".te_arena"][1]
    assert memory["ram"]["static"] == sec[".data"][1] + sec[".bss"][1]
    assert memory["ram"]["stack"] == sec[".stack"][1] == m.stack_bytes
    assert memory["ram"]["limit"] == m.ram_bytes

    # Weights are really the model's const data, the arena is the compiled plan.
    compiled, _ = compile_model(model)
    consts = sum(a.nbytes for layer in compiled.layers for a in layer.consts.values())
    assert consts <= memory["flash"]["weights"] < consts + 4096 * len(compiled.layers)
    assert memory["ram"]["arena"] == (compiled.arena_size + 15) // 16 * 16
    # The layer table (in profile order) and the arena plan the report draws.
    assert [layer["op"] for layer in memory["layers"]] == [layer.op for layer in compiled.layers]
    assert memory["arena"]["bytes"] == memory["ram"]["arena"]
    assert max(b["offset"] + b["bytes"] for b in memory["arena"]["buffers"]) <= \
        memory["arena"]["bytes"]
    # Placement: code and weights in the board's flash, stack then arena in its RAM.
    assert sec[".text"][0] == m.flash_origin
    assert sec[".te_weights"][0] + sec[".te_weights"][1] <= m.flash_origin + m.flash_bytes
    assert sec[".stack"][0] == m.ram_origin
    assert sec[".te_arena"][0] + sec[".te_arena"][1] <= m.ram_origin + m.ram_bytes
    # The raw image covers code, weights and the .data load image.
    assert result.bin.stat().st_size >= memory["flash"]["used"]
    # The estimate used by the fit check is conservative.
    assert memory["estimate"]["flash"]["used"] >= memory["flash"]["used"]
    assert memory["estimate"]["ram"]["used"] >= memory["ram"]["used"]


@pytest.fixture(scope="session")
def big_fc_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A crafted model with 1.1 M int8 weights: more than nucleo-f746's 1 MB of flash."""
    path = tmp_path_factory.mktemp("big") / "big_fc.tflite"
    return build_op_model(OpCase("big_fc", "fc", (1, 1024), {"units": 1100}), path)


def test_too_large_model_is_refused_before_compiling(big_fc_model: Path, tmp_path: Path,
                                                     run_cli, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the default out folder would be ./build/...
    monkeypatch.setenv("PATH", "/nonexistent")  # proves no compiler runs: none is reachable
    result = run_cli("build", "--board", "nucleo-f746", "--model", str(big_fc_model))
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    weights = 1024 * 1100
    assert lines[0].startswith(
        f"tinyedge: error: big_fc needs {format_bytes(weights + CODE_BUDGET_BYTES)}")
    assert "flash (weights 1.1 MB + code 40 KB), nucleo-f746 has 1 MB;" in lines[0]
    assert "pick a smaller width or a board with more flash" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_ram_overflow_is_refused_with_the_arena_size(tmp_path: Path) -> None:
    # 64x64x32 int8 input + output = 256 KB of arena, more than netduinoplus2's 128 KB.
    model = build_op_model(OpCase("wide", "conv", (1, 64, 64, 32), {"filters": 32, "k": 1}),
                           tmp_path / "wide.tflite")
    # Static RAM: 2 KB budget + the protocol app's frame receiver (4,100-byte largest request
    # + 32 B of decoder state, tinyedge.protocol), its copy of the 128 KB input and the
    # one-layer profile reply (12 B) = 137,264 B = 134 KB.
    with pytest.raises(FitError, match=r"wide needs 398 KB RAM \(arena 256 KB \+ static "
                                       r"134 KB \+ stack 8 KB\), netduinoplus2 has 128 KB"):
        build_firmware("netduinoplus2", model, tmp_path / "out")
    assert not (tmp_path / "out").exists()


QEMU_CASES = [("mps2-an500", "scalecnn", 4), ("mps2-an500", "mobilenetv2", 0.10),
              ("netduinoplus2", "scalecnn", 4), ("nucleo-f746", "mobilenetv2", 0.10)]


@pytest.mark.parametrize(("board_name", "arch", "width"), QEMU_CASES,
                         ids=[f"{b}-{a}-{w}" for b, a, w in QEMU_CASES])
def test_emulator_build_boots_and_matches_tflite_micro(zoo_int8, tmp_path: Path,
                                                        board_name: str, arch: str,
                                                        width: float) -> None:
    model = zoo_int8(arch, width)
    board = load_board(board_name)
    result = build_firmware(board, model, tmp_path / "emu", target="emulator", app="smoke")
    report = run_smoke(board, result.elf, timeout_s=QEMU_TIMEOUT_S)
    assert report.exit_code == 0 and report.status == 0, report.log
    assert report.log.startswith(f"tinyedge app {board_name}")

    compiled, _ = compile_model(model)
    zero_image = np.full((1, *compiled.input.shape[1:]), compiled.input.zero_point, np.int8)
    expected = tflm_outputs(model, zero_image)[0]
    assert (report.output == expected).all(), (report.output, expected)

    assert report.instructions == board.emulator.instructions(report.ticks) > 100_000
    assert 0 < report.stack_used < report.stack_size == board.memory.stack_bytes


def test_cli_build_writes_the_default_folder_and_prints_the_report(zoo_int8, tmp_path: Path,
                                                                    run_cli, monkeypatch) -> None:
    model = zoo_int8("scalecnn", 4)
    monkeypatch.chdir(tmp_path)
    result = run_cli("build", "--board", "mps2-an386", "--model", str(model))
    assert result.code == 0, result.err
    # keyed by content: two models that share a name never overwrite each other's build
    sha = hashlib.sha256(model.read_bytes()).hexdigest()[:12]
    out = Path("build") / "mps2-an386" / f"{model.parent.name}-{sha}"
    lines = result.out.splitlines()
    assert lines[0] == f"{out / 'firmware.elf'}  ({model.parent.name} for mps2-an386, " \
                       "AN386 FPGA image)"
    memory = json.loads((out / "memory.json").read_text())
    assert lines[1].startswith(f"flash {memory['flash']['used']:>10,} of  4,194,304 bytes")
    assert lines[2].startswith(f"RAM   {memory['ram']['used']:>10,} of  4,194,304 bytes")
    assert f"arena {memory['ram']['arena']:,}" in lines[2]
