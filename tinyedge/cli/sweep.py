"""`tinyedge sweep` and `tinyedge demo`: grids of cells through the whole pipeline."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from tinyedge.cli.common import (
    progress_of,
)
from tinyedge.cli_args import (
    input_file,
    output_folder,
    positive_int,
)


def cmd_sweep(args: argparse.Namespace) -> int:
    from tinyedge.sweep import load_board_map, load_grid, run_sweep, summary_lines

    grid = load_grid(args.grid)
    if args.epochs is not None:
        grid = replace(grid, train={**grid.train, "epochs": args.epochs})
    result = run_sweep(grid, args.root, backend=args.backend, jobs=args.jobs,
                       links=load_board_map(args.boards), address=args.address,
                       progress=progress_of(args))
    for line in summary_lines(result):
        print(line)
    return 1 if result.failed else 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The whole pipeline on embedded defaults: train three small widths on the digits
    set, export them, evaluate them on host runtimes and on an emulated nucleo-f746, and
    write the HTML report."""
    from tinyedge.sweep import load_grid, run_sweep, summary_lines

    grid = load_grid("demo")
    if args.epochs is not None:
        grid = replace(grid, train={**grid.train, "epochs": args.epochs})
    result = run_sweep(grid, args.root, jobs=args.jobs, progress=progress_of(args))
    for line in summary_lines(result):
        print(line)
    return 1 if result.failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    """The parsers of `sweep`, `demo`."""
    p = sub.add_parser("sweep", help="run a grid of widths × seeds through the pipeline")
    p.add_argument("--grid", default="paper",
                   help="paper (SPEC's 18 sizes × 5 seeds), demo, or a grid TOML file "
                        "(default paper)")
    p.add_argument("--backend", choices=["local", "ray"], default="local",
                   help="run cells in local processes or on a Ray cluster (default local)")
    p.add_argument("--jobs", type=positive_int("a number of parallel cells ≥ 1, e.g. 2"),
                   default=None, help="parallel cells (default: cores ÷ CPUs per cell)")
    p.add_argument("--boards", type=input_file("board map", "pass --boards with a TOML file"),
                   default=None,
                   help="TOML map of attached boards: [nucleo-f746] port = ..., probe = ...")
    p.add_argument("--address", default=None, help="Ray cluster address to join")
    p.add_argument("--epochs", type=positive_int("the number of epochs, e.g. 15"),
                   default=None, help="override the grid's epochs")
    p.add_argument("--root", type=output_folder, default=Path("."),
                   help="folder holding runs/, export/, results/, build/ (default .)")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("demo", help="the whole pipeline on embedded defaults (digits)")
    p.add_argument("--epochs", type=positive_int("the number of epochs, e.g. 15"),
                   default=None, help="default 15")
    p.add_argument("--jobs", type=positive_int("a number of parallel cells ≥ 1, e.g. 2"),
                   default=None, help="parallel cells (default: cores)")
    p.add_argument("--root", type=output_folder, default=Path("."),
                   help="folder holding runs/, export/, results/, build/ (default .)")
    p.set_defaults(func=cmd_demo)
