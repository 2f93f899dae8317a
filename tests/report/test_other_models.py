"""Models from outside the zoo in the report: a results folder not named
<arch>-w<width>-s<seed> (what `tinyedge evaluate --model any.tflite --data F.npz` writes)
is shown under Other models with each run's model sha256 and data file, paired only with
runs of the same model file on the same data, and never mixed into the zoo's analyses."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from report.results_tree import CLASS_NAMES, device_json, int8_logits, memory_json

from tinyedge.fileio import file_entry, sha256_file, write_json_atomic, write_manifest
from tinyedge.records import (
    AnomalyRecord,
    image_set,
    load_record,
    make_record,
    write_anomaly_record,
    write_record,
)
from tinyedge.report import build_report
from tinyedge.report.collect import Variant, collect

CORPUS = Path(__file__).resolve().parents[1] / "fuzz" / "corpus"


def read_csv(path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_evaluations_of_a_model_outside_the_zoo_are_reported(tmp_path, run_cli, monkeypatch,
                                                             results_tree):
    """Through the CLI: two host runtimes evaluate a 1×12 → 5 classifier on a --data file
    into results/<file stem>-<sha256[:8]>/<runtime>/ (a name another file cannot share),
    beside a zoo variant."""
    model = tmp_path / "mine" / "features.tflite"
    model.parent.mkdir()
    shutil.copy(CORPUS / "op_fc.tflite", model)
    inputs = np.random.default_rng(3).integers(-128, 128, (6, 12), dtype=np.int8)
    data = tmp_path / "rows.npz"
    np.savez(data, inputs=inputs, labels=np.array([0, 1, 2, 3, 4, 0]))
    shutil.copytree(results_tree / "scalecnn-w8-s0", tmp_path / "results" / "scalecnn-w8-s0")
    monkeypatch.chdir(tmp_path)
    for runtime in ("tflm", "litert"):
        result = run_cli("evaluate", "--model", str(model), "--runtime", runtime, "--data",
                         str(data))
        assert result.code == 0, result.err

    mine = f"features-{sha256_file(model)[:8]}"
    col = collect(tmp_path / "results")
    assert [v.name for v in col.variants] == ["scalecnn-w8-s0"]  # the zoo grouping as before
    assert [g.name for g in col.others] == [mine]
    assert not isinstance(col.others[0], Variant) and mine not in col.archs()
    assert list(col.others[0].runs) == ["tflm", "litert"]

    result = run_cli("report", "results")
    assert result.code == 0, result.err
    assert result.out.splitlines()[1].startswith(
        f"1 variant, 1 other model ({mine}), 3 runtimes (float, tflm, litert), 5 records, ")
    results = tmp_path / "results"
    rows = {r["runtime"]: r for r in read_csv(results / "models.csv")}
    assert set(rows) == {"tflm", "litert"}
    model_sha, data_sha = sha256_file(model), sha256_file(data)
    for runtime, row in rows.items():
        record = load_record(results / mine / runtime)
        assert row["model"] == mine and int(row["n"]) == 6
        assert float(row["top1"]) == pytest.approx(np.mean(record.pred == record.labels))
        assert row["model_sha256"] == model_sha
        assert (row["dataset"], row["split"]) == ("rows.npz", "file")
        assert row["images_sha256"] == data_sha and row["data_path"] == "rows.npz"
    # the zoo's own table holds the variant only (analyze scaling reads it)
    assert {r["variant"] for r in read_csv(results / "variants.csv")} == {"scalecnn-w8-s0"}
    # the two runtimes of the model are audited against each other, byte by byte
    audit = [r for r in read_csv(results / "audit.csv") if r["variant"] == mine]
    tflm, litert = load_record(results / mine / "tflm"), load_record(results / mine / "litert")
    assert len(audit) == 1 and int(audit[0]["n"]) == 6
    assert int(audit[0]["bytes_differ"]) == int((tflm.logits != litert.logits).sum())

    page = (results / "report.html").read_text()
    assert 'id="others"' in page and f'href="#model-{mine}"' in page
    section = page[page.index(f'id="model-{mine}"'):page.index('id="audit"')]
    assert f'title="{model_sha}">{model_sha[:12]}…' in section
    assert "rows.npz (file)" in section and data_sha[:12] in section
    # calibration and classes as for a variant: one reliability diagram per runtime
    assert "<h4>Calibration</h4>" in section
    assert section.count(f'alt="reliability diagram of {mine}, ') == 2
    summary = json.loads((results / "summary.json").read_text())
    assert summary["other_models"] == [{"name": mine, "runtimes": ["tflm", "litert"]}]
    assert [v["name"] for v in summary["variants"]] == ["scalecnn-w8-s0"]
    assert summary["warnings"] == []
    assert not any(f"skipped {mine}" in n for n in summary["notes"])


LABELS = np.arange(40) % len(CLASS_NAMES)


def _write_run(results: Path, runtime: str, model_sha: str, images: dict,
               seed: int = 0) -> None:
    """A run of the folder ``mine`` as `tinyedge evaluate --model … --data` writes it."""
    folder = results / "mine" / runtime
    pred = LABELS.copy()
    pred[: 4 + seed] = (pred[: 4 + seed] + 1) % len(CLASS_NAMES)
    write_record(folder, make_record(LABELS, int8_logits(pred, seed), 0.125, -3), CLASS_NAMES,
                 runtime=runtime, extra={"model": "mine", "dataset": images["dataset"]})
    write_manifest(folder, "evaluate",
                   inputs={"model": {"path": "mine/m.tflite", "sha256": model_sha},
                           "dataset": images["dataset"], "images": images,
                           "data": {"path": images["dataset"], "sha256": images["sha256"]}},
                   parameters={"runtime": runtime})


def _images(name: str, seed: int) -> dict:
    pixels = np.random.default_rng(seed).integers(0, 256, (len(LABELS), 4, 4, 3), np.uint8)
    return image_set(name, "file", pixels, LABELS)


def test_runs_of_another_model_file_are_not_paired_and_warn(tmp_path):
    results = tmp_path / "results"
    same = _images("a.npz", 0)
    _write_run(results, "tflm", "a" * 64, same)
    _write_run(results, "native", "a" * 64, same, seed=1)
    _write_run(results, "device-mps2-an500-qemu", "b" * 64, same, seed=2)
    col = collect(results)
    group = col.others[0]
    assert frozenset(("tflm", "native")) not in group.unpaired
    assert frozenset(("tflm", "device-mps2-an500-qemu")) in group.unpaired
    assert frozenset(("native", "device-mps2-an500-qemu")) in group.unpaired
    assert any("mine: its records ran different models" in w for w in col.warnings)
    result = build_report(results)
    audit = read_csv(result.tables["audit.csv"])
    assert [(r["a"], r["b"]) for r in audit] == [("tflm", "native")]
    summary = json.loads(result.summary.read_text())
    assert any(w.startswith("mine:") for w in summary["warnings"])
    page = result.html.read_text()
    assert 'class="warning"' in page
    assert "bbbbbbbbbbbb…" in page and "aaaaaaaaaaaa…" in page


def test_a_device_run_of_a_model_outside_the_zoo_shows_its_profile(tmp_path):
    results = tmp_path / "results"
    images = _images("a.npz", 0)
    device = "device-nucleo-f746-qemu"
    _write_run(results, "tflm", "a" * 64, images)
    _write_run(results, device, "a" * 64, images)
    write_json_atomic(results / "mine" / device / "device.json", device_json())
    memory = tmp_path / "build" / "nucleo-f746.mps2-an500" / "mine-aaaaaaaaaaaa" / "memory.json"
    write_json_atomic(memory, memory_json())
    write_manifest(results / "mine" / device, "evaluate",
                   inputs={"model": {"path": "mine/m.tflite", "sha256": "a" * 64},
                           "dataset": images["dataset"], "images": images,
                           "memory": file_entry(memory)})
    result = build_report(results)
    page = result.html.read_text()
    section = page[page.index('id="model-mine"'):page.index('id="audit"')]
    assert f"On the device: {device}" in section and "FULLY_CONNECTED" in section
    assert "4.63 ms at 216 MHz (emulator model)" in section  # latency with its clock
    row = next(r for r in read_csv(result.tables["models.csv"]) if r["runtime"] == device)
    assert int(row["peak_ram_bytes"]) == device_json()["ram"]["peak_bytes"]
    assert [(r["a"], r["b"], r["bytes_differ"]) for r in read_csv(result.tables["audit.csv"])
            ] == [("tflm", device, "0")]


def test_runs_on_other_data_are_not_paired(tmp_path):
    results = tmp_path / "results"
    _write_run(results, "tflm", "a" * 64, _images("a.npz", 0))
    _write_run(results, "native", "a" * 64, _images("b.npz", 1), seed=1)
    col = collect(results)
    assert frozenset(("tflm", "native")) in col.others[0].unpaired
    assert any("mine: tflm and native are not compared: they were evaluated on different "
               "image sets" in n for n in col.notes)
    assert col.warnings == []
    result = build_report(results)
    assert read_csv(result.tables["audit.csv"]) == []
    page = result.html.read_text()
    assert "a.npz (file)" in page and "b.npz (file)" in page


def test_anomaly_records_of_a_model_outside_the_zoo_carry_their_provenance(tmp_path):
    results = tmp_path / "results"
    labels = np.array([0, 1, 0, 1])
    images = image_set("machine.npz", "file", np.zeros((4, 640), np.int8), labels)
    for runtime in ("tflm", "native"):
        folder = results / "autoencoder" / runtime
        record = AnomalyRecord(labels, np.zeros((4, 640), np.int8),
                               np.array([0.1, 0.4, 0.2, 0.3]), 0.05, 3)
        write_anomaly_record(folder, record, runtime=runtime, extra={"model": "autoencoder"})
        write_manifest(folder, "evaluate",
                       inputs={"model": {"path": "ae/ae.tflite", "sha256": "c" * 64},
                               "dataset": "machine.npz", "images": images,
                               "data": {"path": "data/machine.npz", "sha256": "d" * 64}})
    col = collect(results)
    assert [r.variant for r in col.anomaly] == ["autoencoder", "autoencoder"]
    assert col.variants == [] and col.others == []
    result = build_report(results)
    rows = json.loads(result.summary.read_text())["anomaly"]
    assert {(r["runtime"], r["model_sha256"], r["dataset"], r["data_path"]) for r in rows} == {
        (rt, "c" * 64, "machine.npz", "data/machine.npz") for rt in ("tflm", "native")}
    page = result.html.read_text()
    assert "data/machine.npz" in page and "cccccccccccc…" in page


def test_flipped_image_thumbnails_come_from_the_data_file(tmp_path, run_cli, monkeypatch):
    """A run on a --data file shows its flipped inputs from that file, while it is the
    file evaluated (same sha256); a changed file gives a note instead."""
    from tinyedge.report.deployment import Images

    monkeypatch.chdir(tmp_path)
    shutil.copy(CORPUS / "zoo_scalecnn_4.tflite", "m.tflite")
    images = np.random.default_rng(9).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    np.savez("d.npz", images=images, labels=np.array([0, 1, 2]))
    result = run_cli("evaluate", "--model", "m.tflite", "--runtime", "tflm", "--data", "d.npz",
                     "--normalize", "0.5,0.25")
    assert result.code == 0, result.err
    (group,) = collect(tmp_path / "results").others
    run = group.runs["tflm"]
    found, why = Images(tmp_path).lookup(run, [0, 2])
    assert why is None and sorted(found) == [0, 2]
    np.testing.assert_array_equal(found[2], images[2])
    np.savez("d.npz", images=images[::-1], labels=np.array([0, 1, 2]))
    found, why = Images(tmp_path).lookup(run, [0])
    assert found == {} and "changed since it was evaluated" in why
