"""Byte transports below the protocol: a real serial port or an emulator's TCP socket,
both through pyserial (``/dev/ttyACM0``, ``socket://127.0.0.1:PORT``). Tests put a
fault-injecting proxy in between; the session above cannot tell the difference."""

from __future__ import annotations

import contextlib
import time
from typing import Protocol

from tinyedge.errors import TinyedgeError


class TransportError(TinyedgeError):
    """The link to the device failed (port busy or gone, connection refused or cut)."""


class Transport(Protocol):
    def write(self, data: bytes) -> None: ...
    def read(self, timeout: float) -> bytes: ...
    def reopen(self) -> None: ...
    def close(self) -> None: ...


class SerialTransport:
    """pyserial on a device path or URL. ``read`` returns what arrives within ``timeout``
    (possibly nothing); a lost connection raises :class:`TransportError`."""

    def __init__(self, url: str, baudrate: int = 115200, connect_timeout: float = 10.0) -> None:
        self.url = url
        self.baudrate = baudrate
        self.connect_timeout = connect_timeout
        self._port = None
        self._open()

    def _open(self) -> None:
        import serial

        deadline = time.monotonic() + self.connect_timeout
        while True:
            try:
                self._port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0,
                                                   exclusive=True if "://" not in self.url
                                                   else None)
                return
            except (serial.SerialException, OSError, ValueError) as exc:
                if time.monotonic() > deadline:
                    raise TransportError(_explain(self.url, exc)) from exc
                time.sleep(0.05)

    def write(self, data: bytes) -> None:
        import serial

        try:
            self._port.write(data)
            self._port.flush()
        except (serial.SerialException, OSError) as exc:
            raise TransportError(f"lost the connection to {self.url}: {exc}") from exc

    def read(self, timeout: float) -> bytes:
        import serial

        deadline = time.monotonic() + timeout
        try:
            while True:
                waiting = self._port.in_waiting
                if waiting:
                    return self._port.read(waiting)
                if time.monotonic() >= deadline:
                    return b""
                time.sleep(0.001)
        except (serial.SerialException, OSError) as exc:
            raise TransportError(f"lost the connection to {self.url}: {exc}") from exc

    def reopen(self) -> None:
        self.close()
        self._open()

    def close(self) -> None:
        if self._port is not None:
            with contextlib.suppress(OSError):
                self._port.close()
            self._port = None


def check_port(url: str) -> None:
    """Open and close ``url`` once, at once: a missing or busy port is found before any
    build or evaluation starts (a session's own opening retries while a board re-enumerates
    after a reset)."""
    SerialTransport(url, connect_timeout=0).close()


def _explain(url: str, exc: Exception) -> str:
    text = str(exc)
    if "busy" in text.lower() or "lock" in text.lower():
        return (f"serial port {url} is busy (another program holds it); close that program "
                "(screen, minicom, an IDE monitor) and retry")
    if url.startswith("socket://"):
        return f"cannot connect to {url} ({text}); is the emulator running?"
    return (f"cannot open serial port {url} ({text}); check the cable and the --port name "
            "(e.g. /dev/ttyACM0 for an ST-LINK virtual COM port)")
