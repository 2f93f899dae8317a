"""Grids: native is the sweep's host int8 runtime, TFLite Micro its audited reference on a
sample (fast tier: no cell runs)."""

from __future__ import annotations

import pytest

from tinyedge.sweep import load_grid
from tinyedge.sweep.grid import GridError

MODELS = "[[models]]\narch = \"scalecnn\"\nwidths = [4]\n"


def _grid(tmp_path, text: str):
    path = tmp_path / "g.toml"
    path.write_text(text + MODELS)
    return load_grid(str(path))


def test_native_is_the_default_and_tflm_audits_the_first_200_images(tmp_path):
    cell = _grid(tmp_path, "").cells()[0]
    assert cell.runtimes == ("native",) and cell.tflm_audit == 200
    assert cell.host_evaluations() == [("native", None), ("tflm", 200)]


def test_presets_run_native_and_litert_with_the_tflm_audit():
    for name in ("paper", "demo"):
        cell = load_grid(name).cells()[0]
        assert cell.host_evaluations() == [("native", None), ("litert", None), ("tflm", 200)]


def test_the_audit_never_exceeds_eval_limit_and_is_not_doubled(tmp_path):
    limited = _grid(tmp_path, "eval_limit = 50\n").cells()[0]
    assert limited.host_evaluations() == [("native", 50), ("tflm", 50)]
    with_tflm = _grid(tmp_path, "runtimes = [\"native\", \"tflm\"]\n").cells()[0]
    assert with_tflm.host_evaluations() == [("native", None), ("tflm", None)]


@pytest.mark.parametrize("off", ["0", "false"])
def test_the_audit_can_be_switched_off(tmp_path, off):
    cell = _grid(tmp_path, f"tflm_audit = {off}\n").cells()[0]
    assert cell.tflm_audit is None and cell.host_evaluations() == [("native", None)]


def test_the_audit_size_is_part_of_the_cell_key(tmp_path):
    a = _grid(tmp_path, "tflm_audit = 100\n").cells()[0]
    b = _grid(tmp_path, "tflm_audit = 300\n").cells()[0]
    assert a.key() != b.key() and a.host_evaluations()[-1] == ("tflm", 100)


@pytest.mark.parametrize("value", ["-1", "2.5", "\"all\"", "true"])
def test_bad_tflm_audit_is_one_line(tmp_path, run_cli, value):
    path = tmp_path / "g.toml"
    path.write_text(f"tflm_audit = {value}\n{MODELS}")
    result = run_cli("sweep", "--grid", str(path), "--root", str(tmp_path))
    assert result.code == 2 and "tflm_audit must be a whole number ≥ 1" in result.err
    assert len(result.err.strip().splitlines()) == 1
    with pytest.raises(GridError):
        load_grid(str(path))
