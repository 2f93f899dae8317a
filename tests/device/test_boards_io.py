"""Real-board paths without a board: flashing with no probe attached, a busy or missing
serial port, Renode files, and the emulator boot check of `tinyedge flash`."""

import os
import shutil

import pytest
import serial
from helpers.zoo import export_untrained

from tinyedge.boards import load_board
from tinyedge.device.flash import FlashError, flash_firmware, openocd_command
from tinyedge.device.renode import INSTALL_HINT, write_renode_files

pytestmark = [pytest.mark.cross, pytest.mark.qemu, pytest.mark.tensorflow]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return export_untrained("scalecnn", 4, tmp_path_factory.mktemp("flash"))


def test_openocd_command_from_the_board_file(tmp_path):
    board = load_board("nucleo-f746")
    cmd = openocd_command(board, tmp_path / "fw.elf", probe="066DFF")
    assert cmd[:3] == ["openocd", "-f", "board/st_nucleo_f7.cfg"]
    assert "adapter serial 066DFF" in cmd
    # Braced: Tcl performs no substitution inside (see test_flash_injection.py).
    assert f"program {{{tmp_path / 'fw.elf'}}} verify reset exit" in cmd


def test_flash_without_a_probe_is_one_clear_line(model, tmp_path, run_cli, monkeypatch):
    if shutil.which("openocd") is None:
        pytest.fail("openocd is not installed: run scripts/setup.sh")
    monkeypatch.chdir(tmp_path)
    result = run_cli("flash", "--board", "nucleo-f746", "--model", str(model))
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "tinyedge: error: no debug probe found for nucleo-f746: connect the board's ST-LINK "
        "USB port (or pass --probe SERIAL when several are attached) and retry"]


@pytest.mark.subprocess
def test_mass_storage_without_a_drive(tmp_path):
    board = load_board("nucleo-f746")
    with pytest.raises(FlashError, match=r"no debug probe found.*no ST-LINK drive"):
        flash_firmware(board, tmp_path / "fw.elf", tmp_path / "fw.bin",
                       method="mass-storage")


def test_flash_emulate_boots_and_answers(model, tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("flash", "--board", "nucleo-f746", "--model", str(model), "--emulate")
    assert result.code == 0, result.err
    assert "boots in QEMU mps2-an500 and answers as nucleo-f746" in result.out


def test_missing_and_busy_serial_ports(model, tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    missing = run_cli("evaluate", "--board", "nucleo-f746", "--model", str(model),
                      "--port", "/dev/ttyNOPE0", "--limit", "2")
    assert missing.code == 2 and "cannot open serial port /dev/ttyNOPE0" in missing.err
    assert len(missing.err.strip().splitlines()) == 1

    controller, device = os.openpty()
    path = os.ttyname(device)
    holder = serial.Serial(path, exclusive=True)  # another program holds the port
    try:
        busy = run_cli("evaluate", "--board", "nucleo-f746", "--model", str(model),
                       "--port", path, "--limit", "2")
    finally:
        holder.close()
        os.close(controller)
        os.close(device)
    assert busy.code == 2 and f"serial port {path} is busy" in busy.err
    assert not (tmp_path / "results").exists()


def test_renode_files_for_the_real_platform(tmp_path, run_cli, model, monkeypatch):
    board = load_board("nucleo-f746")
    elf = tmp_path / "firmware.elf"
    elf.write_bytes(b"\x7fELF")
    script, robot = write_renode_files(board, elf, tmp_path)
    text = script.read_text()
    assert "machine LoadPlatformDescription @platforms/cpus/stm32f746.repl" in text
    assert f"sysbus LoadELF @{elf}" in text
    assert f"connector Connect sysbus.{board.uart.peripheral.split()[-1].lower()} uart" in text
    robot_text = robot.read_text()
    assert "Wait For Line On Uart    tinyedge firmware ready" in robot_text
    assert f"Execute Script    {script}" in robot_text

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no renode here
    result = run_cli("evaluate", "--board", "nucleo-f746", "--model", str(model),
                     "--emulate", "renode")
    assert result.code == 2 and INSTALL_HINT in result.err
    assert "Renode files:" in result.out
