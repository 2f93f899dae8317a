"""Measured energy per inference from a power monitor, or the labelled estimate.

The firmware raises the board's "inference active" pin (``[gpio] inference_active`` in
the board file) for exactly the span of each inference; the monitor samples the supply
current and that pin together (the PPK2's logic input D0, the Joulescope's IN0). Energy
per inference is the integral of V·I over each marked window minus the same window at the
idle current (the mean current while the pin is low); both figures are reported, as is
the idle current. MLPerf Tiny's EnergyRunner uses the same marker idea.

Monitors are reached through their own Python libraries, installed as the optional extra
``pip install tinyedge[power]``: Nordic's PPK2 via ``ppk2-api``, the Joulescope via
``joulescope``. Both sit behind :class:`PowerMonitor` (start, read a chunk, stop), so the
energy path is tested with a simulated monitor. Samples are integrated as they arrive
(:class:`WindowIntegrator`): a run keeps running sums and one pair of numbers per window,
not the trace. A monitor that disconnects mid-run loses nothing already read: the run
keeps every complete window before the cut and says so.
Without a monitor, energy stays an estimate from the board's datasheet figure, labelled
``estimated`` with its source.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from tinyedge.boards import Board
from tinyedge.errors import TinyedgeError

MONITOR_KINDS = ("ppk2", "joulescope")


class MonitorError(TinyedgeError):
    """A power monitor that is missing, unreachable or unusable (one line, exit 2)."""


class MonitorLost(MonitorError):
    """The monitor disconnected before it recorded a complete window: nothing measured."""


class MonitorDisconnected(Exception):
    """Raised by :meth:`PowerMonitor.read` when the monitor went away mid-run."""


@dataclass(frozen=True)
class Chunk:
    """Consecutive samples: supply current in amperes and the marker pin (bool)."""

    current_a: np.ndarray
    active: np.ndarray


class PowerMonitor(Protocol):
    name: str
    sample_rate_hz: float
    supply_v: float

    def start(self) -> None: ...

    def read(self) -> Chunk | None:
        """The samples since the last read (None: nothing yet). Raises
        :class:`MonitorDisconnected` when the device is gone."""

    def stop(self) -> None: ...


@dataclass(frozen=True)
class MonitorSpec:
    """``--power-monitor ppk2:/dev/ttyACM1`` or ``joulescope[:SERIAL]``."""

    kind: str
    address: str | None

    def __str__(self) -> str:
        return f"{self.kind}:{self.address}" if self.address else self.kind


def parse_monitor(text: str) -> MonitorSpec:
    """Parse the ``--power-monitor`` value; :class:`MonitorError` names the fix."""
    kind, _, address = text.partition(":")
    if kind not in MONITOR_KINDS:
        raise MonitorError(f"unknown power monitor {text!r}; use ppk2:PORT (e.g. "
                           "ppk2:/dev/ttyACM1) or joulescope[:SERIAL]")
    if kind == "ppk2" and not address:
        raise MonitorError("--power-monitor ppk2 needs its serial port: ppk2:/dev/ttyACM1")
    return MonitorSpec(kind, address or None)


def open_monitor(spec: MonitorSpec, supply_v: float) -> PowerMonitor:
    """Connect to the monitor; :class:`MonitorError` (one line) when it cannot."""
    if spec.kind == "ppk2":
        return Ppk2Monitor(spec.address or "", supply_v)
    return JoulescopeMonitor(spec.address, supply_v)


# --- energy from samples ---------------------------------------------------------------


@dataclass(frozen=True)
class EnergyMeasurement:
    """Per-inference energy from marked windows (joules), idle current subtracted."""

    monitor: str
    windows: int  # complete inference windows measured
    joules_per_inference: float  # median, idle subtracted
    gross_joules_per_inference: float  # median, as measured (idle included)
    idle_current_a: float
    active_current_a: float  # mean current inside the windows
    window_s: float  # median window length
    supply_v: float
    samples: int
    sample_rate_hz: float
    disconnected: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "measured",
            "monitor": self.monitor,
            "joules_per_inference": self.joules_per_inference,
            "gross_joules_per_inference": self.gross_joules_per_inference,
            "idle_current_a": self.idle_current_a,
            "active_current_a": self.active_current_a,
            "window_s": self.window_s,
            "windows": self.windows,
            "supply_v": self.supply_v,
            "samples": self.samples,
            "sample_rate_hz": self.sample_rate_hz,
            "basis": "integral of V·I over each GPIO 'inference active' window, minus the "
                     "idle current over the same window; median over windows",
            "complete": not self.disconnected,
            **({"note": self.note} if self.note else {}),
        }


def energy_from_samples(current_a: np.ndarray, active: np.ndarray, sample_rate_hz: float,
                        supply_v: float, monitor: str = "monitor",
                        disconnected: bool = False) -> EnergyMeasurement:
    """Energy per inference from a whole current trace and the marker pin.

    A window is a run of samples with the pin high that starts and ends inside the trace
    (a window cut by the start or the end of the recording is dropped). Per window:
    gross = V · Σ I / rate, net = gross − V · I_idle · n / rate, with I_idle the mean
    current over all samples with the pin low. Worked example: 1 kHz sampling, 3.3 V,
    idle 10 mA, one 5-sample (5 ms) window at 30 mA: gross = 3.3 · 5 · 0.030 / 1000 =
    0.495 mJ, net = 0.495 − 3.3 · 0.010 · 0.005 = 0.33 mJ. A recording in progress uses
    :class:`WindowIntegrator`, which gives the same figures without keeping the trace.
    """
    current_a = np.asarray(current_a, dtype=np.float64)
    active = np.asarray(active, dtype=bool)
    _check_trace(current_a, active)
    edges = np.diff(active.astype(np.int8))
    starts = np.flatnonzero(edges == 1) + 1
    ends = np.flatnonzero(edges == -1) + 1
    if len(starts) and len(ends):
        ends = ends[ends > starts[0]]
        starts = starts[: len(ends)]
    windows = list(zip(starts.tolist(), ends.tolist(), strict=True))
    idle = current_a[~active]
    return _measurement([float(current_a[a:b].sum()) for a, b in windows],
                        [b - a for a, b in windows], float(idle.sum()), idle.size,
                        len(current_a), sample_rate_hz, supply_v, monitor, disconnected)


def _check_trace(current_a: np.ndarray, active: np.ndarray) -> None:
    if current_a.shape != active.shape or current_a.ndim != 1:
        raise ValueError("current and marker traces must be 1-D and equally long")


def _measurement(window_sums: list[float], window_lengths: list[int], idle_sum: float,
                 idle_samples: int, samples: int, sample_rate_hz: float, supply_v: float,
                 monitor: str, disconnected: bool) -> EnergyMeasurement:
    """The figures from per-window current sums (A · samples) and the idle current sum."""
    if not window_sums:
        raise MonitorError(f"{monitor} saw no complete 'inference active' window in "
                           f"{samples} samples; check that the board's marker pin is "
                           "wired to the monitor's logic input")
    if idle_samples == 0:
        raise MonitorError(f"{monitor} saw the marker pin high all the time; check the wiring")
    idle_a = idle_sum / idle_samples
    sums = np.asarray(window_sums, dtype=np.float64)
    counts = np.asarray(window_lengths, dtype=np.float64)
    gross = supply_v * sums / sample_rate_hz
    lengths = counts / sample_rate_hz
    net = gross - supply_v * idle_a * lengths
    note = ""
    if disconnected:
        note = (f"the monitor disconnected after {samples} samples "
                f"({samples / sample_rate_hz:.3f} s); energy is from the {len(sums)} "
                "complete windows recorded before that")
    return EnergyMeasurement(monitor, len(sums), float(np.median(net)),
                             float(np.median(gross)), idle_a,
                             float(sums.sum() / counts.sum()), float(np.median(lengths)),
                             supply_v, samples, sample_rate_hz, disconnected, note)


class WindowIntegrator:
    """The same figures as :func:`energy_from_samples`, integrated chunk by chunk as
    samples arrive: it keeps running sums (the idle current, the window still open) and one
    pair of numbers per complete window, never the samples, so a long run at 100 kS/s
    (0.9 MB of samples a second) holds memory in proportion to its inferences only."""

    def __init__(self) -> None:
        self.samples = 0
        self.window_sums: list[float] = []  # Σ I over each complete window (A · samples)
        self.window_lengths: list[int] = []  # samples in each complete window
        self._idle_sum = 0.0
        self._idle_samples = 0
        self._level: bool | None = None  # the marker at the last sample fed
        self._open = False  # inside a window whose start was recorded
        self._open_sum = 0.0
        self._open_samples = 0

    def feed(self, current_a: np.ndarray, active: np.ndarray) -> None:
        current_a = np.asarray(current_a, dtype=np.float64)
        active = np.asarray(active, dtype=bool)
        _check_trace(current_a, active)
        if not len(current_a):
            return
        self.samples += len(current_a)
        low = ~active
        self._idle_sum += float(current_a[low].sum())
        self._idle_samples += int(low.sum())
        level = active.astype(np.int8)
        before = level[0] if self._level is None else int(self._level)
        at = 0  # the first sample of this chunk not yet accounted to a window
        for k in np.flatnonzero(np.diff(level, prepend=before)).tolist():
            if level[k]:  # the pin rose at sample k: a window opens
                self._open, self._open_sum, self._open_samples = True, 0.0, 0
            elif self._open:  # the pin fell at sample k: the window [start, k) is complete
                self.window_sums.append(self._open_sum + float(current_a[at:k].sum()))
                self.window_lengths.append(self._open_samples + k - at)
                self._open = False
            at = k  # (a fall with no recorded rise ends a window cut by the start)
        if self._open:
            self._open_sum += float(current_a[at:].sum())
            self._open_samples += len(current_a) - at
        self._level = bool(active[-1])

    def measurement(self, sample_rate_hz: float, supply_v: float, monitor: str = "monitor",
                    disconnected: bool = False) -> EnergyMeasurement:
        """The figures so far; a window still open is left out, like one cut by the end."""
        return _measurement(self.window_sums, self.window_lengths, self._idle_sum,
                            self._idle_samples, self.samples, sample_rate_hz, supply_v,
                            monitor, disconnected)


@dataclass
class PowerRecorder:
    """Reads a monitor in a background thread while the evaluation runs.

    ``with PowerRecorder(monitor) as rec: ...`` then ``rec.measurement()``. Every chunk read
    is integrated at once (:class:`WindowIntegrator`) and then let go; a
    :class:`MonitorDisconnected` ends the recording but keeps what came before.
    """

    monitor: PowerMonitor
    poll_s: float = 0.005
    integrator: WindowIntegrator = field(default_factory=WindowIntegrator)
    disconnected: bool = False
    error: str = ""
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def samples(self) -> int:
        """Samples read so far."""
        return self.integrator.samples

    def __enter__(self) -> PowerRecorder:
        self.monitor.start()
        self._thread = threading.Thread(target=self._run, name="power-monitor", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                chunk = self.monitor.read()
            except MonitorDisconnected as exc:
                self.disconnected, self.error = True, str(exc)
                return
            if chunk is not None and len(chunk.current_a):
                self.integrator.feed(chunk.current_a, chunk.active)
            else:
                time.sleep(self.poll_s)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if not self.disconnected:
            try:
                chunk = self.monitor.read()  # the tail since the last poll
                if chunk is not None and len(chunk.current_a):
                    self.integrator.feed(chunk.current_a, chunk.active)
            except MonitorDisconnected:
                self.disconnected = True
        with contextlib.suppress(Exception):  # a vanished monitor cannot be stopped
            self.monitor.stop()

    def measurement(self) -> EnergyMeasurement:
        """:class:`MonitorLost` when the monitor disconnected before any complete window."""
        samples = self.integrator.samples
        if self.disconnected and not samples:
            raise MonitorLost(f"{self.monitor.name} delivered no samples before it "
                              "disconnected; check its USB connection and run again")
        if self.disconnected and not self.integrator.window_sums:
            raise MonitorLost(
                f"{self.monitor.name} disconnected after {samples} samples "
                f"({samples / self.monitor.sample_rate_hz:.3f} s), before any complete "
                "'inference active' window: energy was not measured; check its USB "
                "connection and run again")
        if not samples:
            raise MonitorError(f"{self.monitor.name} delivered no samples; check its USB "
                               "connection and run again")
        return self.integrator.measurement(self.monitor.sample_rate_hz, self.monitor.supply_v,
                                           self.monitor.name, self.disconnected)


def estimated_energy(board: Board, latency_s: float) -> dict[str, Any] | None:
    """Datasheet run current × supply voltage × latency, labelled as an estimate."""
    if board.power is None:
        return None
    p = board.power
    return {
        "method": "estimated",
        "joules_per_inference": p.supply_v * p.run_current_ma / 1000 * latency_s,
        "basis": f"{p.supply_v} V × {p.run_current_ma} mA × latency ({p.source})",
        "datasheet_current_ma": p.run_current_ma,
        "conditions": p.conditions,
        "source": p.source,
    }


# --- the real monitors, through their own libraries -------------------------------------


class Ppk2Monitor:
    """Nordic PPK2 in ampere-meter mode (the board keeps its own supply) through
    ``ppk2-api``: 100 kS/s current in µA, logic input D0 = the marker pin."""

    sample_rate_hz = 100_000.0

    def __init__(self, port: str, supply_v: float) -> None:
        self.name = f"ppk2:{port}"
        self.supply_v = supply_v
        self._gone = False
        try:
            from ppk2_api.ppk2_api import PPK2_API
        except ImportError as exc:
            raise MonitorError("the PPK2 needs the ppk2-api package: pip install "
                               "'tinyedge[power]'") from exc
        hint = "check the port (ls /dev/ttyACM*) and that nRF Connect is not using it"
        try:
            self._api = PPK2_API(port, timeout=1, write_timeout=1)
            calibrated = self._api.get_modifiers()  # None: no metadata reply
        except Exception as exc:
            raise MonitorError(f"no PPK2 answers on {port} ({exc}); {hint}") from exc
        if not calibrated:
            self._api.ser.close()
            raise MonitorError(f"the device on {port} sent no PPK2 metadata; {hint}")
        # Ampere-meter mode: the board keeps its own supply. The library scales its current
        # calibration by the voltage set here and refuses to measure without one.
        self._api.use_ampere_meter()
        self._api.set_source_voltage(round(supply_v * 1000))

    def start(self) -> None:
        self._api.start_measuring()

    def read(self) -> Chunk | None:
        try:
            data = self._api.get_data()
        except Exception as exc:  # a pulled cable: EIO from the port
            self._gone = True
            raise MonitorDisconnected(str(exc)) from exc
        if not data:
            return None
        got = self._api.get_samples(data)
        samples, raw = got if isinstance(got, tuple) else (got, None)
        current = np.asarray(samples, dtype=np.float64) * 1e-6
        if raw is None:
            raise MonitorError("this ppk2-api version returns no logic-port data; install "
                               "ppk2-api>=0.9.2")
        d0 = np.asarray(self._api.digital_channels(raw)[0], dtype=bool)
        return Chunk(current, d0[: len(current)])

    def stop(self) -> None:
        try:
            if not self._gone:  # the library logs an error for a write to a vanished port
                self._api.stop_measuring()
        finally:
            self._api.ser.close()


class JoulescopeMonitor:
    """Joulescope JS110/JS220 through ``joulescope`` (its v1 API): current and the
    general-purpose input IN0 (the marker pin, field ``current_lsb``) read from the
    device's stream buffer, at 100 kS/s like the PPK2 (a window of a millisecond is still
    100 samples, and a long run keeps a tenth of the default 1 MS/s)."""

    sample_rate_hz = 100_000.0

    def __init__(self, serial: str | None, supply_v: float) -> None:
        self.name = f"joulescope{':' + serial if serial else ''}"
        self.supply_v = supply_v
        try:
            import joulescope
        except ImportError as exc:
            raise MonitorError("the Joulescope needs the joulescope package: pip install "
                               "'tinyedge[power]'") from exc
        devices = joulescope.scan()
        if serial:
            devices = [d for d in devices if serial in str(d)]
        if len(devices) != 1:
            which = f" matching {serial}" if serial else ""
            raise MonitorError(f"found {len(devices)} Joulescopes{which}; connect one (or "
                               "name it: joulescope:SERIAL)")
        self._dev = devices[0]
        try:
            self._dev.open()
            self._dev.parameter_set("i_range", "auto")
            self._dev.parameter_set("sensor_power", "on")
            self._dev.parameter_set("sampling_frequency", int(self.sample_rate_hz))
            self.sample_rate_hz = float(self._dev.sampling_frequency)
        except Exception as exc:
            raise MonitorError(f"cannot open {self.name} ({exc}); close the Joulescope UI "
                               "and run again") from exc

    def start(self) -> None:
        self._dev.start(stop_fn=None, duration=None)
        self._next = self._dev.stream_buffer.sample_id_range[0]

    def read(self) -> Chunk | None:
        # joulescope closes a removed device (its stream buffer goes with it); the device's
        # status() is a constant in the v1 API, so this is how a pulled cable shows.
        buffer = self._dev.stream_buffer
        if buffer is None or not self._dev.is_open:
            raise MonitorDisconnected(f"{self.name} was removed")
        try:
            end = buffer.sample_id_range[1]
            if end <= self._next:
                return None
            data = buffer.samples_get(self._next, end, fields=["current", "current_lsb"])
        except Exception as exc:
            raise MonitorDisconnected(str(exc)) from exc
        self._next = end
        signals = data["signals"]
        return Chunk(np.asarray(signals["current"]["value"], dtype=np.float64),
                     np.asarray(signals["current_lsb"]["value"], dtype=bool))

    def stop(self) -> None:
        self._dev.stop()
        self._dev.close()
