"""QEMU runs under a time limit: QemuProcess's watchdog kills the emulator at the deadline
even while the host is blocked, and the next check names the limit; a run to exit (smoke
app, kernel suite) that does not exit in time is killed and refused (real firmware, real
QEMU)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tinyedge.device.emulator import EmulatorError, QemuConfig, QemuProcess
from tinyedge.firmware.build import build_firmware
from tinyedge.qemu import QemuError, qemu_command, run_to_exit

SEED = Path(__file__).resolve().parents[1] / "fuzz" / "corpus" / "op_conv.tflite"

pytestmark = [
    pytest.mark.tools("qemu-system-arm", "arm-none-eabi-gcc"),
    pytest.mark.cross,
    pytest.mark.qemu,
]


@pytest.mark.slow
def test_qemu_is_killed_at_its_time_limit(tmp_path: Path) -> None:
    build = build_firmware("mps2-an386", SEED, tmp_path / "fw", target="emulator")
    config = QemuConfig("mps2-an386", build.elf, 7, None, time_limit_s=1.5)
    with QemuProcess(config) as qemu:
        qemu.check_alive()  # within the limit
        deadline = time.monotonic() + 10
        while qemu.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert qemu.process.poll() is not None, "QEMU outlived its time limit"
        with pytest.raises(EmulatorError, match="limit"):
            qemu.check_alive()


@pytest.mark.slow
def test_a_run_to_exit_past_its_limit_is_killed(tmp_path: Path) -> None:
    # The protocol firmware waits for host commands forever: it never exits by itself.
    build = build_firmware("mps2-an386", SEED, tmp_path / "fw", target="emulator")
    command = qemu_command("mps2-an386", build.elf, 7, where="boards/mps2-an386.toml")
    started = time.monotonic()
    with pytest.raises(QemuError, match="the protocol app did not exit QEMU within 2 s"):
        run_to_exit(command, 1.5, "the protocol app")
    assert time.monotonic() - started < 10
