"""The report compares only what is comparable (issue 12): records of different models or
image sets are never paired, and comparisons run on the images both records hold.

The trees are written with tinyedge's own writers (records.write_record, fileio's
write_manifest, records.image_set) the way the evaluate stages write them."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from report.results_tree import CLASS_NAMES, C, float_logits, int8_logits, predictions

from tinyedge.analysis import error_mask, jaccard
from tinyedge.fileio import write_json_atomic, write_manifest
from tinyedge.records import image_set, make_record, write_record
from tinyedge.report import build_report
from tinyedge.report.collect import aligned, collect

SCALE, ZERO = 0.125, -3
VARIANT = "scalecnn-w8-s0"
DEVICE = "device-nucleo-f746-qemu"


def sha(char: str) -> str:
    return char * 64


def split(n: int, dataset: str = "digits", seed: int = 0):
    """A test split: images and labels (label i % C), and its image-set key."""
    images = np.random.default_rng(seed).integers(0, 256, size=(n, 4, 4, 3), dtype=np.uint8)
    labels = np.arange(n) % C
    return labels, image_set(dataset, "test", images, labels)


def write_run(results, runtime: str, pred: np.ndarray, labels: np.ndarray, images: dict,
              *, model: str | None = None, checkpoint: str | None = None,
              indices: np.ndarray | None = None, seed: int = 0) -> None:
    """A record and its evaluate manifest, as ``tinyedge evaluate`` writes them."""
    folder = results / VARIANT / runtime
    if runtime == "float":
        record = make_record(labels, float_logits(pred, seed), indices=indices)
        inputs = {"checkpoint": {"path": "runs/scalecnn-w8-s0/checkpoint.pt",
                                 "sha256": checkpoint}}
    else:
        record = make_record(labels, int8_logits(pred, seed), SCALE, ZERO, indices=indices)
        inputs = {"model": {"path": f"export/{VARIANT}/model_int8.tflite", "sha256": model}}
    write_record(folder, record, CLASS_NAMES, runtime=runtime,
                 extra={"model": VARIANT, "dataset": images["dataset"]})
    write_manifest(folder, "evaluate",
                   inputs={**inputs, "dataset": images["dataset"], "images": images},
                   parameters={"runtime": runtime})


def write_export(project, model: str, checkpoint: str) -> None:
    """The export manifest of the model now in export/<variant>/ (a re-export replaces it)."""
    write_manifest(project / "export" / VARIANT, "export",
                   inputs={"checkpoint": {"path": "runs/scalecnn-w8-s0/checkpoint.pt",
                                          "sha256": checkpoint}},
                   outputs={"tflite": {"path": f"export/{VARIANT}/model_int8.tflite",
                                       "sha256": model}},
                   figures={"params": 4_000})


def read_csv(path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def reexported(tmp_path):
    """The issue's case: the device ran the old export (model A), then the variant was
    re-exported (model B, from checkpoint C) and tflm evaluated the new one."""
    results = tmp_path / "results"
    labels, images = split(60)
    write_export(tmp_path, sha("b"), sha("c"))
    write_run(results, "float", predictions(range(0, 6))[:60], labels, images,
              checkpoint=sha("c"))
    write_run(results, "tflm", predictions(range(0, 8))[:60], labels, images, model=sha("b"))
    # the old model gets 19 images wrong that the new one gets right
    write_run(results, DEVICE, predictions(range(20, 39))[:60], labels, images, model=sha("a"),
              seed=5)
    write_json_atomic(results / VARIANT / DEVICE / "device.json", {"emulated": True})
    return results


def test_reexported_device_run_is_not_paired_and_the_report_warns(reexported):
    result = build_report(reexported)
    audit = read_csv(result.tables["audit.csv"])
    pairs = read_csv(result.tables["pairs.csv"])
    # neither the runtime audit nor float-vs-int8 pairs the device's old model
    assert [(r["a"], r["b"]) for r in audit] == []
    assert [r["b"] for r in pairs] == ["tflm"]
    assert any(f"{VARIANT}: tflm and {DEVICE} are not compared: they ran different model "
               f"files (sha256 bbbbbbbbbbbb… vs aaaaaaaaaaaa…" in n for n in result.notes)
    assert any(f"{VARIANT}: float and {DEVICE} are not compared: {DEVICE} ran a model "
               "(sha256 aaaaaaaaaaaa…) that its export folder no longer holds" in n
               for n in result.notes)
    summary = json.loads(result.summary.read_text())
    assert len(summary["warnings"]) == 1
    warning = summary["warnings"][0]
    assert warning.startswith(f"{VARIANT}: its records ran different models")
    assert "tflm ran sha256 bbbbbbbbbbbb…" in warning and f"{DEVICE} ran sha256 aaaa" in warning
    page = result.html.read_text()
    banner = page.index('class="warning"')
    assert banner < page.index('id="overview"')  # at the top, before any section
    assert "records of one variant disagree on the model" in page[banner:banner + 300]
    # "deployed" is the run of this variant's model, not the stale device run
    width_row = summary["across_widths"]["scalecnn"]["by_width"][0]
    assert width_row["deployed"] == "tflm"
    assert width_row["jaccard"] == pytest.approx(6 / 8)  # float {0..5} vs tflm {0..7}


def test_consistent_records_get_no_warning(reexported):
    # evaluating the device again on the current export (model B) removes the conflict
    labels, images = split(60)
    write_run(reexported, DEVICE, predictions(range(0, 8))[:60], labels, images,
              model=sha("b"))
    result = build_report(reexported)
    assert json.loads(result.summary.read_text())["warnings"] == []
    assert 'class="warning"' not in result.html.read_text()
    audit = read_csv(result.tables["audit.csv"])
    assert [(r["a"], r["b"], r["n"]) for r in audit] == [("tflm", DEVICE, "60")]
    assert not any("not compared" in n for n in result.notes)


def test_device_on_50_images_vs_host_on_450_is_compared_on_the_50(tmp_path):
    results = tmp_path / "results"
    labels, images = split(450)
    float_err, tflm_err, dev_err = range(0, 45), range(30, 90), range(30, 40)
    write_run(results, "float", predictions_n(float_err, 450), labels, images)
    write_run(results, "tflm", predictions_n(tflm_err, 450), labels, images, model=sha("b"))
    write_run(results, DEVICE, predictions_n(dev_err, 450)[:50], labels[:50], images,
              model=sha("b"))
    result = build_report(results)
    pair = {r["b"]: r for r in read_csv(result.tables["pairs.csv"])}
    # float errors on images 0..49: {0..44}; device errors {30..39} ⊂ → 10/45
    assert pair[DEVICE]["n"] == "50"
    assert float(pair[DEVICE]["jaccard"]) == pytest.approx(10 / 45)
    assert float(pair[DEVICE]["error_a"]) == pytest.approx(45 / 50)  # float on the 50
    assert int(pair[DEVICE]["correct_to_wrong"]) == 0
    assert int(pair[DEVICE]["wrong_to_correct"]) == 35
    assert pair["tflm"]["n"] == "450"
    assert float(pair["tflm"]["jaccard"]) == pytest.approx(15 / 90)
    audit = read_csv(result.tables["audit.csv"])[0]
    assert (audit["a"], audit["b"], audit["n"]) == ("tflm", DEVICE, "50")
    # tflm errors on 0..49: {30..49} (20); device {30..39} → 10/20
    assert float(audit["jaccard"]) == pytest.approx(10 / 20)
    page = result.html.read_text()
    overview = page[page.index('id="overview"'):page.index('id="variants"')]
    # the device's top-1 (40/50) is tagged with its n; the host runtimes are on all 450
    assert '80.00 % <span class="tag">n = 50</span>' in overview
    assert "90.00 %" in overview and "86.67 %" in overview  # float 405/450, tflm 390/450
    assert "on that many images only" in overview
    rows = {r["runtime"]: r for r in read_csv(result.tables["variants.csv"])}
    assert rows[DEVICE]["n"] == "50" and rows["tflm"]["n"] == "450"


def predictions_n(errors: range, n: int) -> np.ndarray:
    labels = np.arange(n) % C
    pred = labels.copy()
    idx = np.asarray(list(errors))
    pred[idx] = (labels[idx] + 1) % C
    return pred


def test_comparisons_use_the_intersection_of_image_indices(tmp_path):
    """Records holding other images of one split (indices 0..59 and 30..89) are compared
    on the 30 images 30..59 both hold, row by row through their indices."""
    results = tmp_path / "results"
    labels, images = split(90)
    full = predictions_n(range(30, 50), 90)
    write_run(results, "float", full[:60], labels[:60], images, indices=np.arange(60))
    late = predictions_n(range(40, 70), 90)
    order = np.arange(30, 90)[::-1]  # stored in another order on purpose
    write_run(results, "tflm", late[order], labels[order], images, model=sha("b"),
              indices=order)
    col = collect(results)
    v = col.variants[0]
    al = aligned(v.runs["float"], v.runs["tflm"])
    assert al.indices.tolist() == list(range(30, 60))
    pair = read_csv(build_report(results).tables["pairs.csv"])[0]
    # on 30..59: float errors {30..49} (20), tflm errors {40..59} (20), ∩ {40..49} → 10/30
    assert pair["n"] == "30"
    expected = jaccard(error_mask(labels[30:60], full[30:60]),
                       error_mask(labels[30:60], late[30:60]))
    assert float(pair["jaccard"]) == pytest.approx(expected) == pytest.approx(10 / 30)


def test_records_of_different_image_sets_are_never_paired(tmp_path):
    results = tmp_path / "results"
    labels, digits = split(60)
    _, other = split(60, seed=1)  # same dataset name and size, other images
    write_run(results, "float", predictions(range(0, 6))[:60], labels, digits)
    write_run(results, "tflm", predictions(range(0, 6))[:60], labels, other, model=sha("b"))
    result = build_report(results)
    assert read_csv(result.tables["pairs.csv"]) == []
    assert any(f"{VARIANT}: float and tflm are not compared: they were evaluated on "
               f"different image sets (digits test {digits['sha256'][:12]}… vs digits test "
               f"{other['sha256'][:12]}…)" in n for n in result.notes)


def test_different_image_sets_are_not_refused_for_their_labels(tmp_path):
    """Labels that differ on other image sets are expected, not a broken tree."""
    results = tmp_path / "results"
    labels, digits = split(60)
    _, cifar = split(60, dataset="cifar100")
    write_run(results, "float", predictions(range(0, 6))[:60], labels, digits)
    write_run(results, "tflm", predictions(range(0, 6))[:60], np.roll(labels, 1), cifar,
              model=sha("b"))
    notes = build_report(results).notes
    assert any("not compared: they were evaluated on different image sets" in n for n in notes)
