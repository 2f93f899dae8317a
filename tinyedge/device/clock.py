"""The ``clock`` object of ``device.json``: the clock latency and energy are computed from.

On a real board (and on an emulator of the real SoC, such as QEMU's netduinoplus2) it is
the clock the firmware reported in its INFO reply, read back from the clock hardware
after the bring-up: the firmware is the authority, never the board file. On a QEMU
stand-in for another chip (an MPS2 FPGA image standing in for a Nucleo board) the
stand-in's own clock says nothing about the board, so latency is modelled at the board's
rated clock, one instruction per cycle, and the object says so (``reported_by``:
"emulator model"). The rated clock is always there for comparison.
"""

from __future__ import annotations

from typing import Any

from tinyedge.boards import Board
from tinyedge.device.messages import DeviceInfo, ProtocolError


def clock_report(board: Board, info: DeviceInfo, *, emulated: bool) -> dict[str, Any]:
    """``{"hz", "source", "reported_by", "rated_hz", ...}`` for ``device.json``."""
    rated = board.clock_hz
    if info.core_clock_hz <= 0:
        raise ProtocolError("the firmware reported a core clock of 0 Hz; re-flash it with "
                            f"`tinyedge flash --board {board.name}`")
    firmware = {"firmware_hz": info.core_clock_hz, "firmware_source": info.clock_description}
    if emulated and board.emulator.platform != board.platform:
        return {"hz": rated, "source": "the board's rated clock (1 instruction per cycle)",
                "reported_by": "emulator model", "rated_hz": rated,
                "note": f"QEMU {board.emulator.qemu_machine} stands in for {board.mcu}; its "
                        f"firmware reports {info.core_clock_hz / 1e6:g} MHz "
                        f"({info.clock_description})", **firmware}
    return {"hz": info.core_clock_hz, "source": info.clock_description,
            "reported_by": "firmware", "rated_hz": rated,
            "at_rated": info.core_clock_hz == rated, "status": info.clock_status.name.lower()}
