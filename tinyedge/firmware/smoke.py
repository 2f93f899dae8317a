"""Boot a smoke-app emulator build (``firmware/app/smoke``) in QEMU and read its report.

The app runs the model once on an all-zero image, prints its int8 outputs, the counter
ticks and their conversion to instructions, and the stack high-water mark, then exits
QEMU through semihosting. QEMU always runs under a time limit: without semihosting, or on
a fault before the UART is up, it would never exit by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyedge.boards import Board
from tinyedge.qemu import QemuError, qemu_command, run_to_exit


class SmokeError(QemuError):
    """The firmware's report is missing or malformed."""


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


def run_smoke(board: Board, elf: Path, timeout_s: float = 60.0) -> SmokeReport:
    """Run the emulator build ``elf`` of ``board``; serial0 is QEMU's stdout."""
    emu = board.emulator
    command = qemu_command(emu.qemu_machine, elf, emu.icount_shift, where=str(board.path))
    exit_code, log = run_to_exit(command, timeout_s,
                                 f"the smoke app on QEMU {emu.qemu_machine}")
    return parse_report(log, exit_code)


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
