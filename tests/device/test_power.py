"""Measured energy: a simulated power monitor behind tinyedge.device.power's PowerMonitor
interface drives the energy path (GPIO window, idle subtracted, both reported), including a
monitor that disconnects mid-run; without a monitor energy is a labelled estimate."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest
from helpers.fake_device import info_payload

from tinyedge.boards import load_board
from tinyedge.device.clock import clock_report
from tinyedge.device.messages import DeviceInfo
from tinyedge.device.power import (
    Chunk,
    MonitorDisconnected,
    MonitorError,
    PowerRecorder,
    WindowIntegrator,
    energy_from_samples,
    estimated_energy,
    open_monitor,
    parse_monitor,
)
from tinyedge.protocol import ClockSource, ClockStatus

RATE = 10_000.0
IDLE_A, ACTIVE_A, V = 0.020, 0.095, 3.3


def trace(windows: int, window: int = 200, gap: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Idle, then `windows` inference windows of `window` samples separated by `gap`."""
    active = np.zeros(gap + windows * (window + gap), dtype=bool)
    for k in range(windows):
        start = gap + k * (window + gap)
        active[start:start + window] = True
    current = np.where(active, ACTIVE_A, IDLE_A)
    return current, active


def test_worked_example_from_the_docstring() -> None:
    active = np.array([0, 0, 1, 1, 1, 1, 1, 0, 0], dtype=bool)
    current = np.where(active, 0.030, 0.010)
    m = energy_from_samples(current, active, 1000.0, 3.3)
    assert m.gross_joules_per_inference == pytest.approx(0.495e-3)
    assert m.joules_per_inference == pytest.approx(0.33e-3)


def test_energy_per_window_with_idle_subtracted() -> None:
    current, active = trace(5)
    m = energy_from_samples(current, active, RATE, V, "sim")
    window_s = 200 / RATE
    assert m.windows == 5 and m.window_s == pytest.approx(window_s)
    assert m.idle_current_a == pytest.approx(IDLE_A)
    assert m.gross_joules_per_inference == pytest.approx(V * ACTIVE_A * window_s)
    assert m.joules_per_inference == pytest.approx(V * (ACTIVE_A - IDLE_A) * window_s)
    d = m.to_dict()
    assert d["method"] == "measured" and d["complete"] is True
    assert d["joules_per_inference"] < d["gross_joules_per_inference"]


def test_windows_cut_by_the_recording_edges_are_dropped() -> None:
    current, active = trace(3)
    m = energy_from_samples(current[350:], active[350:], RATE, V)  # starts inside window 1
    assert m.windows == 2


def test_no_window_is_one_clear_error() -> None:
    with pytest.raises(MonitorError, match="no complete 'inference active' window"):
        energy_from_samples(np.full(100, IDLE_A), np.zeros(100, dtype=bool), RATE, V, "sim")


class SimulatedMonitor:
    """Delivers a prepared trace in chunks, optionally vanishing after `cut_after` reads."""

    name = "sim"
    sample_rate_hz = RATE
    supply_v = V

    def __init__(self, current, active, chunk: int = 250, cut_after: int | None = None):
        self.current, self.active, self.chunk, self.cut_after = current, active, chunk, cut_after
        self.at = self.reads = 0
        self.started = self.stopped = False

    def start(self) -> None:
        self.started = True

    def read(self) -> Chunk | None:
        if self.cut_after is not None and self.reads >= self.cut_after:
            raise MonitorDisconnected("USB device disconnected")
        self.reads += 1
        if self.at >= len(self.current):
            return None
        a, self.at = self.at, self.at + self.chunk
        return Chunk(self.current[a:self.at], self.active[a:self.at])

    def stop(self) -> None:
        if self.cut_after is not None:
            raise OSError("gone")
        self.stopped = True


def wait_for(monitor: SimulatedMonitor) -> None:
    import time
    deadline = time.monotonic() + 5
    while monitor.at < len(monitor.current) and time.monotonic() < deadline:
        if monitor.cut_after is not None and monitor.reads >= monitor.cut_after:
            break
        time.sleep(0.005)


def test_recorder_integrates_a_whole_run() -> None:
    current, active = trace(8)
    monitor = SimulatedMonitor(current, active)
    with PowerRecorder(monitor) as rec:
        wait_for(monitor)
    m = rec.measurement()
    assert monitor.started and monitor.stopped
    assert m.windows == 8 and m.samples == len(current) and not m.disconnected
    assert m.joules_per_inference == pytest.approx(V * (ACTIVE_A - IDLE_A) * 200 / RATE)


def test_monitor_disconnecting_mid_run_keeps_what_it_recorded() -> None:
    current, active = trace(8)
    monitor = SimulatedMonitor(current, active, chunk=250, cut_after=8)  # 2000 samples
    with PowerRecorder(monitor) as rec:
        wait_for(monitor)
    m = rec.measurement()
    assert rec.disconnected and m.disconnected and m.samples == 2000
    # windows start at 300, 800, 1300, 1800 (each 200 long): 3 complete before the cut.
    assert m.windows == 3
    assert m.joules_per_inference == pytest.approx(V * (ACTIVE_A - IDLE_A) * 200 / RATE)
    d = m.to_dict()
    assert d["complete"] is False
    assert "disconnected after 2000 samples" in d["note"] and "3 complete windows" in d["note"]


def noisy_trace(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Starts inside a window (dropped), ends inside one (dropped), windows of uneven
    length, and a current that is not constant, so every sum matters."""
    rng = np.random.default_rng(seed)
    levels, high = [], True
    for _ in range(41):
        levels += [high] * int(rng.integers(1, 400))
        high = not high
    active = np.array(levels, dtype=bool)
    current = np.where(active, ACTIVE_A, IDLE_A) + rng.normal(0, 0.002, len(active))
    return current, active


def assert_same(streamed, whole) -> None:
    for name, value in vars(whole).items():
        if isinstance(value, float):
            assert getattr(streamed, name) == pytest.approx(value, rel=1e-12), name
        else:
            assert getattr(streamed, name) == value, name


@pytest.mark.parametrize("seed", range(4))
def test_integrating_as_samples_arrive_equals_the_whole_trace(seed) -> None:
    current, active = noisy_trace(seed)
    whole = energy_from_samples(current, active, RATE, V, "sim", disconnected=True)
    assert whole.windows == 19  # 20 high runs: the first is cut by the start, the last by the end
    rng = np.random.default_rng(100 + seed)
    edges = np.flatnonzero(np.diff(active.astype(np.int8))) + 1
    cuts = {
        "random": np.sort(rng.choice(np.arange(1, len(current)), 60, replace=False)),
        "single samples": np.arange(1, len(current)),
        "at every edge": edges,
        "one sample after every edge": edges + 1,
    }
    for how, at in cuts.items():
        integrator = WindowIntegrator()
        for c, a in zip(np.split(current, at), np.split(active, at), strict=True):
            integrator.feed(c, a)
        streamed = integrator.measurement(RATE, V, "sim", disconnected=True)
        assert streamed.note == whole.note, how
        assert_same(streamed, whole)


def test_a_ten_second_recording_keeps_no_samples() -> None:
    # 10 s at 100 kS/s (the PPK2's rate): 10 ms inferences every 20 ms, read in 1000-sample
    # chunks, each a fresh array as a monitor library returns them.
    rate, period = 100_000.0, 2000
    rng = np.random.default_rng(7)
    one_active = np.arange(period) % period >= 1000
    one_current = np.where(one_active, ACTIVE_A, IDLE_A) + rng.normal(0, 0.002, period)

    class LongRun:
        name, sample_rate_hz, supply_v = "sim", rate, V

        def __init__(self) -> None:
            self.reads = 0

        def start(self) -> None:
            pass

        def read(self) -> Chunk | None:
            if self.reads == 1000:
                return None
            half = slice(1000 * (self.reads % 2), 1000 * (self.reads % 2 + 1))
            self.reads += 1
            return Chunk(one_current[half].copy(), one_active[half].copy())

        def stop(self) -> None:
            pass

    monitor = LongRun()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        with PowerRecorder(monitor, poll_s=0.001) as rec:
            deadline = time.monotonic() + 30
            while monitor.reads < 1000 and time.monotonic() < deadline:
                time.sleep(0.01)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # The samples would take 9 MB (float64 current + bool marker); the recorder keeps
    # running sums and two numbers per window (499 windows).
    assert held < 256 * 1024, f"the recorder kept {held} bytes after 10 s of samples"
    m = rec.measurement()
    assert rec.samples == 1_000_000 and m.windows == 499  # the last window never closes
    assert len(rec.integrator.window_sums) == len(rec.integrator.window_lengths) == 499
    whole = energy_from_samples(np.tile(one_current, 500), np.tile(one_active, 500), rate, V,
                                "sim")
    assert_same(m, whole)


def test_monitor_lost_before_any_sample_is_one_line() -> None:
    monitor = SimulatedMonitor(*trace(2), cut_after=0)
    with PowerRecorder(monitor) as rec:
        wait_for(monitor)
    with pytest.raises(MonitorError, match="delivered no samples before it disconnected"):
        rec.measurement()


@pytest.mark.parametrize("text, problem", [
    ("ppk3:/dev/ttyACM1", "unknown power monitor"),
    ("ppk2", "needs its serial port"),
])
def test_monitor_option_is_validated(text, problem) -> None:
    with pytest.raises(MonitorError, match=problem):
        parse_monitor(text)


def test_unreachable_ppk2_is_one_line(tmp_path) -> None:
    spec = parse_monitor(f"ppk2:{tmp_path / 'ttyACM9'}")
    with pytest.raises(MonitorError) as info:
        open_monitor(spec, 3.3)
    assert "\n" not in str(info.value)
    assert "ppk2-api" in str(info.value) or "no PPK2 answers" in str(info.value)


def test_without_a_monitor_energy_is_an_estimate_with_its_source() -> None:
    board = load_board("nucleo-f746")
    e = estimated_energy(board, 0.01)
    assert e["method"] == "estimated" and "DS10916" in e["source"]
    assert e["joules_per_inference"] == pytest.approx(3.3 * 0.100 * 0.01)
    assert estimated_energy(load_board("mps2-an500"), 0.01) is None


def test_clock_object_comes_from_the_firmware_not_the_board_file() -> None:
    board = load_board("netduinoplus2")
    info = DeviceInfo.decode(info_payload(core_clock_hz=16_000_000,
                                          clock_source=int(ClockSource.HSI),
                                          clock_status=int(ClockStatus.HSE_FAILED)))
    clock = clock_report(board, info, emulated=True)  # QEMU models the real SoC
    assert clock == {"hz": 16_000_000, "source": "HSI (HSE failed)", "reported_by": "firmware",
                     "rated_hz": 168_000_000, "at_rated": False, "status": "hse_failed"}
    standin = clock_report(load_board("nucleo-f746"), info, emulated=True)
    assert standin["reported_by"] == "emulator model" and standin["hz"] == 216_000_000
    assert standin["firmware_hz"] == 16_000_000
    real = DeviceInfo.decode(info_payload(core_clock_hz=216_000_000,
                                          clock_source=int(ClockSource.PLL_HSE)))
    f746 = clock_report(load_board("nucleo-f746"), real, emulated=False)
    assert (f746["hz"], f746["source"], f746["at_rated"]) == (216_000_000, "PLL from HSE", True)
