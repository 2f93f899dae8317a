"""The report's deployment sections: accuracy next to cost with Pareto plots, which inputs
flipped (thumbnails from the dataset when it is the evaluated one), the per-layer profile
joined with the build's layer table, the memory plan, reliability panels and class tables."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from report.results_tree import C

from tinyedge.data import load_dataset
from tinyedge.fileio import file_entry, write_json_atomic, write_manifest
from tinyedge.records import image_set, make_record, write_record
from tinyedge.report import build_report
from tinyedge.report.collect import collect
from tinyedge.report.deployment import build_memory, flip_view, pareto_series, profile_rows
from tinyedge.report.tables import variant_rows


def section(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    return page[start:page.index("</section>", start)]


def test_overview_puts_accuracy_next_to_cost_with_pareto_plots(built):
    page = built.html.read_text()
    costs = section(page, "costs")
    assert 'href="#costs"' in page
    for header in ("top-1", "latency", "energy", "peak RAM", "flash"):
        assert f"<th>{header}</th>" in costs
    assert "24.9 KiB" in costs and "63.5 KiB" in costs  # peak RAM 25,500 B, flash 65,000 B
    assert 'alt="accuracy vs latency, scalecnn"' in costs
    assert 'alt="accuracy vs peak RAM, scalecnn"' in costs
    assert "mobilenetv2: no device run" in costs


def test_pareto_series_marks_the_front(results_tree):
    col = collect(results_tree)
    rows = variant_rows(col)
    # three device points of one runtime by hand: w4 is cheapest, w16 most accurate,
    # w8 costs more than w16 and is less accurate
    fake = [{"variant": n, "runtime": "device-x", "latency_s": lat, "top1": acc}
            for n, lat, acc in (("scalecnn-w4-s0", 1.0, 0.70), ("scalecnn-w8-s0", 3.0, 0.80),
                                ("scalecnn-w16-s0", 2.0, 0.90))]
    (series,) = pareto_series(fake, col.of_arch("scalecnn"), "latency_s")
    assert series.labels == ["w4", "w16", "w8"]  # ascending cost
    assert series.front.tolist() == [True, True, False]
    (device,) = pareto_series(rows, col.of_arch("scalecnn"), "peak_ram_bytes")
    assert device.runtime == "device-nucleo-f746" and device.cost.tolist() == [25_500]


def test_flip_view_lists_the_flipped_images_and_flows(results_tree):
    v = next(v for v in collect(results_tree).variants if v.name == "scalecnn-w4-s0")
    view = flip_view(v)
    # float errors 0..29, device (= tflm) errors 2..32, on the device's first 60 images
    assert view.deployed_run.runtime == "device-nucleo-f746" and view.n == 60
    assert [i.index for i in view.correct_to_wrong] == [30, 31, 32]
    assert [i.index for i in view.wrong_to_correct] == [0, 1]
    first = view.wrong_to_correct[0]
    assert (first.label, first.float_pred, first.deployed_pred) == (0, 1, 0)
    assert 0 < first.float_confidence <= 1 and 0 < first.deployed_confidence <= 1
    # every wrong answer is label + 1: flows are (y+1 → y) for 0, 1 and (y → y+1) for 30..32
    assert sum(f.count for f in view.flows) == 5
    # images 0, 1 (classes 0, 1) move float's y+1 to y, images 30, 31 (classes 0, 1) move
    # y to y+1: they cancel; image 32 (class 2) leaves one net change, 2→2 down, 2→3 up
    expected = np.zeros((C, C), dtype=np.int64)
    expected[2, 2], expected[2, 3] = -1, 1
    np.testing.assert_array_equal(view.difference, expected)


def test_profile_joins_the_device_profile_with_the_build_layer_table(results_tree, built):
    col = collect(results_tree)
    run = next(v for v in col.variants if v.name == "scalecnn-w4-s0").runs["device-nucleo-f746"]
    memory, why = build_memory(run, results_tree)
    assert why is None and memory["ram"]["arena"] == 20_000
    rows = profile_rows(run, memory)
    assert [(r["op"], r["macs"], r["count"]) for r in rows] == [
        ("CONV_2D", 4_000, 600_000), ("MAX_POOL_2D", 0, 300_000),
        ("FULLY_CONNECTED", 1_000, 100_000)]
    assert [r["per_mac"] for r in rows] == [150.0, None, 100.0]
    assert [r["share"] for r in rows] == pytest.approx([0.6, 0.3, 0.1])
    page = section(built.html.read_text(), "device-scalecnn-w4-s0-device-nucleo-f746")
    assert "<th>instructions / MAC</th>" in page and "<td>150.00</td>" in page
    assert "<td>1×8×8×4</td>" in page and "<td>60.00 %</td>" in page
    assert 'alt="arena plan of device-nucleo-f746"' in page
    assert 'alt="flash and RAM map of device-nucleo-f746"' in page


def _recorded_memory(run_dir: Path) -> dict:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    return json.loads(Path(manifest["inputs"]["memory"]["path"]).read_text())


@pytest.mark.slow  # builds a whole report with its plots (6-8 s)
def test_a_changed_memory_json_is_not_used(results_tree, tmp_path):
    tree = tmp_path / "results"
    shutil.copytree(results_tree, tree)
    run_dir = tree / "scalecnn-w4-s0" / "device-nucleo-f746"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    moved = tmp_path / "memory.json"
    data = _recorded_memory(run_dir)
    data["ram"]["arena"] = 1  # not the file the run recorded
    moved.write_text(json.dumps(data))
    manifest["inputs"]["memory"]["path"] = str(moved)
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    result = build_report(tree)
    assert any("changed since the run" in n for n in result.notes)
    page = result.html.read_text()
    assert "names no build memory.json" in page  # the profile is still shown, without ops
    assert 'alt="arena plan of device-nucleo-f746"' not in page


def test_reliability_panels_count_images_and_class_tables_hide_large_k(built):
    page = section(built.html.read_text(), "variant-scalecnn-w8-s0")
    for rt in ("float", "tflm", "litert"):
        assert f'alt="reliability diagram of scalecnn-w8-s0, {rt}"' in page
    assert "bottom-5" in page and "bottom-10" not in page and "bottom-20" not in page
    table = page[page.index("<details>"):page.index("</details>")]
    # 12 images per class (120 images, 10 classes), float and tflm side by side
    assert table.count("<td>12</td>") == 2 * C
    assert "float (float) images" in table and "deployed (tflm) images" in table


def _digits_tree(root, dataset: str = "digits"):
    """float and an emulated device on the first 60 digits test images: the device gets
    images 3 and 7 wrong (float right) and image 5 right (float wrong)."""
    data = load_dataset("digits")
    images, labels = data.split("test")
    n = 60
    y = labels[:n]
    float_pred, dev_pred = y.copy(), y.copy()
    float_pred[5] = (y[5] + 1) % 10
    dev_pred[[3, 7]] = (y[[3, 7]] + 2) % 10
    key = image_set(dataset, "test", images, labels)
    for runtime, pred in (("float", float_pred), ("device-nucleo-f746-qemu", dev_pred)):
        logits = np.full((n, 10), -2.0, dtype=np.float32)
        logits[np.arange(n), pred] = 3.0
        folder = root / "results" / "scalecnn-w8-s0" / runtime
        write_record(folder, make_record(y, logits), data.class_names, runtime=runtime,
                     extra={"dataset": dataset})
        write_manifest(folder, "evaluate", inputs={"dataset": dataset, "images": key})
    return root / "results"


def test_flipped_images_are_shown_as_thumbnails_from_the_dataset(tmp_path):
    result = build_report(_digits_tree(tmp_path))
    page = section(result.html.read_text(), "flips-scalecnn-w8-s0")
    assert re.findall(r'alt="test image (\d+)"', page) == ["3", "7", "5"]
    assert "2 go right → wrong, 1 wrong → right" in page
    thumbs = page[page.index('<div class="thumbs">'):]
    assert "float: " in thumbs and "device-nucleo-f746-qemu: " in thumbs
    assert result.n_figures == len(re.findall(r"<img ", result.html.read_text()))


def test_flips_without_the_dataset_on_disk_say_so_once(tmp_path, monkeypatch):
    tree = _digits_tree(tmp_path, dataset="cifar100")  # digits' labels, named cifar100
    monkeypatch.setenv("TINYEDGE_DATA", str(tmp_path / "no-data"))
    page = section(build_report(tree).html.read_text(), "flips-scalecnn-w8-s0")
    assert page.count("is not on disk here") == 1
    assert 'alt="test image' not in page
    assert "<td>#3</td>" in page and "<td>#5</td>" in page  # the table instead


def test_records_not_matching_the_dataset_get_no_thumbnails(built):
    # the synthetic tree's labels (i mod 10) are not the synthetic dataset's
    page = section(built.html.read_text(), "flips-scalecnn-w4-s0")
    assert "do not match the records" in page and 'alt="test image' not in page
    assert "<td>#30</td>" in page  # listed in a table instead


@pytest.mark.slow  # builds a whole report with its plots (6-8 s)
def test_a_memory_json_entry_with_a_bad_field_is_one_note(results_tree, tmp_path):
    tree = tmp_path / "results"
    shutil.copytree(results_tree, tree)
    run_dir = tree / "scalecnn-w4-s0" / "device-nucleo-f746"
    bad = tmp_path / "memory.json"
    data = _recorded_memory(run_dir)
    data["layers"][0]["macs"] = -5
    write_json_atomic(bad, data)
    write_manifest(run_dir, "evaluate", inputs={"memory": file_entry(bad)})
    result = build_report(tree)
    assert any("layers[0].macs" in n for n in result.notes)
