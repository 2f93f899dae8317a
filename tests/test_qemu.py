"""The one QEMU command line (tinyedge.qemu): what every emulator run is started with, and
the board-file and path values it refuses or escapes before QEMU splits them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinyedge.qemu import qemu_command
from tinyedge.tool_args import UnsafeArgumentError


def option(command: list[str], name: str) -> list[str]:
    """Every value given to ``name`` in ``command``."""
    return [command[i + 1] for i, arg in enumerate(command[:-1]) if arg == name]


def test_a_run_to_exit_prints_on_stdout_and_ends_on_reset() -> None:
    command = qemu_command("mps2-an386", Path("/b/smoke.elf"), 7, where="boards/x.toml")
    assert command[:5] == ["qemu-system-arm", "-M", "mps2-an386", "-kernel", "/b/smoke.elf"]
    assert option(command, "-monitor") == ["none"] and "-no-reboot" in command
    assert option(command, "-icount") == ["shift=7"]
    assert option(command, "-semihosting-config") == ["enable=on,target=native"]
    assert "-nographic" in command and not option(command, "-serial")
    assert not option(command, "-device")


def test_a_served_device_listens_on_tcp_and_can_be_reset(tmp_path: Path) -> None:
    monitor = tmp_path / "a,b" / "monitor.sock"  # a comma would start a sub-option
    command = qemu_command("mps2-an500", Path("/b/fw.elf"), 5, where="boards/x.toml",
                           serial_port=4321, monitor=monitor,
                           preload=(Path("/in,file=/etc/passwd"), 0x21000000))
    assert option(command, "-serial") == ["tcp:127.0.0.1:4321,server=on,wait=on,nodelay=on"]
    assert option(command, "-monitor") == [
        f"unix:{str(monitor).replace(',', ',,')},server=on,wait=off"]
    assert "-no-reboot" not in command  # the monitor's system_reset reboots the firmware
    assert option(command, "-device") == [
        "loader,file=/in,,file=/etc/passwd,addr=0x21000000,force-raw=on"]
    assert option(command, "-icount") == ["shift=5"]


@pytest.mark.parametrize("machine", ["mps2-an386,accel=kvm", "-enable-kvm", "an 386", ""])
def test_a_machine_other_tools_would_interpret_is_refused(machine: str) -> None:
    with pytest.raises(UnsafeArgumentError, match=r"QEMU machine .* in boards/x\.toml"):
        qemu_command(machine, Path("/b/fw.elf"), 7, where="boards/x.toml")
