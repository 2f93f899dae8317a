"""`tinyedge evaluate --board B --port P --power-monitor ppk2:PORT` end to end, through the
real CLI, the real serial transport and the real ppk2-api library, without hardware.

The board is a fake on a pseudo-terminal speaking the device protocol
(tests/helpers/fake_device.py PtyBoard); the PPK2 is the simulator on another
pseudo-terminal (tests/helpers/ppk2_sim.py). The two share a MarkerPin, the wire from the
board's "inference active" GPIO to the PPK2's D0: the board holds it high for WINDOW
sample periods around every inference (as te_protocol.c does around run_once), so the
simulator's D0 follows the board's inference windows. Known profile: idle 20 mA, 95 mA
while the pin is high, 10 ms windows at 100 kS/s and the board's 3.3 V supply, so energy
per inference is 3.3 V × 75 mA × 10 ms = 2.475 mJ net (3.135 mJ gross).

Tolerance: 1 %, as in test_power_monitors.py (the library smooths the three samples after
each current-range switch, about 0.4 % of a 1000-sample window; the ADC quantises by
under 0.05 %).

The board runs no firmware, so the cross build is replaced by a stub image (the real build
is tested in tests/firmware/test_build.py and the real firmware in the QEMU tiers).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from helpers.fake_device import PtyBoard
from helpers.ppk2_sim import MarkerPin, Ppk2Simulator

import tinyedge.device.target as device_target
from tinyedge.boards import load_board
from tinyedge.device.messages import PROTOCOL_VERSION, CounterKind, DeviceInfo
from tinyedge.firmware.build import MemoryReport
from tinyedge.protocol import ClockSource, ClockStatus
from tinyedge.records import load_record

MODEL = Path(__file__).resolve().parents[1] / "fuzz" / "corpus" / "op_fc.tflite"  # 1×12 → 5
BOARD = "nucleo-f746"
V = 3.3  # the board file's [power] supply_v, which tinyedge sets on the PPK2
IDLE_A, ACTIVE_A = 0.020, 0.095
RATE = 100_000.0
WINDOW = 1000  # samples the pin is high per inference: 10 ms
GAP = 1000  # samples low at least before each window (the idle current is their mean)
N = 12  # inputs
CYCLES = 216_000  # per inference: 1 ms at the reported 216 MHz


@pytest.fixture
def stub_build(tmp_path, monkeypatch):
    """A firmware image and memory report in place of the cross build."""
    out = tmp_path / "build"
    out.mkdir()
    elf = out / "firmware.elf"
    elf.write_bytes(b"\x7fELF stub: the fake board runs no firmware")
    memory = out / "memory.json"
    memory.write_text(json.dumps(MemoryReport(1 << 20, 20_000, 4_000, 320 << 10, 1024, 2048,
                                              4096).to_dict()))
    built = SimpleNamespace(board=load_board(BOARD), elf=elf, memory_json=memory)
    monkeypatch.setattr(device_target, "build_protocol_firmware",
                        lambda board, model, *, emulated, build_root="": built)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def inputs(tmp_path) -> tuple[Path, Path, np.ndarray]:
    model = tmp_path / "m" / "features.tflite"
    model.parent.mkdir()
    shutil.copy(MODEL, model)
    rows = np.random.default_rng(5).integers(-128, 128, (N, 12), dtype=np.int8)
    data = tmp_path / "features.npz"
    np.savez(data, inputs=rows, labels=np.arange(N) % 5)
    return model, data, rows


def board_output(row: bytes) -> bytes:
    """The fake board's answer for an input: class (byte sum mod 5) at 100, others -100."""
    out = np.full(5, -100, dtype=np.int8)
    out[sum(row) % 5] = 100
    return out.tobytes()


def fake_board(model: Path, pin: MarkerPin) -> PtyBoard:
    info = DeviceInfo(PROTOCOL_VERSION, CounterKind.CYCLES, 216_000_000, 2048, 12, 5, 4096, 1,
                      0, hashlib.sha256(model.read_bytes()).hexdigest(), BOARD, 216_000_000,
                      ClockSource.PLL_HSE, ClockStatus.OK)

    def infer(row: bytes) -> tuple[int, bytes]:
        pin.hold(WINDOW)  # te_inference_active(1) … run the model … te_inference_active(0)
        return CYCLES, board_output(row)

    return PtyBoard(info, infer)


def evaluate(run_cli, model: Path, data: Path, board: PtyBoard, sim: Ppk2Simulator, out: Path):
    return run_cli("evaluate", "--board", BOARD, "--model", str(model), "--port", board.port,
                   "--power-monitor", f"ppk2:{sim.port}", "--data", str(data),
                   "--out", str(out))


def assert_predictions(out: Path, rows: np.ndarray) -> None:
    """Every input has the board's answer in the record."""
    record = load_record(out)
    expected = np.stack([np.frombuffer(board_output(r.tobytes()), dtype=np.int8)
                         for r in rows])
    assert np.array_equal(record.logits, expected)
    assert np.array_equal(record.labels, np.arange(N) % 5)


def measured_run(run_cli, inputs, out: Path, cut_in_window: int | None = None):
    """One evaluation of the fake board with the PPK2 attached (its cable pulled halfway
    through the board's ``cut_in_window``-th window, if given); every prediction must be
    there and the command must succeed."""
    model, data, rows = inputs
    pin = MarkerPin(gap=GAP)
    with (Ppk2Simulator(IDLE_A, ACTIVE_A, pin=pin, cut_in_window=cut_in_window) as sim,
          fake_board(model, pin) as board):
        result = evaluate(run_cli, model, data, board, sim, out)
        assert result.code == 0, result.err
    assert board.invokes == N
    assert_predictions(out, rows)  # every prediction, also those after a cut
    return sim, pin, json.loads((out / "device.json").read_text()), result


def assert_profile_energy(energy: dict, sim: Ppk2Simulator) -> None:
    """The figures of the known current profile (the currents the PPK2 can represent)."""
    assert energy["joules_per_inference"] == pytest.approx(
        V * (sim.active_a - sim.idle_a) * WINDOW / RATE, rel=0.01)
    assert energy["joules_per_inference"] == pytest.approx(2.475e-3, rel=0.01)
    assert energy["gross_joules_per_inference"] == pytest.approx(
        V * sim.active_a * WINDOW / RATE, rel=0.01)
    assert energy["idle_current_a"] == pytest.approx(IDLE_A, rel=0.01)
    assert energy["active_current_a"] == pytest.approx(ACTIVE_A, rel=0.01)
    assert energy["window_s"] == pytest.approx(WINDOW / RATE)
    assert energy["supply_v"] == V and energy["sample_rate_hz"] == RATE


def test_evaluate_with_a_ppk2_measures_the_boards_inference_windows(
        stub_build, inputs, tmp_path, run_cli) -> None:
    sim, pin, device, result = measured_run(run_cli, inputs, tmp_path / "out")
    assert pin.windows == N and pin.missed == 0
    assert sim.voltage_mv == 3300  # the board file's supply, set on the PPK2
    energy = device["energy"]
    assert energy["method"] == "measured" and energy["monitor"] == f"ppk2:{sim.port}"
    assert energy["complete"] is True and "note" not in energy
    assert energy["windows"] == N  # one per inference; PROFILE raises no pin
    assert_profile_energy(energy, sim)
    assert device["clock"]["hz"] == 216_000_000 and device["counter"] == "cycles"
    assert device["latency_s"] == pytest.approx(CYCLES / 216e6)
    assert result.out.strip().splitlines()[-1] == (
        f"energy per inference: {energy['joules_per_inference'] * 1e3:.4f} mJ (idle "
        f"{energy['idle_current_a'] * 1e3:.2f} mA subtracted; "
        f"{energy['gross_joules_per_inference'] * 1e3:.4f} mJ as measured) over {N} windows, "
        f"ppk2:{sim.port}")


def test_a_ppk2_pulled_mid_run_the_evaluation_finishes_and_says_what_it_kept(
        stub_build, inputs, tmp_path, run_cli) -> None:
    # The cable is pulled halfway through the board's 4th inference window; the
    # predictions are complete, so the command succeeds.
    sim, pin, device, result = measured_run(run_cli, inputs, tmp_path / "out", 4)
    assert sim.hung_up.is_set() and pin.windows == 4  # no monitor clocked any later window
    energy = device["energy"]
    assert energy["method"] == "measured" and energy["complete"] is False
    assert energy["windows"] == 3  # the complete windows before the cut
    assert energy["samples"] == sim.sent  # every sample the PPK2 sent was integrated
    note = (f"the monitor disconnected after {sim.sent} samples ({sim.sent / RATE:.3f} s); "
            "energy is from the 3 complete windows recorded before that")
    assert energy["note"] == note
    assert_profile_energy(energy, sim)
    assert result.out.strip().splitlines()[-1].endswith(f"over 3 windows, ppk2:{sim.port}; "
                                                        f"incomplete: {note}")


def test_a_ppk2_pulled_before_any_complete_window_leaves_the_labelled_estimate(
        stub_build, inputs, tmp_path, run_cli) -> None:
    sim, _, device, result = measured_run(run_cli, inputs, tmp_path / "out", 1)
    energy = device["energy"]
    note = (f"ppk2:{sim.port} disconnected after {sim.sent} samples ({sim.sent / RATE:.3f} "
            "s), before any complete 'inference active' window: energy was not measured; "
            "check its USB connection and run again")
    assert energy["method"] == "estimated" and energy["note"] == note
    assert "DS10916" in energy["source"]  # the datasheet figure, labelled as such
    assert energy["joules_per_inference"] == pytest.approx(3.3 * 0.100 * CYCLES / 216e6)
    assert result.out.strip().splitlines()[-1] == (
        f"energy per inference not measured: {note}")


def test_measuring_again_into_a_finished_folder_is_one_line(stub_build, inputs, tmp_path,
                                                             run_cli) -> None:
    model, data, _ = inputs
    out = tmp_path / "out"
    pin = MarkerPin(gap=GAP)
    with Ppk2Simulator(IDLE_A, ACTIVE_A, pin=pin) as sim, fake_board(model, pin) as board:
        assert evaluate(run_cli, model, data, board, sim, out).code == 0
        first = (out / "device.json").read_bytes()
        again = evaluate(run_cli, model, data, board, sim, out)
    assert board.invokes == N  # every result came from disk the second time
    assert again.code == 2 and again.err == (
        f"tinyedge: error: all {N} results are already in {out}, so the board ran no "
        "inference for the power monitor to measure; pass a fresh --out folder to measure "
        "energy\n")
    assert (out / "device.json").read_bytes() == first  # the measured run is untouched
