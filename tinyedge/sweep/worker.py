"""``python -m tinyedge.sweep.worker CELL.json ROOT [LINKS.json]``: run one cell in a
fresh process (its own log, its own failure)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tinyedge.sweep.cell import Dirs, run_cell
from tinyedge.sweep.grid import BoardLink, Cell


def main(argv: list[str]) -> int:
    cell = Cell.from_json(Path(argv[0]).read_text())
    links = {}
    if len(argv) > 2:
        links = {k: BoardLink(**v) for k, v in json.loads(Path(argv[2]).read_text()).items()}
    root = Path(argv[1]).resolve()
    # The sweep root is the project root of every stage the cell runs: manifests store
    # their paths relative to it (tinyedge.layout.stored_path).
    os.chdir(root)
    marker = run_cell(cell, Dirs(root), links)
    print(json.dumps(marker))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
