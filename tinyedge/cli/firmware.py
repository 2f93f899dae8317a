"""`tinyedge build` and `tinyedge flash`: firmware for a board, and putting it on one."""

from __future__ import annotations

import argparse
from pathlib import Path

from tinyedge.cli.common import (
    model_file,
)
from tinyedge.cli_args import (
    output_folder,
)
from tinyedge.errors import TinyedgeError
from tinyedge.layout import (
    EXPORT_DIR,
    MEMORY_JSON,
    TFLITE_NAME,
)


def cmd_build(args: argparse.Namespace) -> int:
    from tinyedge.firmware.build import build_firmware

    if args.out is not None:
        _check_build_out(args.out)
    result = build_firmware(args.board, args.model, args.out,
                            target="emulator" if args.emulator else "board")
    where = (f"QEMU {result.board.emulator.qemu_machine} stand-in"
             if args.emulator else result.board.mcu)
    print(f"{result.elf}  ({result.model_name} for {result.board.name}, {where})")
    for line in result.memory.lines():
        print(line)
    return 0


def _check_build_out(out: Path) -> None:
    """A build replaces its output folder: refuse one that holds anything but a build."""
    if out.exists() and any(out.iterdir()) and not (out / MEMORY_JSON).is_file():
        raise TinyedgeError(f"--out {out} already holds files that tinyedge build did not "
                            "write; pass a new or empty folder (a build replaces it)")


def cmd_flash(args: argparse.Namespace) -> int:
    from tinyedge.device.flash import flash_firmware
    from tinyedge.device.target import boot_check, build_protocol_firmware

    model = args.model or _only_export()
    if not args.emulate:  # no probe or tool: one line before anything is built
        from tinyedge.boards import load_board
        from tinyedge.device.flash import check_probe

        check_probe(load_board(args.board), probe=args.probe)
    build = build_protocol_firmware(args.board, model, emulated=args.emulate)
    if args.emulate:
        board = boot_check(build)
        print(f"{build.elf} boots in QEMU {build.board.emulator.qemu_machine} and answers "
              f"as {board}")
        return 0
    print(flash_firmware(build.board, build.elf, build.bin, probe=args.probe))
    return 0


def _probe_serial(text: str) -> str:
    """argparse type: a plain probe serial (tinyedge.tool_args), refused at parse time."""
    from tinyedge.tool_args import UnsafeArgumentError, probe_serial

    try:
        return probe_serial(text)
    except UnsafeArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _only_export() -> Path:
    models = sorted(p for p in Path(EXPORT_DIR).glob(f"*/{TFLITE_NAME}")
                    if not p.parent.name.startswith("."))  # not an unfinished export
    if len(models) != 1:
        raise TinyedgeError("pass --model PATH.tflite (export/ holds "
                            f"{len(models)} exported models)")
    return models[0]


def register(sub: argparse._SubParsersAction) -> None:
    """The parsers of `build`, `flash`."""
    p = sub.add_parser("build", help="cross-compile an int8 model into firmware for a board")
    p.add_argument("--board", required=True, help="a board from `tinyedge boards`")
    p.add_argument("--model", type=model_file, required=True,
                   help="int8 .tflite from tinyedge export")
    p.add_argument("--out", type=output_folder, default=None,
                   help="output folder (default build/<board>/<model>/); an existing one must "
                        "be empty or an earlier build")
    p.add_argument("--emulator", action="store_true",
                   help="build for the board's QEMU stand-in, with the board's memory limits")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("flash", help="build the firmware and put it on a board")
    p.add_argument("--board", required=True, help="a board from `tinyedge boards`")
    p.add_argument("--model", type=model_file, default=None, help="int8 .tflite (default: the "
                   "only model under export/)")
    p.add_argument("--probe", default=None, type=_probe_serial,
                   help="debug probe serial number (default: the only probe attached)")
    p.add_argument("--emulate", action="store_true",
                   help="boot the image in the emulator and check that it answers")
    p.set_defaults(func=cmd_flash)
