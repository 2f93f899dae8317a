"""Names of runtimes and result files: the one place that builds and parses them.

A device runtime names the board and how it was reached, so an emulated run and a run on
the real board never share a results folder:

    device-nucleo-f746          the real board on a serial port
    device-nucleo-f746-qemu     its QEMU stand-in
    device-nucleo-f746-renode   Renode's model of its SoC
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DEVICE_PREFIX = "device-"
Reach = Literal["board", "qemu", "renode"]
_SUFFIX = {"board": "", "qemu": "-qemu", "renode": "-renode"}

DEVICE_LOG = "device_results.jsonl"  # per-image results, resumable (tinyedge.device)
DEVICE_SESSION = "device_session.json"  # device info, profile and stack of the run
DEVICE_JSON = "device.json"  # the run's cost figures


@dataclass(frozen=True)
class DeviceRuntime:
    board: str
    reach: Reach

    @property
    def name(self) -> str:
        return f"{DEVICE_PREFIX}{self.board}{_SUFFIX[self.reach]}"

    @property
    def emulated(self) -> bool:
        return self.reach != "board"


def device_runtime(board: str, reach: Reach) -> str:
    """The runtime name (and results folder) of a device run."""
    return DeviceRuntime(board, reach).name


def parse_device_runtime(name: str) -> DeviceRuntime | None:
    """The board and reach of a device runtime name; None for host runtimes."""
    if not name.startswith(DEVICE_PREFIX):
        return None
    rest = name[len(DEVICE_PREFIX):]
    for reach, suffix in _SUFFIX.items():
        if suffix and rest.endswith(suffix):
            return DeviceRuntime(rest[: -len(suffix)], reach)  # type: ignore[arg-type]
    return DeviceRuntime(rest, "board")


def is_device_runtime(name: str) -> bool:
    return name.startswith(DEVICE_PREFIX)
