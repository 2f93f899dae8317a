"""Finding and validating records: user errors, label checks, seeds."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from report.results_tree import CLASS_NAMES, LABELS, float_logits, predictions

from tinyedge.analysis import error_mask, seed_pair_jaccard
from tinyedge.errors import TinyedgeError
from tinyedge.records import make_record, write_record
from tinyedge.report import build_report
from tinyedge.report.collect import collect


def write_float(folder, errors, seed=0, labels=LABELS) -> None:
    record = make_record(labels, float_logits(predictions(errors), seed))
    write_record(folder, record, CLASS_NAMES, runtime="float")


def test_missing_folder_is_one_clear_error(tmp_path):
    with pytest.raises(TinyedgeError, match="does not exist"):
        collect(tmp_path / "nope")


def test_folder_without_records_is_one_clear_error(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "scalecnn-w8-s0" / "float").mkdir(parents=True)
    with pytest.raises(TinyedgeError, match="no prediction records under"):
        collect(tmp_path)


def test_runs_with_different_labels_are_refused(tmp_path):
    write_float(tmp_path / "scalecnn-w8-s0" / "float", range(3))
    other = make_record(np.roll(LABELS, 1), float_logits(LABELS, 1))
    write_record(tmp_path / "scalecnn-w8-s0" / "tflm", other, CLASS_NAMES, runtime="tflm")
    with pytest.raises(TinyedgeError, match="different labels"):
        collect(tmp_path)


def test_unrecognised_folders_are_noted_not_fatal(tmp_path):
    write_float(tmp_path / "scalecnn-w8-s0" / "float", range(3))
    write_float(tmp_path / "my-experiment" / "float", range(3))
    col = collect(tmp_path)
    assert [v.name for v in col.variants] == ["scalecnn-w8-s0"]
    assert any("my-experiment" in n for n in col.notes)


def test_seed_pair_jaccard_where_a_width_has_several_seeds(tmp_path):
    errors = {0: range(0, 12), 1: range(6, 18), 2: range(0, 6)}
    for seed, err in errors.items():
        write_float(tmp_path / f"scalecnn-w8-s{seed}" / "float", err, seed)
    write_float(tmp_path / "scalecnn-w16-s0" / "float", range(0, 4), 9)
    result = build_report(tmp_path)
    seeds = [r for r in json.loads(result.summary.read_text())["seeds"]
             if r["kind"] == "float"]
    assert len(seeds) == 1 and seeds[0]["seeds"] == 3 and seeds[0]["width"] == 8
    masks = [error_mask(LABELS, predictions(e)) for e in errors.values()]
    expected = seed_pair_jaccard(masks, n_boot=2000)
    assert seeds[0]["mean"] == pytest.approx(expected.mean)
    assert seeds[0]["std"] == pytest.approx(expected.std)
    # pairs (0,1): 6/18, (0,2): 6/12, (1,2): 0 → mean 5/18
    assert expected.mean == pytest.approx((6 / 18 + 6 / 12 + 0) / 3)
    assert "seed-pair Jaccard" in result.html.read_text()


def test_cli_report_prints_the_page_and_counts(run_cli, results_tree, tmp_path):
    single = tmp_path / "results"
    shutil.copytree(results_tree / "scalecnn-w8-s0", single / "scalecnn-w8-s0")
    result = run_cli("report", str(single))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == str(single / "report.html")
    assert lines[1].startswith("1 variant, 3 runtimes (float, tflm, litert), 3 records, ")


def test_cli_report_on_an_empty_folder_fails_in_one_line(run_cli, tmp_path):
    result = run_cli("report", str(tmp_path))
    assert result.code == 2
    assert result.err.count("\n") == 1 and "no prediction records" in result.err
