"""Issue 10, part B: every wrong argument or broken file of ours ends as one line on
stderr naming the problem and the fix, exit 2, no traceback, and nothing written.

Every case runs ``tinyedge.cli.main`` in-process (fast tier); a sample of them, and the
Ctrl-C cases, run the installed ``tinyedge`` as a subprocess, as a user would.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from helpers.cli import CliResult, run_cli_subprocess

from tinyedge.cli import main


def _tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size if p.is_file() else -1
            for p in root.rglob("*")}


def _run_in_process(*args: str, cwd: Path) -> CliResult:
    """``tinyedge.cli.main`` in this interpreter (the fast tier): same parser, same error
    handling; a traceback would surface as an exception and fail the test."""
    err, out = io.StringIO(), io.StringIO()
    here = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(list(args))
    finally:
        os.chdir(here)
    return CliResult(code, out.getvalue(), err.getvalue())


def assert_refused(tmp_path: Path, *args: str, message: str, cwd: Path | None = None,
                   process: bool = False) -> str:
    """Run the CLI (in this interpreter, or with ``process=True`` the installed `tinyedge`
    as a subprocess, as a user would); assert exit 2, one stderr line holding ``message``,
    no traceback, no change to the files under ``tmp_path``."""
    before = _tree(tmp_path)
    run = run_cli_subprocess if process else _run_in_process
    result = run(*args, cwd=cwd or tmp_path)
    assert result.code == 2, (args, result.code, result.err)
    assert "Traceback" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("tinyedge: error: "), result.err
    assert message in lines[0], (message, lines[0])
    assert _tree(tmp_path) == before, "a refused command must write nothing"
    return lines[0]


TRAIN = ("train", "--arch", "scalecnn", "--width", "4", "--dataset", "synthetic")
EXPORT = ("export", "--arch", "scalecnn", "--width", "4")

PARSE_CASES = [
    ((*TRAIN, "--epochs", "0"), "argument --epochs: must be ≥ 1, got 0"),
    ((*TRAIN, "--epochs", "-1"), "argument --epochs: must be ≥ 1, got -1"),
    ((*TRAIN, "--epochs", "two"), "'two' is not a whole number"),
    ((*TRAIN, "--lr", "nan"), "argument --lr: must be a finite number > 0, got 'nan'"),
    ((*TRAIN, "--lr", "inf"), "argument --lr: must be a finite number > 0"),
    ((*TRAIN, "--lr", "-0.1"), "argument --lr: must be a finite number > 0"),
    ((*TRAIN, "--lr", "0"), "argument --lr: must be a finite number > 0"),
    ((*TRAIN, "--lr-min", "nan"), "argument --lr-min: must be a finite number ≥ 0"),
    ((*TRAIN, "--momentum", "1.5"), "argument --momentum: must be a finite number ≥ 0 and < 1"),
    ((*TRAIN, "--weight-decay", "-1"), "argument --weight-decay"),
    ((*TRAIN, "--batch-size", "0"), "argument --batch-size: must be ≥ 2"),
    ((*TRAIN, "--batch-size", "1"), "BatchNorm needs 2 images"),
    ((*TRAIN, "--cutout", "-3"), "argument --cutout"),
    ((*TRAIN, "--crop-padding", "99"), "argument --crop-padding: must be between 0 and 32"),
    ((*TRAIN, "--seed", "-1"), "argument --seed"),
    ((*EXPORT, "--calib-samples", "0"), "argument --calib-samples: must be ≥ 1, got 0"),
    ((*EXPORT, "--verify-samples", "-2"), "argument --verify-samples"),
    (("evaluate", "--limit", "-5"), "argument --limit: must be ≥ 1, got -5"),
    (("evaluate", "--limit", "0"), "argument --limit: must be ≥ 1, got 0"),
    (("evaluate", "--jobs", "0"), "argument --jobs: must be ≥ 1, got 0"),
    (("sweep", "--jobs", "0"), "argument --jobs: must be ≥ 1"),
    (("sweep", "--epochs", "0"), "argument --epochs: must be ≥ 1"),
    (("demo", "--epochs", "-1"), "argument --epochs: must be ≥ 1"),
    (("demo", "--jobs", "0"), "argument --jobs: must be ≥ 1"),
    (("data", "fetch", "cifar100", "--url", "file:///etc/passwd"), "is not an https:// URL"),
    (("data", "fetch", "cifar100", "--url", "ftp://example.org/c.tar.gz"),
     "is not an https:// URL"),
    (("data", "fetch", "cifar100", "--url", "http://example.org/c.tar.gz"),
     "is not an https:// URL"),
    (("analyze", "scaling", "--table", "/dev/zero"), "is not a regular file"),
    (("evaluate", "--model", "/dev/null", "--runtime", "tflm"), "is not a regular file"),
    ((*TRAIN, "--out", "/proc/tinyedge-runs"), "inside /proc, a system folder"),
    ((*TRAIN, "--results", "/sys/x"), "inside /sys, a system folder"),
    (("train", "--arch"), "expected one argument"),
    (("frobnicate",), "invalid choice"),
]


@pytest.mark.parametrize(("args", "message"), PARSE_CASES, ids=[" ".join(c[0][-2:])
                                                                 for c in PARSE_CASES])
def test_wrong_arguments_are_refused_at_parse_time(tmp_path, args, message):
    assert_refused(tmp_path, *args, message=message)


# The same refusals from the installed console script, as a user meets them.
SUBPROCESS_SAMPLE = [PARSE_CASES[i] for i in (0, 3, 16, 19, 24, 27, 29, 32)]


@pytest.mark.parametrize(("args", "message"), SUBPROCESS_SAMPLE,
                         ids=[" ".join(c[0][-2:]) for c in SUBPROCESS_SAMPLE])
@pytest.mark.subprocess
def test_the_installed_cli_refuses_the_same_way(tmp_path, args, message):
    assert_refused(tmp_path, *args, message=message, process=True)


def test_out_under_a_regular_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    for args in [(*TRAIN, "--out", "notes.txt/runs"), (*EXPORT, "--out", "notes.txt"),
                 ("evaluate", "--checkpoint", "notes.txt", "--out", "notes.txt/x"),
                 ("report", ".", "--out", "notes.txt/report.html"),
                 ("build", "--board", "nucleo-f746", "--model", "notes.txt", "--out",
                  "notes.txt")]:
        assert_refused(tmp_path, *args, message="notes.txt")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_build_never_replaces_a_folder_it_did_not_write(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    (tmp_path / "model.tflite").write_bytes(b"x")
    assert_refused(tmp_path, "build", "--board", "nucleo-f746", "--model", "model.tflite",
                   "--out", "mine", message="already holds files that tinyedge build did "
                   "not write")
    assert (mine / "thesis.tex").read_text() == "precious"


def test_lr_min_above_lr_is_refused(tmp_path):
    assert_refused(tmp_path, *TRAIN, "--lr", "0.01", "--lr-min", "0.1",
                   message="lr_min 0.1 is above lr 0.01")


def test_every_option_has_help_text():
    import argparse

    from tinyedge.cli import build_parser

    def walk(parser: argparse.ArgumentParser, name: str):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    yield from walk(sub, f"{name} {sub_name}")
            elif not isinstance(action, argparse._HelpAction | argparse._VersionAction):
                yield name, action

    missing = [f"{name} {'/'.join(a.option_strings) or a.dest}"
               for name, a in walk(build_parser(), "tinyedge") if not a.help]
    assert missing == []


# --- Ctrl-C ---------------------------------------------------------------------------


@pytest.mark.subprocess
@pytest.mark.parametrize("delay", [0.5, 1.5, 4.0])
def test_ctrl_c_is_one_line_exit_130(tmp_path, delay):
    """Ctrl-C while Python imports torch (start-up) or while it trains: one line, 130."""
    import signal
    import subprocess
    import sys
    import time

    exe = Path(sys.executable).with_name("tinyedge")
    # A shell without job control starts background commands with SIGINT ignored, and the
    # child would inherit that (e.g. this suite run as `cmd &` from a script): give it the
    # default disposition, as a terminal's Ctrl-C meets it.
    proc = subprocess.Popen([str(exe), "--quiet", *TRAIN, "--epochs", "100000", "--out", "runs",
                             "--no-eval"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:  # never leave a 100,000-epoch training behind
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines() == ["tinyedge: interrupted; run the same command again "
                                        "to resume"]


# --- our own files, broken ---------------------------------------------------------------


def test_scaling_table_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "table.csv"
    os.mkfifo(fifo)
    assert_refused(tmp_path, "analyze", "scaling", "--table", str(fifo),
                   message="is not a regular file")


def test_scaling_table_too_large_is_refused(tmp_path):
    table = tmp_path / "big.csv"
    with open(table, "wb") as fh:
        fh.truncate(40 * 1024**3)  # sparse: 40 GB on paper, nothing on disk
    assert_refused(tmp_path, "analyze", "scaling", "--table", str(table),
                   message="more than the")


def _checkpoint(tmp_path: Path, **changes) -> Path:
    import torch

    from tinyedge.models import build_model, resolve
    from tinyedge.train import save_checkpoint

    spec = resolve("scalecnn", 4)
    model = build_model(spec, 10)
    path = tmp_path / "ck" / "checkpoint.pt"
    save_checkpoint(path, spec, model, class_names=tuple(f"c{i}" for i in range(10)),
                    normalization=((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
                    extra={"dataset": "synthetic", "seed": 0})
    payload = torch.load(path, weights_only=True)
    payload.update(changes)
    for key in [k for k, v in changes.items() if v is ...]:
        del payload[key]
    torch.save(payload, path)
    return path


CHECKPOINT_CASES = [
    ({"normalization": "imagenet"}, "field 'normalization' must be a dict"),
    ({"normalization": {"mean": [0.5, 0.5, 0.5], "std": [0.0, 1.0, 1.0]}},
     "field 'normalization'"),
    ({"normalization": {"mean": [0.5, 0.5], "std": [1.0, 1.0, 1.0]}}, "list of 3"),
    ({"num_classes": 10.0}, "field 'num_classes' must be a whole number"),
    ({"num_classes": True}, "field 'num_classes'"),
    ({"num_classes": 11}, "field 'class_names' must be a list of 11 strings"),
    ({"class_names": "abc"}, "field 'class_names'"),
    ({"arch": 7}, "field 'arch' must be a string"),
    ({"width": "four"}, "field 'width' must be a positive number"),
    ({"seed": "0"}, "field 'seed'"),
    ({"dataset": 3}, "field 'dataset'"),
    ({"state_dict": [1, 2]}, "field 'state_dict'"),
    ({"class_names": ...}, "lacks class_names"),
]


@pytest.mark.parametrize(("changes", "message"), CHECKPOINT_CASES,
                         ids=[next(iter(c[0])) + str(i) for i, c in enumerate(CHECKPOINT_CASES)])
def test_wrong_typed_checkpoint_fields_are_one_line(tmp_path, changes, message):
    checkpoint = _checkpoint(tmp_path, **changes)
    line = assert_refused(tmp_path, "evaluate", "--checkpoint", str(checkpoint),
                          "--dataset", "synthetic", "--out", str(tmp_path / "out"),
                          message=message)
    assert str(checkpoint) in line


# --- records given to `tinyedge report` -------------------------------------------------


def _results(tmp_path: Path) -> Path:
    """A results folder with one valid float record and one valid int8 record."""
    from tinyedge.records import make_record, write_record

    root = tmp_path / "results"
    rng = np.random.default_rng(0)
    labels = np.arange(40) % 10
    names = [f"c{i}" for i in range(10)]
    write_record(root / "scalecnn-w4-s0" / "float",
                 make_record(labels, rng.standard_normal((40, 10))), names, runtime="float")
    write_record(root / "scalecnn-w4-s0" / "tflm",
                 make_record(labels, rng.integers(-128, 127, (40, 10)).astype(np.int8), 0.1, 3),
                 names, runtime="tflm")
    return root


def _edit_npz(path: Path, **changes) -> None:
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del arrays[key]
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _edit_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    for key in [k for k, v in changes.items() if v is ...]:
        del data[key]
    path.write_text(json.dumps(data))


def _rec(kind: str) -> str:
    return f"scalecnn-w4-s0/{kind}"


REPORT_CASES = {
    # predictions.npz
    "npz not a zip": (lambda r: (r / _rec("float") / "predictions.npz").write_bytes(b"junk"),
                      "predictions.npz is not a valid prediction record"),
    "npz missing logits": (lambda r: _edit_npz(r / _rec("float") / "predictions.npz",
                                               logits=None), "lacks the array(s) logits"),
    "logits 1-D": (lambda r: _edit_npz(r / _rec("float") / "predictions.npz",
                                       logits=np.zeros(40, np.float32)), "array 'logits'"),
    "logits NaN": (lambda r: _edit_npz(r / _rec("float") / "predictions.npz",
                                       logits=np.full((40, 10), np.nan, np.float32)),
                   "array 'logits' must be finite"),
    "labels wrong length": (lambda r: _edit_npz(r / _rec("float") / "predictions.npz",
                                                labels=np.zeros(39, np.int64)),
                            "array 'labels' must be 40 integers"),
    "labels out of range": (lambda r: _edit_npz(r / _rec("float") / "predictions.npz",
                                                labels=np.full(40, 99, np.int64)),
                            "array 'labels' must be class ids in 0…9"),
    "labels float": (lambda r: _edit_npz(r / _rec("float") / "predictions.npz",
                                         labels=np.zeros(40, np.float32)), "array 'labels'"),
    "pred wrong length": (lambda r: _edit_npz(r / _rec("float") / "predictions.npz",
                                              pred=np.zeros(3, np.int64)), "array 'pred'"),
    "int8 without scale": (lambda r: _edit_npz(r / _rec("tflm") / "predictions.npz",
                                               output_scale=None), "array 'output_scale'"),
    "int8 scale NaN": (lambda r: _edit_npz(r / _rec("tflm") / "predictions.npz",
                                           output_scale=np.float64(np.nan)),
                       "array 'output_scale'"),
    "int8 zero point 300": (lambda r: _edit_npz(r / _rec("tflm") / "predictions.npz",
                                                output_zero_point=np.int64(300)),
                            "array 'output_zero_point'"),
    "npz is a folder": (lambda r: ((r / _rec("float") / "predictions.npz").unlink(),
                                   (r / _rec("float") / "predictions.npz").mkdir()),
                        "predictions.npz is not a regular file"),
    # metrics.json
    "metrics not JSON": (lambda r: (r / _rec("float") / "metrics.json").write_text("{oops"),
                         "metrics.json is not valid JSON"),
    "metrics a list": (lambda r: (r / _rec("float") / "metrics.json").write_text("[1, 2]"),
                       "holds a JSON list, not an object"),
    "metrics NaN": (lambda r: (r / _rec("float") / "metrics.json").write_text(
        (r / _rec("float") / "metrics.json").read_text().replace(
            '"ece": ', '"ece": NaN, "x": ')), "NaN is not a number JSON allows"),
    "metrics missing top1": (lambda r: _edit_json(r / _rec("float") / "metrics.json",
                                                  top1=...), "field 'top1'"),
    "metrics top1 string": (lambda r: _edit_json(r / _rec("float") / "metrics.json",
                                                 top1="0.9"), "field 'top1' must be a finite"),
    "metrics n wrong": (lambda r: _edit_json(r / _rec("float") / "metrics.json", n=41),
                        "field 'n' must be the 40 images"),
    "metrics num_classes float": (lambda r: _edit_json(r / _rec("float") / "metrics.json",
                                                       num_classes=10.0),
                                  "field 'num_classes' must be a whole number"),
    "metrics per-class wrong length": (
        lambda r: _edit_json(r / _rec("float") / "metrics.json", per_class_accuracy=[0.5]),
        "field 'per_class_accuracy' must be a list of 10"),
    "metrics class_names numbers": (
        lambda r: _edit_json(r / _rec("float") / "metrics.json", class_names=list(range(10))),
        "field 'class_names' must be a list of 10 strings"),
    "metrics is a folder": (lambda r: ((r / _rec("tflm") / "metrics.json").unlink(),
                                       (r / _rec("tflm") / "metrics.json").mkdir()),
                            "metrics.json is a folder"),
    "metrics missing": (lambda r: (r / _rec("tflm") / "metrics.json").unlink(),
                        "metrics.json does not exist"),
    "predictions missing": (lambda r: (r / _rec("tflm") / "predictions.npz").unlink(),
                            "no predictions.npz in"),
    # device.json
    "device.json not JSON": (lambda r: (r / _rec("tflm") / "device.json").write_text("x"),
                             "device.json is not valid JSON"),
    "device.json latency string": (
        lambda r: (r / _rec("tflm") / "device.json").write_text('{"latency_s": "fast"}'),
        "field 'latency_s' must be a finite number"),
    "device.json ram wrong type": (
        lambda r: (r / _rec("tflm") / "device.json").write_text('{"ram": {"peak_bytes": -1}}'),
        "field 'ram.peak_bytes'"),
}


@pytest.mark.parametrize("case", list(REPORT_CASES))
def test_malformed_records_given_to_report_are_one_line(tmp_path, case):
    root = _results(tmp_path)
    breaks, message = REPORT_CASES[case]
    breaks(root)
    line = assert_refused(tmp_path, "report", str(root), message=message)
    assert "scalecnn-w4-s0" in line  # the line names the file
    assert not (root / "report.html").exists()


def test_report_on_a_file_is_refused(tmp_path):
    (tmp_path / "results").write_text("")
    assert_refused(tmp_path, "report", "results", message="results folder results is not a "
                   "folder")


# --- CIFAR-100 files of absurd size -------------------------------------------------------


def _sparse(path: Path, size: int = 40 * 1024**3) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size)  # 40 GB on paper, nothing on disk


def test_sparse_40_gb_archive_is_refused_before_reading(tmp_path):
    _sparse(tmp_path / "d" / "cifar-100-python.tar.gz")
    assert_refused(tmp_path, "data", "fetch", "cifar100", "--root", "d",
                   message="cifar-100-python.tar.gz is 42,949,672,960 bytes")


def test_sparse_40_gb_extracted_file_is_refused_before_reading(tmp_path):
    for name in ("train", "test", "meta"):
        _sparse(tmp_path / "d" / "cifar-100-python" / name)
    assert_refused(tmp_path, "train", "--arch", "scalecnn", "--width", "4", "--data-root", "d",
                   "--out", "runs", message="42,949,672,960 bytes, far more than CIFAR-100's")


def test_archive_member_claiming_40_gb_is_refused(tmp_path):
    import gzip
    import tarfile

    from tinyedge.data import cifar100
    from tinyedge.errors import DatasetError
    from tinyedge.fileio import md5_file

    archive = tmp_path / "cifar-100-python.tar.gz"
    info = tarfile.TarInfo("cifar-100-python/train")
    info.size = 40 * 1024**3  # a header only: the size is a claim
    archive.write_bytes(gzip.compress(info.tobuf(format=tarfile.GNU_FORMAT) + b"\0" * 4096))

    with pytest.raises(DatasetError, match="42,949,672,960 bytes"):
        cifar100.fetch(tmp_path, archive_md5=md5_file(archive))
    assert not (tmp_path / "cifar-100-python").exists()


# --- training that would succeed silently -------------------------------------------------


def test_diverging_training_is_refused_and_leaves_no_model(tmp_path):
    assert_refused(tmp_path, "--quiet", *TRAIN, "--epochs", "2", "--lr", "1e30", "--lr-min",
                   "0", "--out", "runs", message="diverged: the loss is nan at epoch 1")
    assert not (tmp_path / "runs").exists()


def test_corrupt_resumable_state_is_one_line(tmp_path):
    state = tmp_path / "runs" / "scalecnn-w4-s0" / "last.pt"
    state.parent.mkdir(parents=True)
    state.write_bytes(b"junk")
    assert_refused(tmp_path, "--quiet", *TRAIN, "--epochs", "2", "--out", "runs",
                   message="last.pt is not a readable training state")


@pytest.mark.subprocess
def test_report_never_replaces_a_file_that_is_not_a_report(tmp_path):
    root = _results(tmp_path)
    (tmp_path / "notes.html").write_text("<html>my notes</html>")
    assert_refused(tmp_path, "report", str(root), "--out", "notes.html",
                   message="exists and is not a tinyedge report")
    assert (tmp_path / "notes.html").read_text() == "<html>my notes</html>"
    again = run_cli_subprocess("report", str(root), "--out", "r.html", cwd=tmp_path)
    assert again.code == 0, again.err
    twice = run_cli_subprocess("report", str(root), "--out", "r.html", cwd=tmp_path)
    assert twice.code == 0, twice.err  # its own report is replaced


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/a.tar.gz",
                                 "http://example.org/a.tar.gz", "https:///nohost"])
def test_fetch_library_refuses_non_https_urls(tmp_path, url):
    from tinyedge.data import cifar100
    from tinyedge.errors import DatasetError

    with pytest.raises(DatasetError, match="only https:// URLs are fetched"):
        cifar100.fetch(tmp_path / "d", url=url)
    assert not (tmp_path / "d").exists()


def test_sparse_40_gb_checkpoint_is_refused_before_reading(tmp_path):
    _sparse(tmp_path / "big.pt")
    assert_refused(tmp_path, "evaluate", "--checkpoint", "big.pt", "--out", "o",
                   message="big.pt is 42,949,672,960 bytes, more than any zoo model's")


def test_evaluate_never_writes_over_another_stage_folder(tmp_path):
    from tinyedge.fileio import write_manifest

    checkpoint = _checkpoint(tmp_path)
    export = tmp_path / "export" / "scalecnn-w4-s0"
    write_manifest(export, "export", figures={"params": 1})
    before = (export / "manifest.json").read_text()
    assert_refused(tmp_path, "evaluate", "--checkpoint", str(checkpoint), "--out", str(export),
                   "--dataset", "synthetic",
                   message="holds the output of `tinyedge export`; refusing to write evaluate")
    assert (export / "manifest.json").read_text() == before


CONTRADICTIONS = [
    (("evaluate", "--board", "nucleo-f746", "--model", "m.tflite", "--runtime", "tflm"),
     "--runtime does not apply to device evaluation (--board); it belongs with --model with "
     "--runtime"),
    (("evaluate", "--model", "m.tflite", "--runtime", "tflm", "--checkpoint", "c.pt"),
     "--checkpoint does not apply to host int8 evaluation"),
    (("evaluate", "--model", "m.tflite", "--runtime", "tflm", "--jobs", "2"),
     "--jobs does not apply to host int8 evaluation"),
    (("evaluate", "--checkpoint", "c.pt", "--mode", "batch"),
     "--mode does not apply to float evaluation (--checkpoint); it belongs with --board"),
    (("evaluate", "--board", "nucleo-f746", "--model", "m.tflite", "--device", "cuda"),
     "--device does not apply to device evaluation"),
    (("evaluate", "--board", "nucleo-f746", "--model", "m.tflite", "--dataset", "digits"),
     "--dataset does not apply to device evaluation"),
    (("evaluate",), "nothing to evaluate"),
]


@pytest.mark.parametrize(("args", "message"), CONTRADICTIONS,
                         ids=[" ".join(c[0][-2:]) for c in CONTRADICTIONS])
def test_evaluate_refuses_options_of_another_mode(tmp_path, args, message):
    """`evaluate` picks one of three modes from --board / --model / --checkpoint and refuses
    every option of another mode instead of ignoring it."""
    (tmp_path / "m.tflite").write_bytes(b"TFL3")
    (tmp_path / "c.pt").write_bytes(b"x")
    assert_refused(tmp_path, *args, message=message)
