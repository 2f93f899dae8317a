"""The host waits for the firmware's BOOT frame before its first request: on the
emulated netduinoplus2 (a real STM32 USART model, which drops bytes sent before its
receiver is on) 20 consecutive sessions start without a single retry."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinyedge.boards import load_board
from tinyedge.device.emulator import QemuConfig, QemuProcess
from tinyedge.device.session import DeviceSession
from tinyedge.device.transport import SerialTransport
from tinyedge.firmware.build import build_firmware

SEED = Path(__file__).resolve().parents[1] / "fuzz" / "corpus" / "op_conv.tflite"

pytestmark = [
    pytest.mark.tools("qemu-system-arm", "arm-none-eabi-gcc"),
    pytest.mark.cross,
    pytest.mark.qemu,
]


@pytest.mark.slow
def test_twenty_netduinoplus2_sessions_need_no_retry(tmp_path: Path) -> None:
    board = load_board("netduinoplus2")
    build = build_firmware(board, SEED, tmp_path / "fw", target="emulator")
    config = QemuConfig(board.emulator.qemu_machine, build.elf, board.emulator.icount_shift,
                        None, time_limit_s=60)
    retries = []
    for _ in range(20):
        with QemuProcess(config) as qemu:
            transport = SerialTransport(qemu.url)
            try:
                session = DeviceSession(transport, timeout=5, alive=qemu.check_alive)
                boot = session.wait_boot(10)
                info = session.hello()
                retries.append(session.stats.retries)
            finally:
                transport.close()
        assert boot is not None and boot.model_sha256 == info.model_sha256
    assert retries == [0] * 20
