"""A 2-width × 2-seed grid on the digits set, 1 epoch, through the whole pipeline (train,
export, host int8, emulated nucleo-f746, report): killed midway and resumed on the local
backend, then run again on a real local Ray instance — the same results either way."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tinyedge.sweep import load_grid, run_sweep
from tinyedge.sweep.grid import GridError

pytestmark = [pytest.mark.cross, pytest.mark.qemu, pytest.mark.ray, pytest.mark.tensorflow]

GRID = """
dataset = "digits"
epochs = 1
seeds = [0, 1]
runtimes = ["tflm"]
boards = ["nucleo-f746"]
device_mode = "batch"
eval_limit = 20

[[models]]
arch = "scalecnn"
widths = [4, 8]
"""
VARIANTS = ["scalecnn-w4-s0", "scalecnn-w4-s1", "scalecnn-w8-s0", "scalecnn-w8-s1"]
RUNTIMES = ["float", "tflm", "device-nucleo-f746-qemu"]  # emulated: its own folder


@pytest.fixture(scope="module")
def grid_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("grid") / "small.toml"
    path.write_text(GRID)
    return path


def _markers(root: Path) -> list[Path]:
    return sorted((root / "results/sweep/cells").glob("*.json"))


def _logits(root: Path) -> dict[tuple[str, str], np.ndarray]:
    out = {}
    for variant in VARIANTS:
        for runtime in RUNTIMES:
            with np.load(root / "results" / variant / runtime / "predictions.npz") as npz:
                out[(variant, runtime)] = npz["logits"]
    return out


@pytest.fixture(scope="module")
def local_root(grid_file, tmp_path_factory):
    """The local backend, killed after its first finished cell, then resumed."""
    root = tmp_path_factory.mktemp("local")
    exe = str(Path(sys.executable).with_name("tinyedge"))
    args = [exe, "-q", "sweep", "--grid", str(grid_file), "--root", str(root), "--jobs", "1"]
    proc = subprocess.Popen(args, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None and not _markers(root):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    first = _markers(root)
    assert len(first) == 1, "the sweep must be killed after exactly one finished cell"
    variant = json.loads(first[0].read_text())["variant"]
    checkpoint = root / "runs" / variant / "checkpoint.pt"
    before = checkpoint.stat().st_mtime_ns

    result = run_sweep(load_grid(str(grid_file)), root, backend="local", jobs=2)
    assert result.skipped == [variant], "the finished cell is not run again"
    assert sorted(result.done) == sorted(set(VARIANTS) - {variant}) and not result.failed
    assert checkpoint.stat().st_mtime_ns == before
    return root, result


def test_local_sweep_resumes_and_writes_tables_and_report(local_root):
    root, result = local_root
    assert len(_markers(root)) == 4
    table = (root / "results/results.csv").read_text().splitlines()
    assert table[0] == "arch,width,params,seed,accuracy" and len(table) == 5
    assert (root / "results/results_device-nucleo-f746-qemu.csv").is_file()
    assert result.report == root / "results/report.html" and result.report.is_file()


def test_rerun_skips_every_cell(local_root, grid_file):
    root, _ = local_root
    result = run_sweep(load_grid(str(grid_file)), root, report=False)
    assert sorted(result.skipped) == VARIANTS and not result.done


def test_ray_backend_gives_the_same_results(local_root, grid_file, tmp_path):
    root, _ = local_root
    result = run_sweep(load_grid(str(grid_file)), tmp_path, backend="ray", jobs=2,
                       report=False)
    assert sorted(result.done) == VARIANTS and not result.failed, result.failed
    local, ray = _logits(root), _logits(tmp_path)
    for key, logits in local.items():
        np.testing.assert_array_equal(ray[key], logits, err_msg=str(key))


def test_a_failing_cell_does_not_stop_the_others(tmp_path):
    grid = tmp_path / "bad.toml"
    grid.write_text(GRID.replace('boards = ["nucleo-f746"]', 'boards = ["no-such-board"]')
                    .replace("seeds = [0, 1]", "seeds = [0]").replace("[4, 8]", "[4]"))
    result = run_sweep(load_grid(str(grid)), tmp_path, report=False)
    assert list(result.failed) == ["scalecnn-w4-s0"]
    log = Path(result.failed["scalecnn-w4-s0"]).read_text()
    assert "no-such-board" in log


@pytest.mark.parametrize(("text", "message"), [
    ("[[models]]\narch = \"vgg\"\nwidths = [4]\n", "unknown architecture 'vgg'"),
    ("seeds = [0]\n", "no [[models]] entries"),
    ("runtimes = [\"gpu\"]\n[[models]]\narch = \"scalecnn\"\nwidths = [4]\n",
     "unknown runtimes"),
    ("not toml = = 1", "is not valid TOML"),
    ("epochs = 0\n[[models]]\narch = \"scalecnn\"\nwidths = [4]\n",
     "[train] training setting epochs must be ≥ 1, got 0"),
    ("lr = nan\n[[models]]\narch = \"scalecnn\"\nwidths = [4]\n",
     "training setting lr must be a finite number > 0"),
    ("[train]\nbatch_size = 1.5\n[[models]]\narch = \"scalecnn\"\nwidths = [4]\n",
     "training setting batch_size must be a whole number"),
    ("eval_limit = -5\n[[models]]\narch = \"scalecnn\"\nwidths = [4]\n",
     "eval_limit must be a whole number ≥ 1"),
    ("cpus = 0\n[[models]]\narch = \"scalecnn\"\nwidths = [4]\n", "cpus must be"),
    ("gpus = inf\n[[models]]\narch = \"scalecnn\"\nwidths = [4]\n", "gpus must be"),
    ("boards = \"nucleo-f746\"\n[[models]]\narch = \"scalecnn\"\nwidths = [4]\n",
     "boards must be a list of strings"),
    ("[[models]]\narch = \"scalecnn\"\nwidths = \"4\"\n", "widths (a list of numbers)"),
    ("models = 3\n", "models must be an array of tables"),
])
def test_bad_grid_files(tmp_path, text, message, run_cli):
    path = tmp_path / "g.toml"
    path.write_text(text)
    result = run_cli("sweep", "--grid", str(path), "--root", str(tmp_path))
    assert result.code == 2 and message in result.err
    assert len(result.err.strip().splitlines()) == 1
    with pytest.raises(GridError):
        load_grid(str(path))


def test_paper_grid_is_the_spec():
    grid = load_grid("paper")
    cells = grid.cells()
    assert len(cells) == 18 * 5 and grid.dataset == "cifar100"
    assert {c.seed for c in cells} == {0, 1, 2, 3, 4}
    assert cells[0].train_config().epochs == 200 and cells[0].train_config().lr == 0.1
    assert len({c.key() for c in cells}) == 90
