"""Issue 10's OpenOCD reproductions: a probe serial or a model folder carrying Tcl
(`[exec …]`) must never run anything — refused with one line, or passed inertly to the
real OpenOCD."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.cli import run_cli_subprocess

from tinyedge.boards import load_board
from tinyedge.device.flash import FlashError, flash_firmware, openocd_command
from tinyedge.tool_args import UnsafeArgumentError, probe_serial, qemu_value, staged_file

EVIL_PROBE = "066D[exec sh -c {id > PWNED}]"


def test_probe_serials_are_strict() -> None:
    assert probe_serial("066DFF343334434257123456") == "066DFF343334434257123456"
    for bad in (EVIL_PROBE, "a b", "x;reboot", "$env(HOME)", "", "x" * 65, "a\nb"):
        with pytest.raises(UnsafeArgumentError):
            probe_serial(bad)


def test_openocd_command_refuses_tcl_in_the_probe(tmp_path: Path) -> None:
    board = load_board("nucleo-f746")
    with pytest.raises(UnsafeArgumentError, match="probe serial"):
        openocd_command(board, tmp_path / "firmware.elf", EVIL_PROBE)


def test_openocd_command_braces_a_safe_path_and_refuses_others(tmp_path: Path) -> None:
    board = load_board("nucleo-f746")
    command = openocd_command(board, Path("/tmp/fw/firmware.elf"), "066D")
    assert command[-1] == "program {/tmp/fw/firmware.elf} verify reset exit"
    assert "adapter serial 066D" in command
    with pytest.raises(UnsafeArgumentError):
        openocd_command(board, Path("/tmp/m[exec touch x]/firmware.elf"), None)


def test_an_unsafe_path_is_staged_under_a_safe_name(tmp_path: Path) -> None:
    folder = tmp_path / "m[exec touch pwned] {x}"
    folder.mkdir()
    elf = folder / "firmware.elf"
    elf.write_bytes(b"\x7fELF-ish")
    with staged_file(elf) as staged:
        assert staged != elf.resolve() and staged.read_bytes() == b"\x7fELF-ish"
        assert "[" not in str(staged)
    assert not staged.exists()


def test_qemu_values_escape_commas() -> None:
    assert qemu_value("/tmp/a,file=/etc/passwd") == "/tmp/a,,file=/etc/passwd"


@pytest.mark.subprocess
@pytest.mark.tools("openocd")
def test_real_openocd_never_runs_tcl_from_a_folder_name(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """With no board attached the real OpenOCD fails to find a probe, but the old string
    command had already run `[exec touch pwned]` while parsing its arguments."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "m[exec touch pwned]"
    folder.mkdir()
    elf = folder / "firmware.elf"
    elf.write_bytes(b"not really an ELF")
    with pytest.raises(FlashError):
        flash_firmware(load_board("nucleo-f746"), elf, elf, method="openocd", probe="066D",
                       timeout=60)
    assert not (tmp_path / "pwned").exists()
    assert not (folder / "pwned").exists()


@pytest.mark.subprocess
def test_cli_flash_refuses_tcl_in_the_probe_before_any_work(tmp_path: Path) -> None:
    model = tmp_path / "model.tflite"
    model.write_bytes(b"unused")
    result = run_cli_subprocess("flash", "--board", "nucleo-f746", "--model", str(model),
                                "--probe", "066D[exec touch PWNED]", cwd=tmp_path)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1 and "probe serial" in result.err
    assert "Traceback" not in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.tflite"]
