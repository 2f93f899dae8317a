"""Boards are data: every boards/*.toml loads and validates; broken files name file and field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tinyedge.boards import BoardError, all_boards, board_names, boards_dir, load_board

SPEC_BOARDS = {  # SPEC §5: name -> (core, clock MHz, flash bytes, QEMU machine)
    "nucleo-f746": ("cortex-m7", 216, 1 << 20, "mps2-an500"),
    "nucleo-h743": ("cortex-m7", 480, 2 << 20, "mps2-an500"),
    "nucleo-l4r5zi": ("cortex-m4", 120, 2 << 20, "mps2-an386"),
    "netduinoplus2": ("cortex-m4", 168, 1 << 20, "netduinoplus2"),
    "mps2-an386": ("cortex-m4", 25, 4 << 20, "mps2-an386"),
    "mps2-an500": ("cortex-m7", 25, 4 << 20, "mps2-an500"),
}


def test_every_spec_board_loads_and_matches_the_spec() -> None:
    boards = {b.name: b for b in all_boards()}
    assert set(boards) == set(SPEC_BOARDS)
    for name, (core, mhz, flash, machine) in SPEC_BOARDS.items():
        b = boards[name]
        assert (b.core, b.clock_hz, b.memory.flash_bytes, b.emulator.qemu_machine) == (
            core, mhz * 1_000_000, flash, machine)
        assert b.cflags[:2] == (f"-mcpu={core}", "-mthumb") and "-mfloat-abi=hard" in b.cflags
        assert b.memory.stack_bytes < b.memory.ram_bytes <= b.memory.sram_total_bytes


def test_real_parts_carry_their_fpu_ram_region_and_power_source() -> None:
    f746, h743 = load_board("nucleo-f746"), load_board("nucleo-h743")
    assert f746.fpu == "fpv5-sp-d16" and h743.fpu == "fpv5-d16"
    assert (f746.memory.ram_origin, f746.memory.ram_bytes) == (0x20000000, 320 * 1024)
    assert (h743.memory.ram_origin, h743.memory.ram_bytes) == (0x24000000, 512 * 1024)
    assert h743.memory.sram_total_bytes == 1 << 20
    assert load_board("netduinoplus2").memory.sram_total_bytes == 192 * 1024
    for name in ("nucleo-f746", "nucleo-h743", "nucleo-l4r5zi", "netduinoplus2"):
        power = load_board(name).power
        assert power is not None and power.source.startswith("ST DS")
        assert 0 < power.run_power_mw < 1000
    assert load_board("mps2-an500").power is None


def test_emulator_ticks_convert_to_instructions() -> None:
    # PLATFORM.md: FPGAIO at 25 MHz with -icount shift=7 -> instructions = ticks * 40 / 128
    assert load_board("mps2-an500").emulator.instructions(128_000) == 40_000
    assert load_board("netduinoplus2").emulator.instructions(12_345) == 12_345


def _copy_boards(tmp_path: Path) -> Path:
    root = tmp_path / "boards"
    shutil.copytree(boards_dir(), root)
    return root


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace("clock_hz = 216_000_000\n", ""), r"nucleo-f746.toml: clock_hz is missing"),
    (lambda t: t.replace("ram_bytes = 327_680", 'ram_bytes = "320K"'),
     r"nucleo-f746.toml: \[memory\] ram_bytes must be int"),
    (lambda t: t.replace('fpu = "fpv5-sp-d16"', 'fpu = "fpv4-sp-d16"'),
     r"nucleo-f746.toml: fpu must be one of fpv5-sp-d16, fpv5-d16"),
    (lambda t: t.replace('qemu_machine = "mps2-an500"', 'qemu_machine = "stm32f7"'),
     r"\[emulator\] qemu_machine must be one of"),
    (lambda t: t.replace('platform = "stm32f7"', 'platform = "esp32"'),
     r"platform names no platform layer"),
    (lambda t: t.replace("[uart]", "[uart"), r"nucleo-f746.toml: not valid TOML"),
    (lambda t: t.replace("supply_v = 3.3", "supply_v = nan"),
     r"\[power\] supply_v must be a finite number, got nan"),
    (lambda t: t.replace("supply_v = 3.3", "supply_v = inf"), r"supply_v must be a finite"),
])
def test_broken_board_file_names_file_and_field(tmp_path: Path, edit, message: str) -> None:
    root = _copy_boards(tmp_path)
    path = root / "nucleo-f746.toml"
    path.write_text(edit(path.read_text()))
    with pytest.raises(BoardError, match=message):
        load_board("nucleo-f746", root)


def test_adding_a_board_needs_only_a_toml_file(tmp_path: Path) -> None:
    root = _copy_boards(tmp_path)
    text = (root / "nucleo-f746.toml").read_text().replace('"nucleo-f746"', '"my-f746"')
    (root / "my-f746.toml").write_text(text)
    assert "my-f746" in board_names(root)
    assert load_board("my-f746", root).mcu == "STM32F746ZG"


def test_unknown_board_lists_the_known_ones() -> None:
    with pytest.raises(BoardError, match="unknown board 'nucleo-f7'; known boards: mps2-an386"):
        load_board("nucleo-f7")


def test_cli_boards_table_and_json(run_cli) -> None:
    result = run_cli("boards", "--json")
    assert result.code == 0
    rows = json.loads(result.out)
    assert [r["name"] for r in rows] == sorted(SPEC_BOARDS)
    f746 = next(r for r in rows if r["name"] == "nucleo-f746")
    assert f746 == {"name": "nucleo-f746", "mcu": "STM32F746ZG", "core": "cortex-m7",
                    "fpu": "fpv5-sp-d16", "clock_hz": 216_000_000, "flash_bytes": 1 << 20,
                    "ram_bytes": 327_680, "emulator": "mps2-an500"}
    table = run_cli("boards").out.splitlines()
    assert table[0].split() == ["board", "MCU", "core", "clock", "flash", "RAM", "emulator"]
    assert any(line.startswith("nucleo-f746") and "216 MHz" in line and "320 KB" in line
               for line in table)
