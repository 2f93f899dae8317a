"""The whole device path in QEMU: firmware with the serial protocol, the host session,
batch preloading, fault injection and resumption. Outputs must equal TFLite Micro's."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers.fault_proxy import FaultProxy
from helpers.zoo import export_untrained

from tinyedge.boards import load_board
from tinyedge.device.evaluate import LOG_NAME, evaluate_on_device
from tinyedge.device.result_log import read_results
from tinyedge.device.target import device_target
from tinyedge.evaluate import evaluate_tflite
from tinyedge.layout import resolve_stored
from tinyedge.records import load_record

pytestmark = [pytest.mark.cross, pytest.mark.qemu, pytest.mark.tensorflow]

N_IMAGES = 50


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    cache = {}

    def get(arch, width):
        if (arch, width) not in cache:
            cache[(arch, width)] = export_untrained(
                arch, width, tmp_path_factory.mktemp(f"{arch}-{width}"))
        return cache[(arch, width)]

    return get


@pytest.fixture(scope="module")
def reference(models, tmp_path_factory):
    """TFLite Micro's records for the same images: what the device must produce."""
    cache = {}

    def get(arch, width):
        if (arch, width) not in cache:
            out = tmp_path_factory.mktemp("tflm")
            evaluate_tflite(models(arch, width), "tflm", out, limit=N_IMAGES)
            cache[(arch, width)] = load_record(out)
        return cache[(arch, width)]

    return get


def _instructions(out: Path, board: str) -> dict[int, int]:
    """Per-image instruction counts from the raw counter ticks the device logged (on
    mps2 the 25 MHz counter's phase shifts a tick count by ±1; instructions are exact)."""
    emulator = load_board(board).emulator
    _, results = read_results(out / LOG_NAME, output_bytes=10)
    return {i: emulator.instructions(ticks) for i, (ticks, _) in results.items()}


@pytest.mark.parametrize("board", ["mps2-an500", "netduinoplus2"])
@pytest.mark.parametrize(("arch", "width"), [("scalecnn", 4), ("mobilenetv2", 0.10)])
def test_device_outputs_equal_tflm_and_counts_repeat(models, reference, tmp_path, board,
                                                      arch, width):
    model = models(arch, width)
    target = device_target(board, model, build_root=tmp_path / "build")
    # mps2 preloads inputs into PSRAM (batch mode); netduinoplus2 has none: stream twice.
    first_mode = "batch" if target.preload_origin is not None else "stream"
    first = evaluate_on_device(model, target, tmp_path / "run1", mode=first_mode,
                               limit=N_IMAGES)
    evaluate_on_device(model, target, tmp_path / "run2", mode="stream", limit=N_IMAGES)
    ref = reference(arch, width)
    for run in ("run1", "run2"):
        record = load_record(tmp_path / run)
        assert record.logits.dtype == np.int8 and record.logits.shape == (N_IMAGES, 10)
        np.testing.assert_array_equal(record.logits, ref.logits)
    counts = _instructions(tmp_path / "run1", board)
    assert counts == _instructions(tmp_path / "run2", board) and len(counts) == N_IMAGES

    device = json.loads((tmp_path / "run1" / "device.json").read_text())
    assert device == first["device"]
    assert device["board"] == board and device["emulated"] and device["exact"]
    assert device["counter"] == "instructions"
    per = device["per_inference"]
    assert 0 < per["min"] <= per["median"] <= per["max"] and per["n"] == N_IMAGES
    assert all(isinstance(per[k], int) for k in ("min", "median", "max"))  # counts, not x.5
    assert len(device["per_layer"]) > 3
    layer_total = sum(layer["instructions"] for layer in device["per_layer"])
    assert 0.9 * per["median"] < layer_total < 1.1 * per["median"]
    # The manifest names the build's memory.json, whose layer table is the profile's.
    entry = json.loads((tmp_path / "run1" / "manifest.json").read_text())["inputs"]["memory"]
    memory_json = resolve_stored(entry["path"], Path.cwd())
    assert memory_json.resolve() == (target.elf.parent / "memory.json").resolve()
    layers = json.loads(memory_json.read_text())["layers"]
    assert [layer["index"] for layer in layers] == [p["layer"] for p in device["per_layer"]]
    ram = device["ram"]
    assert 0 < ram["stack_used_bytes"] < ram["stack_reserved_bytes"]
    assert ram["peak_bytes"] == ram["static_bytes"] + ram["arena_bytes"] + ram["stack_used_bytes"]
    assert device["flash"]["weights_bytes"] > 0 and device["flash"]["code_bytes"] > 0
    assert device["latency_s"] == pytest.approx(per["median"] / device["clock_hz"])
    if board == "netduinoplus2":
        assert device["energy"]["method"] == "estimated"
        assert device["energy"]["joules_per_inference"] > 0


def test_faults_on_the_link_lose_and_duplicate_nothing(models, reference, tmp_path):
    """Corrupted, dropped and delayed bytes both ways and one cut connection: every
    result arrives exactly once and equals TFLite Micro's."""
    model = models("scalecnn", 4)
    target = device_target("mps2-an500", model, build_root=tmp_path / "build")
    proxies = []

    def through_proxy(qemu):
        proxy = FaultProxy(qemu.port, seed=7, corrupt=3e-5, drop=3e-5, delay=0.05,
                           cut_after_bytes=40_000)
        proxies.append(proxy)
        return proxy.url

    try:
        evaluate_on_device(model, target, tmp_path / "out", limit=30, timeout=1.0,
                           url=through_proxy)
    finally:
        for proxy in proxies:
            proxy.close()
    stats = proxies[0].stats
    link = json.loads((tmp_path / "out" / "device.json").read_text())["link"]
    assert link["reconnects"] >= 1 and link["retries"] > 0
    assert stats.cuts == 1 and stats.corrupted > 0 and stats.dropped > 0 and stats.delayed > 0
    np.testing.assert_array_equal(load_record(tmp_path / "out").logits,
                                  reference("scalecnn", 4).logits[:30])
    assert sorted(logged_indices(tmp_path / "out" / LOG_NAME)) == list(range(30))


def logged_indices(log: Path) -> list[int]:
    """Indices in a result log, in file order (each at most once); the first line is the
    key of what produced the results."""
    lines = log.read_text().splitlines()
    assert "key" in json.loads(lines[0])
    return [json.loads(line)["i"] for line in lines[1:]]


@pytest.mark.subprocess
def test_killed_evaluation_resumes_without_loss_or_duplicates(models, reference, tmp_path):
    model = models("scalecnn", 4)
    exe = str(Path(sys.executable).with_name("tinyedge"))
    args = [exe, "-q", "evaluate", "--board", "mps2-an500", "--model", str(model),
            "--limit", str(N_IMAGES), "--out", str(tmp_path / "out")]
    log = tmp_path / "out" / LOG_NAME
    proc = subprocess.Popen(args, cwd=tmp_path, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if log.is_file() and len(log.read_bytes().splitlines()) >= 10:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(log.read_bytes().splitlines())
    assert 10 <= done_before < N_IMAGES, "the evaluation must be killed mid-way"
    time.sleep(0.5)
    leftover = subprocess.run(["pgrep", "-f", f"qemu-system-arm.*{tmp_path.name}"],
                              capture_output=True, text=True)
    assert leftover.stdout.strip() == "", "QEMU must die with its host process"

    finished = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    assert sorted(logged_indices(log)) == list(range(N_IMAGES))
    np.testing.assert_array_equal(load_record(tmp_path / "out").logits,
                                  reference("scalecnn", 4).logits)


def test_parallel_emulators_over_shards(models, reference, tmp_path):
    model = models("scalecnn", 4)
    target = device_target("mps2-an500", model, build_root=tmp_path / "build")
    evaluate_on_device(model, target, tmp_path / "out", mode="stream", limit=24, jobs=2)
    np.testing.assert_array_equal(load_record(tmp_path / "out").logits,
                                  reference("scalecnn", 4).logits[:24])
    assert sorted(logged_indices(tmp_path / "out" / LOG_NAME)) == list(range(24))


def test_device_reset_mid_run_is_recovered(models, reference, tmp_path):
    """The board reboots twice during streaming; the host sees its BOOT frame, says
    hello again and redoes the interrupted inference."""
    model = models("scalecnn", 4)
    target = device_target("mps2-an500", model, build_root=tmp_path / "build")
    log = tmp_path / "out" / LOG_NAME
    resets = []

    def press_reset(qemu):
        def watch():
            for after in (5, 12):
                while not log.is_file() or len(log.read_bytes().splitlines()) < after:
                    time.sleep(0.01)
                qemu.reset()
                resets.append(after)

        threading.Thread(target=watch, daemon=True).start()
        return qemu.url

    result = evaluate_on_device(model, target, tmp_path / "out", limit=20, timeout=2.0,
                                url=press_reset)
    assert resets == [5, 12]
    assert result["device"]["link"]["resets"] == 2
    np.testing.assert_array_equal(load_record(tmp_path / "out").logits,
                                  reference("scalecnn", 4).logits[:20])
    assert sorted(logged_indices(log)) == list(range(20))
