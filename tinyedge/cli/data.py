"""`tinyedge data fetch`: download and verify a dataset."""

from __future__ import annotations

import argparse

from tinyedge.cli.common import (
    progress_of,
)
from tinyedge.cli_args import (
    https_url,
    output_folder,
)


def cmd_data_fetch(args: argparse.Namespace) -> int:
    from tinyedge.data import default_root
    from tinyedge.data.cifar100 import URL, fetch

    root = args.root or default_root()
    task = None

    def report(done: int, total: int | None) -> None:
        nonlocal task
        if task is None:
            task = progress_of(args).task(total, "download cifar-100", unit="B")
        task.advance(done - report.last)  # type: ignore[attr-defined]
        report.last = done  # type: ignore[attr-defined]

    report.last = 0  # type: ignore[attr-defined]
    try:
        folder = fetch(root, url=args.url or URL, progress=report)
    finally:
        if task is not None:
            task.close()
    print(f"CIFAR-100 ready in {folder}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """The parsers of `data`."""
    p = sub.add_parser("data", help="dataset management")
    data_sub = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    f = data_sub.add_parser("fetch", help="download and verify a dataset")
    f.add_argument("name", choices=["cifar100"], help="the dataset to fetch")
    f.add_argument("--root", type=output_folder, default=None,
                   help="destination folder (default $TINYEDGE_DATA or ./data)")
    f.add_argument("--url", type=https_url, default=None,
                   help="https:// mirror URL of cifar-100-python.tar.gz (its MD5 is checked)")
    f.set_defaults(func=cmd_data_fetch)
