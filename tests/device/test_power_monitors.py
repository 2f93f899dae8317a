"""The real power-monitor adapters through their own libraries, without hardware.

PPK2: tinyedge's adapter drives the real ``ppk2-api`` library over a pseudo-terminal on
which tests/helpers/ppk2_sim.py speaks the PPK2 serial protocol (metadata, ampere mode,
voltage, start/stop, 32-bit sample words with the logic port). Joulescope: the package
ships no simulator, so the real ``joulescope`` package (scan, DeviceJs220, StreamBuffer)
runs on tests/helpers/joulescope_double.py, a minimal double of its native USB driver.

Tolerance for the PPK2: 1 %. The library smooths the three samples after each current-range
switch (idle 20 mA and active 95 mA sit in different ranges), which moves a 1000-sample
window's net energy by about 0.4 %; the ADC quantises by under 0.05 %.
"""

from __future__ import annotations

import inspect
import os
import time

import numpy as np
import pytest
from helpers.joulescope_double import JoulescopeDriverDouble
from helpers.ppk2_sim import AVERAGE_START, AVERAGE_STOP, GET_META_DATA, Ppk2Simulator

from tinyedge.device.power import (
    Chunk,
    EnergyMeasurement,
    MonitorError,
    PowerMonitor,
    PowerRecorder,
    energy_from_samples,
    open_monitor,
    parse_monitor,
)

V = 3.3
IDLE_A, ACTIVE_A = 0.020, 0.095
RATE = 100_000.0  # both adapters sample at 100 kS/s
WINDOW, GAP = 1000, 1000  # samples: 10 ms inferences 10 ms apart


def wait(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the monitor stream stalled"
        time.sleep(0.005)


def expected_net_j(idle_a: float, active_a: float, window: int = WINDOW) -> float:
    return V * (active_a - idle_a) * window / RATE


class Tapped:
    """The monitor as the recorder sees it, keeping a copy of every chunk it delivers
    (the recorder integrates each chunk and keeps none)."""

    def __init__(self, monitor: PowerMonitor) -> None:
        self.monitor = monitor
        self.name, self.sample_rate_hz = monitor.name, monitor.sample_rate_hz
        self.supply_v = monitor.supply_v
        self.chunks: list[Chunk] = []

    def start(self) -> None:
        self.monitor.start()

    def read(self) -> Chunk | None:
        chunk = self.monitor.read()
        if chunk is not None:
            self.chunks.append(chunk)
        return chunk

    def stop(self) -> None:
        self.monitor.stop()

    def pin(self) -> list[bool]:
        return np.concatenate([c.active for c in self.chunks]).tolist()

    def whole_trace(self, disconnected: bool = False) -> EnergyMeasurement:
        """The figures from the whole recorded trace at once."""
        return energy_from_samples(np.concatenate([c.current_a for c in self.chunks]),
                                   np.concatenate([c.active for c in self.chunks]),
                                   self.sample_rate_hz, self.supply_v, self.name, disconnected)


def assert_same(streamed: EnergyMeasurement, whole: EnergyMeasurement) -> None:
    """Integrating as samples arrive gives the whole-trace figures (up to float rounding)."""
    for name, value in vars(whole).items():
        if isinstance(value, float):
            assert getattr(streamed, name) == pytest.approx(value, rel=1e-12), name
        else:
            assert getattr(streamed, name) == value, name


# --- PPK2 over a pseudo-terminal ---------------------------------------------------------


def test_ppk2_through_ppk2_api_measures_the_known_profile() -> None:
    with Ppk2Simulator(IDLE_A, ACTIVE_A) as sim:
        monitor = Tapped(open_monitor(parse_monitor(f"ppk2:{sim.port}"), V))
        sim.schedule(5, WINDOW, GAP)
        with PowerRecorder(monitor) as rec:
            wait(sim.drained)
            wait(lambda: rec.samples >= sim.sent)
        m = rec.measurement()
        # The stop is sent as the recorder closes; the simulator reads it on its own thread.
        wait(lambda: AVERAGE_STOP in [c[0] for c in sim.commands])
    # The adapter configured the PPK2 as the library requires: metadata, ampere meter,
    # the board's supply voltage, then start and stop.
    kinds = [c[0] for c in sim.commands]
    assert kinds[0] == GET_META_DATA and (0x11, 1) in sim.commands
    assert sim.voltage_mv == 3300
    assert kinds.index(AVERAGE_START) < kinds.index(AVERAGE_STOP)
    # D0 decoded from every sample word, aligned with the current.
    assert monitor.pin() == sim.pin[:m.samples]
    assert_same(m, monitor.whole_trace())  # on the stream ppk2-api decoded
    assert m.windows == 5 and not m.disconnected and m.to_dict()["complete"] is True
    assert m.window_s == pytest.approx(WINDOW / RATE)
    assert m.idle_current_a == pytest.approx(sim.idle_a, rel=0.01)
    assert m.active_current_a == pytest.approx(sim.active_a, rel=0.01)
    assert m.joules_per_inference == pytest.approx(expected_net_j(sim.idle_a, sim.active_a),
                                                   rel=0.01)
    assert m.gross_joules_per_inference == pytest.approx(V * sim.active_a * WINDOW / RATE,
                                                         rel=0.01)


def test_ppk2_pulled_mid_run_keeps_what_it_recorded() -> None:
    # Windows occupy samples 1000-2000, 3000-4000, 5000-6000, 7000-8000, ...: a cable
    # pulled after 7500 samples leaves 3 complete windows and cuts the fourth.
    with Ppk2Simulator(IDLE_A, ACTIVE_A, disconnect_after=7500) as sim:
        monitor = Tapped(open_monitor(parse_monitor(f"ppk2:{sim.port}"), V))
        sim.schedule(5, WINDOW, GAP)
        with PowerRecorder(monitor) as rec:
            assert sim.hung_up.wait(10)
            wait(lambda: rec.disconnected)
        m = rec.measurement()
    assert rec.disconnected and m.disconnected
    assert m.samples == 7500 and monitor.pin() == sim.pin  # nothing read was lost
    assert_same(m, monitor.whole_trace(disconnected=True))
    assert m.windows == 3
    assert m.joules_per_inference == pytest.approx(expected_net_j(sim.idle_a, sim.active_a),
                                                   rel=0.01)
    d = m.to_dict()
    assert d["complete"] is False
    assert d["note"] == ("the monitor disconnected after 7500 samples (0.075 s); energy is "
                         "from the 3 complete windows recorded before that")


def test_a_port_that_is_not_a_ppk2_is_one_line() -> None:
    controller, device = os.openpty()  # a serial device that never answers
    try:
        with pytest.raises(MonitorError) as info:
            open_monitor(parse_monitor(f"ppk2:{os.ttyname(device)}"), V)
    finally:
        os.close(controller)
        os.close(device)
    assert "sent no PPK2 metadata" in str(info.value) and "\n" not in str(info.value)


def test_a_missing_ppk2_port_is_one_line() -> None:
    with pytest.raises(MonitorError, match=r"^no PPK2 answers on /dev/nonexistent \(") as info:
        open_monitor(parse_monitor("ppk2:/dev/nonexistent"), V)
    assert "\n" not in str(info.value)


# --- Joulescope through the joulescope package --------------------------------------------


@pytest.fixture
def joulescope_driver(monkeypatch):
    """The real joulescope package on the native-driver double (one JS220 attached)."""
    import joulescope.v1.driver as v1

    driver = JoulescopeDriverDouble(IDLE_A, ACTIVE_A, supply_v=V)
    monkeypatch.setattr(v1, "Driver", lambda: driver)
    monkeypatch.setattr(v1.DriverWrapper, "__singleton__", None)  # a fresh wrapper
    return driver


def test_the_driver_double_has_the_real_drivers_signatures() -> None:
    from pyjoulescope_driver import Driver

    for name in ("subscribe", "unsubscribe", "unsubscribe_all", "publish", "query", "open",
                 "close", "device_paths", "finalize"):
        real = [p.name for p in inspect.signature(getattr(Driver, name)).parameters.values()]
        ours = [p.name for p in
                inspect.signature(getattr(JoulescopeDriverDouble, name)).parameters.values()]
        assert ours == real, name


def joulescope_pins(windows: int, window: int = 800, gap: int = 800) -> np.ndarray:
    pins = np.zeros(gap + windows * (window + gap), dtype=bool)
    for k in range(windows):
        pins[gap + k * (window + gap):][:window] = True
    return pins


def test_joulescope_through_the_joulescope_package(joulescope_driver) -> None:
    monitor = Tapped(open_monitor(parse_monitor("joulescope:000415"), V))
    assert monitor.sample_rate_hz == RATE  # asked of the device, read back from it
    pins = joulescope_pins(5)
    with PowerRecorder(monitor) as rec:
        for block in np.split(pins, len(pins) // 800):
            joulescope_driver.stream(block)
            time.sleep(0.002)
        wait(lambda: rec.samples == len(pins))
    m = rec.measurement()
    topics = [t.split("000415/")[-1] for t, _ in joulescope_driver.published]
    assert "s/i/ctrl" in topics and "s/gpi/0/ctrl" in topics and joulescope_driver.closed == 1
    assert monitor.pin() == pins.tolist()
    assert m.windows == 5 and not m.disconnected
    assert m.joules_per_inference == pytest.approx(V * (ACTIVE_A - IDLE_A) * 800 / RATE,
                                                   rel=1e-6)  # float32 samples


def test_joulescope_unplugged_mid_run_keeps_what_it_recorded(joulescope_driver) -> None:
    monitor = open_monitor(parse_monitor("joulescope"), V)
    pins = joulescope_pins(5)
    with PowerRecorder(monitor) as rec:
        sent = 0
        for block in np.split(pins, len(pins) // 800)[:7]:  # 5600 samples, then unplugged
            joulescope_driver.stream(block)
            sent += len(block)
        wait(lambda: rec.samples == sent)
        joulescope_driver.unplug()
        wait(lambda: rec.disconnected)
    m = rec.measurement()
    # Windows at 800-1600, 2400-3200, 4000-4800, 5600-...: three complete before the cut.
    assert m.disconnected and m.samples == 5600 and m.windows == 3
    assert "3 complete windows" in m.to_dict()["note"]


def test_no_matching_joulescope_is_one_line(joulescope_driver) -> None:
    with pytest.raises(MonitorError, match="found 0 Joulescopes matching 999999"):
        open_monitor(parse_monitor("joulescope:999999"), V)
