"""Boot a smoke-app emulator build (``firmware/app/smoke``) in QEMU and read its report.

The app runs the model once on an all-zero image, prints its int8 outputs, the counter
ticks and their conversion to instructions, and the stack high-water mark, then exits
QEMU through semihosting. QEMU always runs under a time limit: without semihosting, or on
a fault before the UART is up, it would never exit by itself.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyedge import tool_args
from tinyedge.boards import Board
from tinyedge.errors import TinyedgeError


class SmokeError(TinyedgeError):
    """QEMU missing, timed out, or the firmware's report is missing or malformed."""


@dataclass(frozen=True)
class SmokeReport:
    status: int
    output: np.ndarray  # int8
    ticks: int
    instructions: int  # as printed by the firmware
    stack_used: int
    stack_size: int
    exit_code: int
    log: str


def qemu_smoke_command(board: Board, elf: Path) -> list[str]:
    emu = board.emulator
    machine = tool_args.safe_name(emu.qemu_machine, "QEMU machine", str(board.path))
    return ["qemu-system-arm", "-M", machine, "-kernel", str(elf),
            "-nographic", "-monitor", "none", "-no-reboot",
            "-icount", f"shift={emu.icount_shift}",
            "-semihosting-config", "enable=on,target=native"]


def run_smoke(board: Board, elf: Path, timeout_s: float = 60.0) -> SmokeReport:
    """Run the emulator build ``elf`` of ``board``; serial0 is QEMU's stdout."""
    if shutil.which("qemu-system-arm") is None:
        raise SmokeError("qemu-system-arm is not installed; apt-get install qemu-system-arm")
    try:
        proc = subprocess.run(qemu_smoke_command(board, elf), capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise SmokeError(f"QEMU {board.emulator.qemu_machine} did not exit within "
                         f"{timeout_s:.0f} s; the firmware hung") from exc
    log = proc.stdout.decode("latin-1")
    return parse_report(log, proc.returncode)


def parse_report(log: str, exit_code: int) -> SmokeReport:
    fields: dict[str, list[str]] = {}
    for line in log.replace("\r", "").splitlines():
        key, _, rest = line.partition(" ")
        fields[key] = rest.split()
    if "end" not in fields:
        raise SmokeError(f"incomplete firmware report (exit code {exit_code}):\n{log[-2000:]}")
    try:
        return SmokeReport(
            status=int(fields["status"][0]),
            output=np.array([int(v) for v in fields["output"]], dtype=np.int8),
            ticks=int(fields["ticks"][0]),
            instructions=int(fields["instructions"][0]) if "instructions" in fields
            else int(fields["cycles"][0]),
            stack_used=int(fields["stack"][0]), stack_size=int(fields["stack"][2]),
            exit_code=exit_code, log=log,
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise SmokeError(f"malformed firmware report ({exc}):\n{log[-2000:]}") from exc
