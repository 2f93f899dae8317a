"""`tinyedge analyze scaling` and `tinyedge report`: analyses of evaluated models."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tinyedge.cli_args import (
    input_file,
    output_file,
)

_scaling_table = input_file("scaling table", "pass --table with a CSV file (columns "
                            "arch,width,params,seed,accuracy or top1), e.g. results/results.csv "
                            "or results/variants.csv")


def cmd_analyze_scaling(args: argparse.Namespace) -> int:
    from tinyedge.analysis import analyze_table, format_scaling_report

    report = analyze_table(args.table, args.runtime)
    print(json.dumps(report, indent=2) if args.json else format_scaling_report(report))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from tinyedge.report import build_report

    result = build_report(args.results_dir, args.out)
    print(result.html)
    print(f"{result.contents}, {result.n_runs} records, {result.n_figures} figures")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """The parsers of `analyze`, `report`."""
    p = sub.add_parser("analyze", help="analyses of evaluated models")
    analyze_sub = p.add_subparsers(dest="analyze_command", required=True, metavar="ANALYSIS")
    a = analyze_sub.add_parser(
        "scaling", help="fit error vs parameters per architecture: power law, local "
        "exponents, broken power law",
        description="Fit log(error) against log(parameters) per architecture. An "
        "architecture with one size is skipped with a note; with 2 sizes only α is given "
        "(R² and the verdict need ≥ 3 widths).")
    a.add_argument("--table", type=_scaling_table, required=True,
                   help="CSV, one row per trained model, with the columns arch, width, "
                   "params, seed and the top-1 accuracy as a fraction in accuracy or top1 "
                   "(other columns are ignored): tinyedge sweep's results.csv / "
                   "results_<runtime>.csv, or tinyedge report's variants.csv")
    a.add_argument("--runtime", default=None, metavar="NAME",
                   help="for a table with a runtime column (variants.csv): the runtime "
                   "whose rows to fit, e.g. tflm or device-nucleo-f746-qemu (default float)")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    a.set_defaults(func=cmd_analyze_scaling)

    p = sub.add_parser("report", help="one HTML page comparing float, int8 and device runs")
    p.add_argument("results_dir", type=Path, metavar="RESULTS_DIR",
                   help="the results folder (results/<variant>/<runtime>/)")
    p.add_argument("--out", type=output_file, default=None,
                   help="HTML file (default RESULTS_DIR/report.html); summary.json and CSV "
                        "tables go next to it")
    p.set_defaults(func=cmd_report)
