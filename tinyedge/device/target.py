"""From a board name and a model to a device ready to evaluate: build the protocol
firmware for the board (or its emulator stand-in) and describe where it runs."""

from __future__ import annotations

import json
from pathlib import Path

from tinyedge.boards import load_board
from tinyedge.device.emulator import QemuConfig, QemuProcess
from tinyedge.device.evaluate import DeviceTarget
from tinyedge.device.session import DeviceSession
from tinyedge.device.transport import SerialTransport
from tinyedge.errors import TinyedgeError
from tinyedge.fileio import sha256_file
from tinyedge.firmware.build import BuildResult, build_firmware, default_out_dir
from tinyedge.layout import BUILD_DIR, model_name


def build_protocol_firmware(board_name: str, model_path: str | Path, *, emulated: bool,
                            build_root: str | Path = BUILD_DIR) -> BuildResult:
    board = load_board(board_name)
    model_path = Path(model_path)
    if not model_path.is_file():
        raise TinyedgeError(f"model {model_path} does not exist; create it with "
                            "`tinyedge export`")
    target = "emulator" if emulated else "board"
    out = default_out_dir(board, model_name(model_path), target, sha256_file(model_path),
                          root=build_root)
    return build_firmware(board, model_path, out, target=target, app="protocol")


def device_target(board_name: str, model_path: str | Path, *, port: str | None = None,
                  simulator: str | None = None, build_root: str | Path = BUILD_DIR
                  ) -> DeviceTarget:
    """Build the firmware the target runs: the QEMU stand-in's when neither a port nor a
    simulator of the real SoC (e.g. Renode) is named, else the board's own."""
    emulated = port is None and simulator is None
    build = build_protocol_firmware(board_name, model_path, emulated=emulated,
                                    build_root=build_root)
    memory = json.loads(build.memory_json.read_text())
    return DeviceTarget(build.board, build.elf, memory, port, simulator)


def boot_check(build: BuildResult, timeout: float = 20.0) -> str:
    """Boot an emulator image and return the board name its INFO reply reports."""
    config = QemuConfig(build.board.emulator.qemu_machine, build.elf,
                        build.board.emulator.icount_shift, None, time_limit_s=60)
    with QemuProcess(config) as qemu:
        transport = SerialTransport(qemu.url)
        try:
            session = DeviceSession(transport, timeout=timeout, retries=2,
                                    alive=qemu.check_alive)
            session.wait_boot(timeout)
            info = session.hello()
        finally:
            transport.close()
    return info.board
