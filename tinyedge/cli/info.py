"""`tinyedge models` and `tinyedge boards`: what the zoo and the board files hold."""

from __future__ import annotations

import argparse
import json


def cmd_models(args: argparse.Namespace) -> int:
    from tinyedge.models import all_specs, describe, reference_specs

    rows = [describe(spec) for spec in [*all_specs(), *reference_specs()]]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'arch':<14} {'width':>6} {'input':>9} {'outputs':>7} {'params':>12} {'MACs':>14}"
          "  family")
    for row in rows:
        width = row["name"].split("-w")[1]
        shape = "×".join(map(str, row["input_shape"]))
        print(f"{row['arch']:<14} {width:>6} {shape:>9} {row['outputs']:>7} "
              f"{row['params']:>12,} {row['macs']:>14,}  {row['family']}")
    return 0


def cmd_boards(args: argparse.Namespace) -> int:
    from tinyedge.boards import all_boards

    rows = [board.summary() for board in all_boards()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'board':<14} {'MCU':<17} {'core':<10} {'clock':>8} {'flash':>8} {'RAM':>8}  emulator")
    for r in rows:
        print(f"{r['name']:<14} {r['mcu']:<17} {r['core']:<10} {r['clock_hz'] / 1e6:>4.0f} MHz "
              f"{r['flash_bytes'] // 1024:>5} KB {r['ram_bytes'] // 1024:>5} KB  {r['emulator']}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """The parsers of `models`, `boards`."""
    p = sub.add_parser("models", help="list the model zoo with parameters and MACs")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("boards", help="list the supported boards")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_boards)
