"""The ``tinyedge`` command line: parses arguments and calls the library, nothing more.
One module per command group (``info``, ``data``, ``train``, ``export``, ``evaluate``,
``results``, ``firmware``, ``sweep``), each with its ``cmd_*`` functions and a
``register(sub)`` that adds its parsers; what they share is in ``common``.

User errors (:class:`tinyedge.errors.TinyedgeError`) end as one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from tinyedge import __version__
from tinyedge.cli import data, evaluate, export, firmware, info, results, sweep, train
from tinyedge.cli.common import Parser
from tinyedge.errors import TinyedgeError


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="tinyedge", description="Train, deploy and evaluate tiny int8 image classifiers.")
    parser.add_argument("--version", action="version", version=f"tinyedge {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for command_group in (info, data, train, export, evaluate, results, firmware, sweep):
        command_group.register(sub)
    for command in sub.choices.values():  # `tinyedge models -q` as well as `tinyedge -q models`
        command.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                             help="no progress bars")
    return parser


def _resumable(args: argparse.Namespace | None, argv: Sequence[str]) -> bool:
    """Training, sweeps and device evaluation keep finished work and continue from it when
    run again; an interrupted export, build or host evaluation keeps nothing (an export
    removes its unfinished folder), so it says nothing about resuming. Interrupted before
    the arguments were parsed, the command word of ``argv`` decides."""
    if args is None:
        words = [w for w in argv if not w.startswith("-")]
        command = words[0] if words else ""
        board = any(w == "--board" or w.startswith("--board=") for w in argv)
    else:
        command, board = args.command, getattr(args, "board", None) is not None
    return command in ("train", "sweep") or (command == "evaluate" and board)


def main(argv: Sequence[str] | None = None) -> int:
    args = None
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # --help, --version, or a one-line argument error
            return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except TinyedgeError as exc:
        print(f"tinyedge: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        resumable = _resumable(args, sys.argv[1:] if argv is None else argv)
        hint = "; run the same command again to resume" if resumable else ""
        print(f"tinyedge: interrupted{hint}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`tinyedge models | head -1`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # the file system refused: disk full, permissions, read-only
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"tinyedge: error: {exc.strerror or exc}{where}; check the path, its "
              "permissions and the free space", file=sys.stderr)
        return 2


def _one_line(text: str) -> str:
    """The error message as one line (a message may quote a multi-line tool output)."""
    return " ".join(text.split("\n")).strip()
