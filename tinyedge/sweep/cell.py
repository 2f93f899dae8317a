"""One sweep cell, run in its own process: train → float evaluation → export → host int8
evaluations → device evaluations. Every stage is skipped when its outputs exist and were
made from the same inputs (hashes in the manifests), so an interrupted cell picks up where
it stopped; training and device evaluation also resume mid-way on their own."""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tinyedge.data import load_dataset
from tinyedge.fileio import read_manifest, sha256_file, write_json_atomic
from tinyedge.firmware.build import FitError
from tinyedge.layout import (
    BUILD_DIR,
    CHECKPOINT_NAME,
    EXPORT_DIR,
    FLOAT_RUNTIME,
    METRICS_NAME,
    RESULTS_DIR,
    RUNS_DIR,
    SWEEP_STATE,
    TFLITE_NAME,
    device_runtime,
)
from tinyedge.models import resolve
from tinyedge.sweep.grid import BoardLink, Cell


class Dirs:
    """The sweep's folders under one root (the project root, :mod:`tinyedge.layout`):
    runs/, export/, results/, build/, and the sweep's own state in results/sweep/."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs = self.root / RUNS_DIR
        self.export = self.root / EXPORT_DIR
        self.results = self.root / RESULTS_DIR
        self.build = self.root / BUILD_DIR
        self.state = self.results / SWEEP_STATE
        self.cells = self.state / "cells"
        self.logs = self.state / "logs"
        self.locks = self.state / "locks"

    def marker(self, cell: Cell) -> Path:
        return self.cells / f"{cell.variant}-{cell.key()}.json"


def _made_from(folder: Path, input_name: str, sha: str) -> bool:
    """Whether ``folder`` holds a finished stage whose input ``input_name`` had ``sha``."""
    manifest = read_manifest(folder)
    return bool(manifest) and manifest["inputs"].get(input_name, {}).get("sha256") == sha


def run_cell(cell: Cell, dirs: Dirs, links: dict[str, BoardLink]) -> dict[str, Any]:
    """Run every stage of ``cell`` that is not already done; write and return its marker."""
    import torch

    torch.set_num_threads(cell.cpus)  # same arithmetic on every backend ⇒ same weights
    from tinyedge.evaluate import evaluate_checkpoint, evaluate_tflite
    from tinyedge.export import export_model
    from tinyedge.train import train

    dataset = load_dataset(cell.dataset)
    notes: list[str] = []
    run = train(cell.train_config(), dataset, dirs.runs,
                device="cuda" if cell.gpus and torch.cuda.is_available() else "cpu")
    checkpoint_sha = sha256_file(run.checkpoint)
    variant_results = dirs.results / cell.variant
    if not _made_from(variant_results / FLOAT_RUNTIME, "checkpoint", checkpoint_sha):
        evaluate_checkpoint(run.checkpoint, dataset, variant_results / FLOAT_RUNTIME,
                            limit=cell.eval_limit)
    export_dir = dirs.export / cell.variant
    if not _made_from(export_dir, "checkpoint", checkpoint_sha):
        export_model(resolve(cell.arch, cell.width), run.checkpoint, dirs.export,
                     seed=cell.seed, dataset=dataset)
    model = export_dir / TFLITE_NAME
    model_sha = sha256_file(model)
    for runtime, limit in cell.host_evaluations():  # the grid's runtimes, the tflm audit
        if not _made_from(variant_results / runtime, "model", model_sha):
            evaluate_tflite(model, runtime, variant_results / runtime, dataset=dataset,
                            limit=limit)
    for board in cell.boards:
        reach = "board" if links.get(board) is not None else "qemu"
        out = variant_results / device_runtime(board, reach)
        if _made_from(out, "model", model_sha):
            continue
        try:
            _evaluate_on_board(cell, board, model, out, dirs, links.get(board))
        except FitError as exc:
            notes.append(f"{board}: {exc}")
    marker = {"cell": cell.key(), "variant": cell.variant, "status": "done",
              "notes": notes, "checkpoint_sha256": checkpoint_sha, "model_sha256": model_sha}
    write_json_atomic(dirs.marker(cell), marker)
    return marker


def _evaluate_on_board(cell: Cell, board: str, model: Path, out: Path, dirs: Dirs,
                       link: BoardLink | None) -> None:
    from tinyedge.device.evaluate import evaluate_on_device
    from tinyedge.device.flash import flash_firmware
    from tinyedge.device.target import build_protocol_firmware, device_target

    if link is None:  # emulated: any number of jobs at once
        target = device_target(board, model, build_root=dirs.build)
        evaluate_on_device(model, target, out, mode=cell.device_mode, limit=cell.eval_limit)
        return
    with _board_lock(dirs, board):  # one job at a time on a real board
        build = build_protocol_firmware(board, model, emulated=False, build_root=dirs.build)
        flash_firmware(build.board, build.elf, build.bin, probe=link.probe)
        target = device_target(board, model, port=link.port, build_root=dirs.build)
        evaluate_on_device(model, target, out, mode="stream", limit=cell.eval_limit)


@contextlib.contextmanager
def _board_lock(dirs: Dirs, board: str) -> Iterator[None]:
    dirs.locks.mkdir(parents=True, exist_ok=True)
    with open(dirs.locks / f"{board}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def is_done(cell: Cell, dirs: Dirs) -> bool:
    """A cell is done when its marker exists and the outputs it names are unchanged."""
    path = dirs.marker(cell)
    if not path.is_file():
        return False
    marker = json.loads(path.read_text())
    checkpoint = dirs.runs / cell.variant / CHECKPOINT_NAME
    model = dirs.export / cell.variant / TFLITE_NAME
    return (checkpoint.is_file() and model.is_file()
            and sha256_file(checkpoint) == marker["checkpoint_sha256"]
            and sha256_file(model) == marker["model_sha256"]
            and (dirs.results / cell.variant / FLOAT_RUNTIME / METRICS_NAME).is_file())
