"""``tinyedge sweep``: run every cell of a grid on a backend, skipping finished cells,
then write the scaling tables and the cross-width report.

Each cell runs as ``python -m tinyedge.sweep.worker`` in its own process with its own log
(``results/sweep/logs/<variant>.log``): a failing cell is reported with its log and the
others go on. Backends:

- ``local``: a pool of worker processes on this machine (``--jobs``, default cores ÷ the
  cell's CPUs);
- ``ray``: Ray tasks declaring each cell's CPUs and GPUs; ``--address`` joins an existing
  cluster (whose nodes must see the same root folder and have tinyedge installed),
  otherwise a local Ray instance is started.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tinyedge.fileio import atomic_path, read_manifest, write_json_atomic
from tinyedge.layout import (
    FLOAT_RUNTIME,
    METRICS_NAME,
    REPORT_HTML,
    device_runtime,
    scaling_table_name,
)
from tinyedge.progress import Progress, SilentProgress
from tinyedge.records import load_metrics
from tinyedge.sweep.cell import Dirs, is_done
from tinyedge.sweep.grid import BoardLink, Cell, Grid

Backend = Literal["local", "ray"]
SCALING_COLUMNS = ("arch", "width", "params", "seed", "accuracy")


@dataclass
class SweepResult:
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # variant → log path
    tables: list[Path] = field(default_factory=list)
    report: Path | None = None


def worker_command(cell_file: Path, root: Path, links_file: Path | None,
                   python: str = sys.executable) -> list[str]:
    command = [python, "-m", "tinyedge.sweep.worker", str(cell_file), str(root)]
    return command + ([str(links_file)] if links_file else [])


def run_worker(command: list[str], log: Path, cpus: int) -> int:
    """Run one cell's worker with its output in ``log``; return its exit code."""
    env = {**os.environ, "OMP_NUM_THREADS": str(cpus), "TF_CPP_MIN_LOG_LEVEL": "3"}
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                              stdin=subprocess.DEVNULL).returncode


def run_sweep(
    grid: Grid,
    root: str | Path = ".",
    *,
    backend: Backend = "local",
    jobs: int | None = None,
    links: dict[str, BoardLink] | None = None,
    address: str | None = None,
    report: bool = True,
    progress: Progress | None = None,
) -> SweepResult:
    progress = progress or SilentProgress()
    dirs = Dirs(Path(root).resolve())
    result = SweepResult()
    cells = grid.cells()
    todo = []
    for cell in cells:
        (result.skipped if is_done(cell, dirs) else todo).append(cell)
    result.skipped = [c.variant for c in result.skipped]
    if result.skipped:
        progress.message(f"{len(result.skipped)} of {len(cells)} cells already done; "
                         f"running {len(todo)}")
    dirs.cells.mkdir(parents=True, exist_ok=True)
    links_file = None
    if links:
        links_file = dirs.state / "boards.json"
        write_json_atomic(links_file, {k: vars(v) for k, v in links.items()})
    jobs = jobs or max(1, (os.cpu_count() or 1) // max(1, grid.cpus))
    bar = progress.task(len(cells), f"sweep {grid.name} ({backend})", unit="cell")
    bar.advance(len(result.skipped))

    def finished(cell: Cell, code: int) -> None:
        if code == 0:
            result.done.append(cell.variant)
        else:
            log = dirs.logs / f"{cell.variant}.log"
            result.failed[cell.variant] = str(log)
            progress.message(f"cell {cell.variant} failed (exit {code}); log: {log}")
        bar.advance(1)

    try:
        run = _run_local if backend == "local" else _run_ray
        run(todo, dirs, links_file, jobs, address, finished)
    finally:
        bar.close()
    result.tables = write_scaling_tables(cells, dirs)
    if report:
        from tinyedge.report import build_report

        result.report = build_report(dirs.results, dirs.results / REPORT_HTML).html
    return result


def _prepare(cell: Cell, dirs: Dirs) -> Path:
    path = dirs.state / "pending" / f"{cell.variant}-{cell.key()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cell.to_json())
    return path


def _run_local(cells: list[Cell], dirs: Dirs, links_file: Path | None, jobs: int,
               address: str | None, finished: Callable[[Cell, int], None]) -> None:
    def one(cell: Cell) -> None:
        command = worker_command(_prepare(cell, dirs), dirs.root, links_file)
        finished(cell, run_worker(command, dirs.logs / f"{cell.variant}.log", cell.cpus))

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, cells))


def _run_ray(cells: list[Cell], dirs: Dirs, links_file: Path | None, jobs: int,
             address: str | None, finished: Callable[[Cell, int], None]) -> None:
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        options = {"address": address} if address else {"num_cpus": jobs, "num_gpus": 0}
        ray.init(include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                 **options)

    @ray.remote
    def remote_cell(cell_json: str, root: str, links: str | None, log: str) -> int:
        # Runs on whichever node Ray picks, with that node's Python.
        cell = Cell.from_json(cell_json)
        cell_file = Dirs(root).state / "pending" / f"{cell.variant}-{cell.key()}.json"
        cell_file.parent.mkdir(parents=True, exist_ok=True)
        cell_file.write_text(cell_json)
        return run_worker(worker_command(cell_file, Path(root),
                                         Path(links) if links else None, sys.executable),
                          Path(log), cell.cpus)

    try:
        pending = {
            remote_cell.options(num_cpus=c.cpus, num_gpus=c.gpus).remote(
                c.to_json(), str(dirs.root), str(links_file) if links_file else None,
                str(dirs.logs / f"{c.variant}.log")): c
            for c in cells}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                finished(pending.pop(ref), ray.get(ref))
    finally:
        if started_here:
            ray.shutdown()


def write_scaling_tables(cells: list[Cell], dirs: Dirs) -> list[Path]:
    """``results.csv`` (float accuracy) and ``results_<runtime>.csv`` for every deployed
    runtime, one row per finished cell, in the ``analyze scaling`` table format."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for cell in cells:
        train_manifest = read_manifest(dirs.runs / cell.variant)
        if train_manifest is None:
            continue
        params = train_manifest["figures"].get("params")
        if params is None:
            continue
        folders = [FLOAT_RUNTIME, *cell.runtimes,  # not the tflm audit: a sample
                   *(device_runtime(b, reach) for b in cell.boards for reach in ("qemu", "board"))]
        for folder in folders:
            path = dirs.results / cell.variant / folder
            if not (path / METRICS_NAME).is_file():
                continue
            rows.setdefault(folder, []).append({
                "arch": cell.arch, "width": cell.width, "params": params, "seed": cell.seed,
                "accuracy": load_metrics(path)["top1"]})
    written = []
    for folder, table in rows.items():
        path = dirs.results / scaling_table_name(folder)
        with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=SCALING_COLUMNS)
            writer.writeheader()
            writer.writerows(table)
        written.append(path)
    return written


def summary_lines(result: SweepResult) -> list[str]:
    lines = [f"cells: {len(result.done)} run, {len(result.skipped)} already done, "
             f"{len(result.failed)} failed"]
    lines += [f"failed: {variant} (log: {log})" for variant, log in result.failed.items()]
    lines += [f"table: {path}" for path in result.tables]
    if result.report:
        lines.append(f"report: {result.report}")
    return lines
