"""A fake device on a pseudo-terminal: the host opens ``port`` like a USB serial device;
the subclass's ``_serve`` answers on the other end in a thread until ``__exit__``."""

from __future__ import annotations

import os
import threading
import tty
from typing import Self


class PtyDevice:
    thread_name = "pty-device"

    def __init__(self) -> None:
        self._controller, self._device = os.openpty()
        tty.setraw(self._device)
        self.port = os.ttyname(self._device)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=self.thread_name, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._close()

    def _serve(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        os.close(self._controller)
        os.close(self._device)
