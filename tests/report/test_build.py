"""build_report on the synthetic tree: the files it writes, its numbers against the
analysis functions on the same arrays, and a self-contained page."""

from __future__ import annotations

import base64
import csv
import json
import re
import shutil

import numpy as np
import pytest
from report.results_tree import DEVICE_LIMIT, HAND, LABELS, VARIANTS, predictions

from tinyedge.analysis import (
    bottom_k_accuracy,
    error_mask,
    expected_calibration_error,
    gini,
    jaccard,
    per_class_accuracy,
)
from tinyedge.records import load_record
from tinyedge.report import build_report
from tinyedge.report.collect import collect


def read_csv(path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_writes_html_summary_and_tables_next_to_each_other(built, results_tree):
    assert built.html == results_tree / "report.html"
    assert built.summary == results_tree / "summary.json"
    for name in ("variants.csv", "pairs.csv", "audit.csv", "seeds.csv"):
        assert built.tables[name] == results_tree / name and built.tables[name].is_file()
    assert built.n_variants == len(VARIANTS)
    assert built.runtimes == ["float", "tflm", "litert", "device-nucleo-f746"]
    assert built.n_runs == 2 * len(VARIANTS) + 2


def test_hand_computed_float_vs_tflm(built):
    pairs = read_csv(built.tables["pairs.csv"])
    row = next(p for p in pairs if p["variant"] == HAND["variant"] and p["b"] == "tflm")
    assert float(row["jaccard"]) == pytest.approx(HAND["jaccard"])
    assert int(row["correct_to_wrong"]) == HAND["correct_to_wrong"]
    assert int(row["wrong_to_correct"]) == HAND["wrong_to_correct"]
    assert float(row["agreement"]) == pytest.approx(HAND["agreement"])
    # independent baseline at e = 10/120 on both sides: e² / (2e − e²)
    e = 10 / 120
    assert float(row["jaccard_independent"]) == pytest.approx(e * e / (2 * e - e * e))
    assert float(row["jaccard_containment"]) == pytest.approx(1.0)


def test_variant_rows_match_the_analysis_functions(built, results_tree):
    rows = read_csv(built.tables["variants.csv"])
    assert len(rows) == built.n_runs
    for row in rows:
        rec = load_record(results_tree / row["variant"] / row["runtime"])
        acc = per_class_accuracy(rec.labels, rec.pred, 10)
        assert float(row["top1"]) == pytest.approx(np.mean(rec.pred == rec.labels))
        assert float(row["gini"]) == pytest.approx(gini(acc))
        assert float(row["bottom5"]) == pytest.approx(bottom_k_accuracy(acc, 5))
        assert float(row["ece"]) == pytest.approx(
            expected_calibration_error(rec.labels, rec.probabilities(), 15))


def test_device_figures_and_limited_device_run(built):
    rows = read_csv(built.tables["variants.csv"])
    dev = next(r for r in rows if r["runtime"] == "device-nucleo-f746")
    assert int(dev["n"]) == DEVICE_LIMIT
    assert int(dev["peak_ram_bytes"]) == 25_500 and int(dev["flash_bytes"]) == 65_000
    assert dev["energy_method"] == "estimated" and dev["emulated"] == "True"
    pair = next(p for p in read_csv(built.tables["pairs.csv"])
                if p["b"] == "device-nucleo-f746")
    # scalecnn-w4: float errors 0..29, tflm (= device) errors 2..32, first 60 images
    f, d = predictions(range(0, 30))[:60], predictions(range(2, 33))[:60]
    labels = LABELS[:60]
    assert int(pair["n"]) == DEVICE_LIMIT
    assert float(pair["jaccard"]) == pytest.approx(
        jaccard(error_mask(labels, f), error_mask(labels, d)))
    assert float(pair["jaccard"]) == pytest.approx(28 / 33)


def test_audit_counts_differing_bytes(built, results_tree):
    audit = read_csv(built.tables["audit.csv"])
    row = next(r for r in audit if r["variant"] == HAND["variant"])
    assert (row["a"], row["b"]) == ("tflm", "litert")
    a = load_record(results_tree / HAND["variant"] / "tflm").logits
    b = load_record(results_tree / HAND["variant"] / "litert").logits
    assert int(row["bytes_differ"]) == int(np.sum(a != b))
    assert int(row["images_differ"]) == int(np.sum((a != b).any(axis=1)))
    assert int(row["wrong_to_correct"]) == 1 and int(row["correct_to_wrong"]) == 0
    # the device run is compared with tflm on its 60 images: same bytes, same errors
    dev = next(r for r in audit if r["b"] == "device-nucleo-f746")
    assert int(dev["bytes_differ"]) == 0 and float(dev["jaccard"]) == 1.0


def test_summary_json_across_widths(built, results_tree):
    summary = json.loads(built.summary.read_text())
    assert summary["runtimes"] == built.runtimes
    scal = summary["across_widths"]["scalecnn"]
    assert scal["widths"] == [4, 8, 16]
    fit = scal["scaling"]["float"]
    assert fit["params"] == [1000, 4000, 16000]
    assert fit["error"] == pytest.approx([30 / 120, 10 / 120, 4 / 120])
    assert len(fit["local_exponents"]) == 2
    # deployed = the device where there is one (w4), else tflm
    assert scal["scaling"]["deployed"]["runtimes"] == {
        "scalecnn-w4-s0": "device-nucleo-f746", "scalecnn-w8-s0": "tflm",
        "scalecnn-w16-s0": "tflm"}
    matrix = np.array(scal["cross_width_jaccard"]["float"]["matrix"])
    assert np.allclose(np.diag(matrix), 1.0)
    # float w4 errors 0..29, w8 errors 0..9 → 10/30
    assert matrix[0, 1] == pytest.approx(10 / 30) and matrix[1, 0] == matrix[0, 1]


def test_page_is_self_contained_with_every_plot_embedded(built):
    page = built.html.read_text()
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) == built.n_figures
    # one reliability panel per record (14); per arch: scaling, 2 Jaccard heatmaps, class
    # heatmap, Gini, bottom-5 (bottom-10 is hidden with 10 classes), ECE (2 × 7); a
    # confusion difference for each variant whose float and deployed predictions differ
    # (all but mobilenetv2-w1: 5); accuracy vs latency and vs RAM for scalecnn's device run
    # (2); its per-layer profile, flash/RAM map and arena plan (3). The synthetic records'
    # labels are not the synthetic dataset's, so there are no thumbnails.
    assert built.n_figures == 14 + 2 * 7 + 5 + 2 + 3
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r'(src|href)="(https?:|//)', page)
    assert "<script" not in page
    for anchor in ("overview", "variants", "widths", "audit", "definitions"):
        assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page
    assert "class-3" in page  # class names come from metrics.json
    assert "estimated" in page


def test_one_variant_skips_cross_width_plots_with_a_note(results_tree, tmp_path):
    single = tmp_path / "results"
    shutil.copytree(results_tree / HAND["variant"], single / HAND["variant"])
    out = tmp_path / "elsewhere" / "r.html"
    result = build_report(single, out)
    assert result.html == out and (out.parent / "pairs.csv").is_file()
    # reliability panels of float, tflm, litert and the float-vs-tflm confusion difference
    assert result.n_variants == 1 and result.n_figures == 4
    assert any("one width only" in n for n in result.notes)
    assert "One width only" in out.read_text()


def test_collect_sorts_variants_and_finds_params(results_tree):
    col = collect(results_tree)
    assert [v.name for v in col.variants][:3] == [
        "mobilenetv2-w0.35-s0", "mobilenetv2-w0.5-s0", "mobilenetv2-w1-s0"]
    assert {v.name: v.params for v in col.variants}["scalecnn-w8-s0"] == 4_000


@pytest.mark.slow  # builds a whole report with its plots (6-8 s)
def test_latency_is_shown_with_the_clock_it_was_computed_at(results_tree, tmp_path):
    """Issue 14: the report shows the clock (and who reported it) next to latency."""
    built = build_report(results_tree, tmp_path / "report.html")
    page = built.html.read_text()
    assert "4.63 ms at 216 MHz (emulator model)" in page


def test_float_vs_int8_logit_similarity_in_pairs_and_the_variant_table(built, results_tree):
    from tinyedge.analysis.similarity import logit_similarity

    pairs = read_csv(built.tables["pairs.csv"])
    assert pairs and all(p["l2_relative_error"] for p in pairs)
    for row in pairs:
        folder = results_tree / row["variant"]
        f, q = load_record(folder / "float"), load_record(folder / row["b"])
        rows = q.image_indices()  # a --limit run: its first images, float's rows alike
        s = logit_similarity(f.real_logits()[rows], q.real_logits())
        assert int(row["n"]) == s.n
        for key in ("l2_relative_error", "cosine_similarity", "rmse", "mae"):
            assert float(row[key]) == pytest.approx(getattr(s, key), rel=1e-6), key
    html = built.html.read_text()
    assert "logits vs float: L2 relative error / cosine" in html
    assert "logits vs float: RMSE / MAE" in html
