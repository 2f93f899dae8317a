"""The artifact layout: manifests store paths relative to the project root (the folder a
command runs in), and the report resolves them from the project root of the results
folder, whatever folder the report itself runs in."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tinyedge.fileio import file_entry, write_manifest
from tinyedge.layout import (
    CHECKPOINT_NAME,
    FLOAT_RUNTIME,
    MANIFEST_NAME,
    RESULTS_DIR,
    RUNS_DIR,
    project_root_of,
    resolve_stored,
    stored_path,
)
from tinyedge.records import make_record, write_record
from tinyedge.report.collect import collect

VARIANT = "scalecnn-w4-s0"
PARAMS = 12_345  # not ScaleCNN c=4's 21,936-ish count: proves it was read from the manifest


def test_paths_inside_the_root_are_relative_with_forward_slashes(tmp_path):
    path = tmp_path / "runs" / VARIANT / CHECKPOINT_NAME
    assert stored_path(path, tmp_path) == f"runs/{VARIANT}/{CHECKPOINT_NAME}"
    assert resolve_stored(f"runs/{VARIANT}/{CHECKPOINT_NAME}", tmp_path) == path


def test_paths_outside_the_root_stay_absolute(tmp_path):
    root, elsewhere = tmp_path / "project", tmp_path / "shared" / "model.tflite"
    assert stored_path(elsewhere, root) == elsewhere.as_posix()
    assert resolve_stored(elsewhere.as_posix(), root) == elsewhere


def test_the_default_root_is_the_folder_the_command_runs_in(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert stored_path(Path("runs") / "x" / "a.pt") == "runs/x/a.pt"
    assert stored_path(tmp_path / "export" / "m.tflite") == "export/m.tflite"
    assert project_root_of(tmp_path / RESULTS_DIR) == tmp_path


def _train_and_evaluate(project: Path) -> dict:
    """What `tinyedge train` and `tinyedge evaluate --checkpoint` leave, written with
    their own manifest functions while the command runs in ``project``."""
    run_dir = Path(RUNS_DIR) / VARIANT
    run_dir.mkdir(parents=True)
    (run_dir / CHECKPOINT_NAME).write_bytes(b"weights")
    write_manifest(run_dir, "train", outputs={"checkpoint": file_entry(run_dir / CHECKPOINT_NAME)},
                   figures={"params": PARAMS})
    out = Path(RESULTS_DIR) / VARIANT / FLOAT_RUNTIME
    labels = np.arange(20) % 10
    logits = np.eye(10, dtype=np.float32)[labels]
    write_record(out, make_record(labels, logits), [str(i) for i in range(10)],
                 runtime=FLOAT_RUNTIME)
    write_manifest(out, "evaluate",
                   inputs={"checkpoint": file_entry(run_dir / CHECKPOINT_NAME)})
    return json.loads((out / MANIFEST_NAME).read_text())


def test_report_resolves_manifest_paths_from_another_folder(tmp_path, monkeypatch):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(project)
    manifest = _train_and_evaluate(project)
    assert manifest["inputs"]["checkpoint"]["path"] == f"runs/{VARIANT}/{CHECKPOINT_NAME}"
    monkeypatch.chdir(elsewhere)
    (variant,) = collect(project / RESULTS_DIR).variants
    assert variant.params == PARAMS
    monkeypatch.chdir(project)  # and relative to the project, as `tinyedge report results`
    (variant,) = collect(Path(RESULTS_DIR)).variants
    assert variant.params == PARAMS


def test_report_reads_old_manifests_with_absolute_paths(tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    _train_and_evaluate(project)
    evaluated = project / RESULTS_DIR / VARIANT / FLOAT_RUNTIME / MANIFEST_NAME
    old = json.loads(evaluated.read_text())  # as written before paths were stored relative
    old["inputs"]["checkpoint"]["path"] = str(project / RUNS_DIR / VARIANT / CHECKPOINT_NAME)
    evaluated.write_text(json.dumps(old))
    moved = tmp_path / "moved-results"
    (project / RESULTS_DIR).rename(moved)  # the absolute path needs no project root
    monkeypatch.chdir(tmp_path)
    (variant,) = collect(moved).variants
    assert variant.params == PARAMS
