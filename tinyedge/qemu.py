"""The one QEMU command line of tinyedge.

Every emulator run starts from :func:`qemu_command`: the smoke app and the kernel suite
(run to exit, serial on QEMU's stdout, see :func:`run_to_exit`) and the protocol firmware
served as a device (serial on a TCP socket, a monitor socket to reset it; the process and
its time-limit watchdog live in :mod:`tinyedge.device.emulator`). The machine comes from
a board file and paths from the user, so both pass :mod:`tinyedge.tool_args`'s checks
before QEMU splits them into sub-options.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tinyedge import tool_args
from tinyedge.errors import TinyedgeError

QEMU = "qemu-system-arm"


class QemuError(TinyedgeError):
    """QEMU is missing, or a run did not end in time."""


def require_qemu(error: type[QemuError] = QemuError) -> None:
    """Refuse at once, with the fix, when QEMU is not installed."""
    if shutil.which(QEMU) is None:
        raise error(f"{QEMU} is not installed; run scripts/setup.sh "
                    "(or apt-get install qemu-system-arm)")


def qemu_command(machine: str, kernel: Path, icount_shift: int, *, where: str,
                 serial_port: int | None = None, monitor: Path | None = None,
                 preload: tuple[Path, int] | None = None) -> list[str]:
    """Boot ``kernel`` on the QEMU ``machine`` (named in ``where``, a board file) with
    exact instruction counting and semihosting (the firmware ends QEMU with an exit code).

    Without ``serial_port`` the serial port is QEMU's stdout; with it, a TCP listener on
    127.0.0.1 that starts the CPU only once the host connects, so no byte is lost. With a
    ``monitor`` socket the host can reset the board like its reset button; without one
    nobody resets it on purpose, so a reset (a fault's) ends QEMU instead of rebooting.
    ``preload`` is a raw file loaded at an address before boot."""
    command = [QEMU, "-M", tool_args.safe_name(machine, "QEMU machine", where),
               "-kernel", str(kernel), "-nographic"]
    if monitor is None:
        command += ["-monitor", "none", "-no-reboot"]
    else:
        command += ["-monitor", f"unix:{tool_args.qemu_value(monitor)},server=on,wait=off"]
    # Exact, deterministic instruction counting; the counters tick in virtual time.
    command += ["-icount", f"shift={icount_shift}",
                "-semihosting-config", "enable=on,target=native"]
    if serial_port is not None:
        command += ["-serial", f"tcp:127.0.0.1:{serial_port},server=on,wait=on,nodelay=on"]
    if preload is not None:
        path, address = preload
        command += ["-device", f"loader,file={tool_args.qemu_value(path)},addr={address:#x},"
                               "force-raw=on"]
    return command


def run_to_exit(command: list[str], timeout_s: float, what: str) -> tuple[int, str]:
    """Run a :func:`qemu_command` without a serial port until the firmware exits QEMU;
    return its exit code and what it wrote to the serial port. A run past ``timeout_s``
    is killed and refused, naming ``what`` ran: without semihosting, or on a fault before
    the UART is up, the firmware would never exit by itself."""
    require_qemu()
    try:
        proc = subprocess.run(command, capture_output=True, stdin=subprocess.DEVNULL,
                              timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise QemuError(f"{what} did not exit QEMU within {timeout_s:.0f} s; the firmware "
                        "hung") from exc
    return proc.returncode, proc.stdout.decode("latin-1")
