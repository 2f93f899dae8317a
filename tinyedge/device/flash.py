"""Putting firmware on a real board: OpenOCD (default for ST boards), pyOCD, or a copy of
the raw binary to the ST-LINK's USB mass-storage drive."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Literal

from tinyedge import tool_args
from tinyedge.boards import Board
from tinyedge.errors import TinyedgeError

Method = Literal["openocd", "pyocd", "mass-storage"]
NO_PROBE = ("no debug probe found for {board}: connect the board's ST-LINK USB port "
            "(or pass --probe SERIAL when several are attached) and retry")


class FlashError(TinyedgeError):
    """Flashing failed: no probe, a missing tool, or the probe refused."""


def flash_firmware(board: Board, elf: Path, binary: Path, *, method: Method | None = None,
                   probe: str | None = None, drive: Path | None = None,
                   timeout: float = 120) -> str:
    """Flash ``elf`` (or ``binary`` for mass storage) onto ``board``; return a summary."""
    method = method or board.flash.method  # type: ignore[assignment]
    if method == "openocd":
        return _openocd(board, elf, probe, timeout)
    if method == "pyocd":
        return _pyocd(board, elf, probe, timeout)
    if method == "mass-storage":
        return _mass_storage(board, binary, drive)
    raise FlashError(f"{board.name} has flash method {method!r}, which tinyedge cannot use; "
                     "use openocd, pyocd or mass-storage")


def check_probe(board: Board, *, probe: str | None = None, timeout: float = 20) -> None:
    """Before building: the flashing tool is installed and, for OpenOCD, a probe answers
    (``init`` then ``shutdown``, nothing written); :class:`FlashError` otherwise. Any other
    OpenOCD complaint is left to the flash itself, which reports it in full."""
    method = board.flash.method
    if method == "mass-storage":
        if find_stlink_drive() is None:
            raise FlashError(NO_PROBE.format(board=board.name)
                             + " (no ST-LINK drive with DETAILS.TXT is mounted)")
        return
    if shutil.which(method) is None:
        how = "apt-get install openocd" if method == "openocd" else "pip install pyocd"
        raise FlashError(f"{method} is not installed; run scripts/setup.sh (or {how})")
    if method == "openocd":
        command = openocd_command(board, None, probe)
        result = _run([*command[:-2], "-c", "init", "-c", "shutdown"], timeout)
        if result.returncode != 0 and _no_probe(result.stderr + result.stdout):
            raise FlashError(NO_PROBE.format(board=board.name))


def _no_probe(text: str) -> bool:
    return any(s in text.lower() for s in ("open failed", "no device found", "unable to find",
                                           "couldn't find", "libusb"))


def openocd_command(board: Board, elf: Path | None, probe: str | None) -> list[str]:
    """OpenOCD's arguments. OpenOCD evaluates ``-c`` strings (and the ``-f`` name) as Tcl,
    so the config name and probe serial must match strict patterns and ``elf`` must be a
    safe absolute path (see :mod:`tinyedge.tool_args`); braces stop any
    substitution inside the path."""
    if not board.flash.openocd_config:
        raise FlashError(f"{board.name} names no OpenOCD config in {board.path}")
    config = tool_args.safe_name(board.flash.openocd_config, "OpenOCD config", str(board.path))
    if elf is not None and (not tool_args.is_safe_path(elf) or not elf.is_absolute()):
        raise tool_args.UnsafeArgumentError(
            f"firmware path {str(elf)[:120]!r} cannot be passed to OpenOCD safely")
    command = ["openocd", "-f", config]
    if probe:
        command += ["-c", f"adapter serial {tool_args.probe_serial(probe)}"]
    return [*command, "-c", f"program {{{elf}}} verify reset exit"]


def _openocd(board: Board, elf: Path, probe: str | None, timeout: float) -> str:
    if probe:
        tool_args.probe_serial(probe)
    if shutil.which("openocd") is None:
        raise FlashError("openocd is not installed; run scripts/setup.sh "
                         "(or apt-get install openocd)")
    with tool_args.staged_file(elf) as staged:
        result = _run(openocd_command(board, staged, probe), timeout)
    if result.returncode != 0:
        text = result.stderr + result.stdout
        if _no_probe(text):
            raise FlashError(NO_PROBE.format(board=board.name))
        raise FlashError(f"openocd could not flash {board.name}: {_last_error(text)}")
    return f"flashed {elf.name} to {board.name} with OpenOCD"


def _pyocd(board: Board, elf: Path, probe: str | None, timeout: float) -> str:
    if not board.flash.pyocd_target:
        raise FlashError(f"{board.name} names no pyOCD target in {board.path}")
    target = tool_args.safe_name(board.flash.pyocd_target, "pyOCD target", str(board.path))
    # "--" ends pyOCD's options: a file name starting with "-" stays a file name.
    command = ["pyocd", "flash", "-t", target, "--", str(elf)]
    if probe:
        command[2:2] = ["-u", tool_args.probe_serial(probe)]
    if shutil.which("pyocd") is None:
        raise FlashError("pyocd is not installed; pip install pyocd")
    result = _run(command, timeout)
    if result.returncode != 0:
        text = result.stderr + result.stdout
        if "no connected debug probes" in text.lower() or "no probe" in text.lower():
            raise FlashError(NO_PROBE.format(board=board.name))
        raise FlashError(f"pyocd could not flash {board.name}: {_last_error(text)}")
    return f"flashed {elf.name} to {board.name} with pyOCD"


def _mass_storage(board: Board, binary: Path, drive: Path | None) -> str:
    drive = drive or find_stlink_drive()
    if drive is None:
        raise FlashError(NO_PROBE.format(board=board.name)
                         + " (no ST-LINK drive with DETAILS.TXT is mounted)")
    shutil.copyfile(binary, drive / binary.name)
    return f"copied {binary.name} to {drive}; the ST-LINK programs the board and resets it"


def find_stlink_drive(mounts: Path = Path("/proc/mounts")) -> Path | None:
    """A mounted ST-LINK virtual drive: a mount point holding DETAILS.TXT (and MBED.HTM)."""
    try:
        lines = mounts.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) > 1 and (Path(fields[1]) / "DETAILS.TXT").is_file():
            return Path(fields[1])
    return None


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise FlashError(f"{command[0]} did not finish within {timeout:g} s; unplug and "
                         "replug the board and retry") from exc


def _last_error(text: str) -> str:
    errors = [line for line in text.splitlines() if "error" in line.lower()]
    return (errors or text.strip().splitlines() or ["no output"])[-1].strip()
