"""A Nordic PPK2 on a pseudo-terminal, speaking the serial protocol the real ``ppk2-api``
library (0.9.x) expects, so tinyedge's PPK2 adapter is tested through that library
unchanged.

What the library sends and expects (read from ppk2_api/ppk2_api.py, not copied):

- one-byte opcodes, some with arguments: GET_META_DATA 0x19 → a text reply of
  ``Key: value`` lines ending in ``END``; SET_POWER_MODE 0x11 + 1 (ampere meter) or
  2 (source meter); REGULATOR_SET 0x0D + two bytes encoding the millivolts
  (``(b1 - 3) * 256 + b2 - 32 + 800``); DEVICE_RUNNING_SET 0x0C + 0/1;
  AVERAGE_START 0x06 / AVERAGE_STOP 0x07 start and stop the sample stream.
- samples: 32-bit little-endian words, bits 0-13 the ADC value, bits 14-16 the current
  range, bits 24-31 the logic port (D0 = bit 24). The library turns a word into µA as
  ``adc * 4 * (1.8 / 163840) / R[range]`` for the calibration this simulator reports
  (O = S = I = GS = 0, GI = UG = 1), and smooths the 3 samples after a range switch.

The current profile: ``idle_a`` with D0 low, and ``active_a`` with D0 high (the
firmware's "inference active" pin), each in the range a real PPK2 would pick. D0 comes
either from windows queued with :meth:`Ppk2Simulator.schedule`, or from a
:class:`MarkerPin` that a fake board raises around each inference (the two fakes share
it as the real board and PPK2 share the wire). ``disconnect_after`` samples, or
``cut_in_window`` (halfway through the board's N-th window), ends the stream like a
pulled USB cable: once the host has read everything sent, the pseudo-terminal is hung up.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import struct
import termios
import threading
import time
from collections import deque

from helpers.pty_device import PtyDevice

GET_META_DATA, SET_POWER_MODE, REGULATOR_SET = 0x19, 0x11, 0x0D
DEVICE_RUNNING_SET, AVERAGE_START, AVERAGE_STOP = 0x0C, 0x06, 0x07
ARGUMENTS = {SET_POWER_MODE: 1, REGULATOR_SET: 2, DEVICE_RUNNING_SET: 1}

RESISTORS = (1031.64, 101.65, 10.15, 0.94, 0.043)  # the library's defaults, reported back
ADC_STEP_V = 4 * 1.8 / 163840  # volts across the shunt per ADC count, as the library reads


def metadata_text() -> bytes:
    lines = ["Calibrated: 0"]
    for key, values in (("R", RESISTORS), ("GS", (0,) * 5), ("GI", (1,) * 5),
                        ("O", (0,) * 5), ("S", (0,) * 5), ("I", (0,) * 5),
                        ("UG", (1,) * 5)):
        lines += [f"{key}{k}: {v}" for k, v in enumerate(values)]
    lines += ["HW: 9173", "mode: 2", "IA: 56", "END"]
    return "\n".join(lines).encode() + b"\n"


def encode_current(amperes: float, d0: bool) -> tuple[int, float]:
    """The sample word for a current (smallest range that holds it) and the current the
    library will decode from it (the ADC quantises)."""
    for rng, r in enumerate(RESISTORS):
        adc = round(amperes * r / ADC_STEP_V)
        if adc <= 0x3FFF:
            return adc | rng << 14 | int(d0) << 24, adc * ADC_STEP_V / r
    raise ValueError(f"{amperes} A is beyond the PPK2's range")


class MarkerPin:
    """The board's "inference active" GPIO wired to the PPK2's logic input D0, timed in
    the monitor's sample clock: the board holds it high for a given number of sample
    periods (its inference lasts that long) and the simulator reads one level per sample
    it sends. Before each rise the pin has been low for at least ``gap`` samples, as on a
    board that spends time receiving the next input. Once the monitor is unplugged the pin
    is read by nobody and the board no longer waits on it."""

    def __init__(self, gap: int = 100, timeout: float = 10.0) -> None:
        self.gap = gap
        self.timeout = timeout
        self.windows = 0  # times the board raised the pin
        self.missed = 0  # windows no monitor clocked (unplugged, or it never sampled)
        self._left = 0  # samples the pin stays high
        self._unsent = False  # the samples that ended a window are not on the wire yet
        self._low = 0  # samples low since the last window
        self._unplugged = False
        self._changed = threading.Condition()

    def hold(self, samples: int) -> None:
        """Board side: raise the pin, wait until the monitor has sent ``samples`` samples
        of it high and the one after that lowered it, then return (pin low)."""
        with self._changed:
            clocked = self._changed.wait_for(
                lambda: self._unplugged or self._low >= self.gap, self.timeout)
            if self._unplugged or not clocked:
                self.missed += 1
                return
            self.windows += 1
            self._left = samples
            clocked = self._changed.wait_for(
                lambda: self._unplugged or not (self._left or self._unsent), self.timeout)
            if not clocked:
                self.missed += 1
            self._left = 0

    def high(self) -> bool:
        with self._changed:
            return self._left > 0

    def left(self) -> int:
        with self._changed:
            return self._left

    def clock(self, n: int) -> list[bool]:
        """Monitor side: the levels of the next ``n`` samples."""
        with self._changed:
            high = min(n, self._left)
            self._left -= high
            if high and not self._left:
                self._unsent = True  # the window ends in these samples
            self._low = (n - high if high else self._low + n) if not self._left else 0
            self._changed.notify_all()
            return [True] * high + [False] * (n - high)

    def sent(self) -> None:
        """Monitor side: every sample clocked so far is on the wire."""
        with self._changed:
            if self._unsent:
                self._unsent = False
                self._changed.notify_all()

    def unplug(self) -> None:
        with self._changed:
            self._unplugged = True
            self._changed.notify_all()


class Ppk2Simulator(PtyDevice):
    """``with Ppk2Simulator(idle_a, active_a) as sim:`` then open ``sim.port``."""

    thread_name = "ppk2-sim"

    def __init__(self, idle_a: float, active_a: float, *, chunk: int = 256,
                 disconnect_after: int | None = None, pin: MarkerPin | None = None,
                 cut_in_window: int | None = None) -> None:
        super().__init__()
        self.idle_word, self.idle_a = encode_current(idle_a, False)
        self.active_word, self.active_a = encode_current(active_a, True)
        self.chunk = chunk
        self.disconnect_after = disconnect_after
        self.marker = pin  # the board's marker wire, when D0 follows a board
        self.cut_in_window = cut_in_window
        self.commands: list[tuple[int, ...]] = []
        self.measuring = False
        self.sent = 0  # samples written
        self.pin: list[bool] = []  # D0 of every sample written, in order
        self.hung_up = threading.Event()
        self._queue: deque[bool] = deque()
        self._lock = threading.Lock()
        os.set_blocking(self._controller, False)  # a host that stops reading never blocks us
        self._out = b""  # sample bytes produced but not yet accepted by the pty
        self._idle_due = 0.0

    def _close(self) -> None:
        self._hang_up()
        os.close(self._device)

    def schedule(self, windows: int, window: int, gap: int) -> None:
        """Queue ``windows`` inference windows of ``window`` samples, each after ``gap``
        idle samples (an idle gap also follows the last one, so it closes)."""
        with self._lock:
            for _ in range(windows):
                self._queue.extend([False] * gap + [True] * window)
            self._queue.extend([False] * gap)

    def drained(self) -> bool:
        with self._lock:
            return not self._queue

    @property
    def voltage_mv(self) -> int | None:
        sets = [c for c in self.commands if c[0] == REGULATOR_SET]
        return (sets[-1][1] - 3) * 256 + sets[-1][2] - 32 + 800 if sets else None

    # --- the device side -----------------------------------------------------------------

    def _hang_up(self) -> None:
        if not self.hung_up.is_set():
            self.hung_up.set()
            os.close(self._controller)
            if self.marker is not None:
                self.marker.unplug()

    def _unread(self) -> int:
        return struct.unpack("i", fcntl.ioctl(self._device, termios.TIOCINQ, b"\0" * 4))[0]

    def _serve(self) -> None:
        pending = b""
        while not self._stop.is_set() and not self.hung_up.is_set():
            ready, _, _ = select.select([self._controller], [], [], 0.002)
            if ready:
                pending = self._commands(pending + os.read(self._controller, 256))
            if self.measuring:
                self._stream()
            self._flush()

    def _commands(self, data: bytes) -> bytes:
        while data:
            need = 1 + ARGUMENTS.get(data[0], 0)
            if len(data) < need:
                return data
            command, data = tuple(data[:need]), data[need:]
            self.commands.append(command)
            if command[0] == GET_META_DATA:
                self._out += metadata_text()
            elif command[0] == AVERAGE_START:
                self.measuring = True
            elif command[0] == AVERAGE_STOP:
                self.measuring = False
        return b""

    def _flush(self) -> None:
        if self._out:
            with contextlib.suppress(BlockingIOError):  # full: try again next tick
                self._out = self._out[os.write(self._controller, self._out):]
        if not self._out and self.marker is not None:
            self.marker.sent()

    def _stream(self) -> None:
        if self._out:
            return  # the host has not taken the last chunk yet
        pin = self.marker
        if (pin is not None and self.cut_in_window is not None
                and self.disconnect_after is None and pin.windows >= self.cut_in_window):
            self.disconnect_after = self.sent + pin.left() // 2  # inside that window
        if self.disconnect_after is not None and self.sent >= self.disconnect_after:
            deadline = time.monotonic() + 5  # the host has read all it was sent: pull the cable
            while self._unread() and time.monotonic() < deadline:
                time.sleep(0.002)
            self._hang_up()
            return
        with self._lock:
            idle = not self._queue and not (pin is not None and pin.high())
        if idle and time.monotonic() < self._idle_due:
            return  # between windows the stream is paced, so the host is not kept busy
        self._idle_due = time.monotonic() + 0.01
        n = self.chunk
        if self.disconnect_after is not None:
            n = min(n, self.disconnect_after - self.sent)
        if pin is not None:
            pins = pin.clock(n)
        else:
            with self._lock:
                pins = [self._queue.popleft() if self._queue else False for _ in range(n)]
        words = [self.active_word if p else self.idle_word for p in pins]
        self._out = struct.pack(f"<{n}I", *words)
        self.pin += pins
        self.sent += n
