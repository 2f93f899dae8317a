"""The clock the firmware reports, end to end in QEMU. netduinoplus2 is the real STM32F405
(QEMU models its USART and timers but no RCC): the bring-up's bounded HSE wait times out,
the firmware falls back to the 16 MHz HSI, still serves requests, and says so in INFO.
An MPS2 image has no clock controller and reports its fixed 25 MHz."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinyedge.boards import load_board
from tinyedge.device.clock import clock_report
from tinyedge.device.emulator import QemuConfig, QemuProcess
from tinyedge.device.session import DeviceSession
from tinyedge.device.transport import SerialTransport
from tinyedge.firmware.build import build_firmware
from tinyedge.protocol import ClockSource, ClockStatus

SEED = Path(__file__).resolve().parents[1] / "fuzz" / "corpus" / "op_conv.tflite"

pytestmark = [
    pytest.mark.tools("qemu-system-arm", "arm-none-eabi-gcc"),
    pytest.mark.cross,
    pytest.mark.qemu,
]


def hello(board_name: str, tmp_path: Path):
    board = load_board(board_name)
    build = build_firmware(board, SEED, tmp_path / board_name, target="emulator")
    config = QemuConfig(board.emulator.qemu_machine, build.elf, board.emulator.icount_shift,
                        None, time_limit_s=60)
    with QemuProcess(config) as qemu:
        transport = SerialTransport(qemu.url)
        try:
            session = DeviceSession(transport, timeout=5, alive=qemu.check_alive)
            boot = session.wait_boot(10)
            info = session.hello()
            result = session.infer(bytes(info.input_bytes))
        finally:
            transport.close()
    return board, boot, info, result


def test_netduinoplus2_falls_back_to_hsi_and_says_so(tmp_path: Path) -> None:
    board, boot, info, result = hello("netduinoplus2", tmp_path)
    assert boot is not None and boot.core_clock_hz == info.core_clock_hz
    assert (info.core_clock_hz, info.clock_source, info.clock_status) == (
        16_000_000, ClockSource.HSI, ClockStatus.HSE_FAILED)
    assert info.clock_description == "HSI (HSE failed)"
    assert result.count > 0  # the fallback clock still serves inferences
    clock = clock_report(board, info, emulated=True)
    assert (clock["hz"], clock["reported_by"], clock["rated_hz"]) == (
        16_000_000, "firmware", 168_000_000)


def test_mps2_reports_its_fixed_clock(tmp_path: Path) -> None:
    board, _, info, _ = hello("mps2-an386", tmp_path)
    assert (info.core_clock_hz, info.clock_source, info.clock_status) == (
        25_000_000, ClockSource.FIXED, ClockStatus.OK)
    assert clock_report(board, info, emulated=True)["reported_by"] == "firmware"
