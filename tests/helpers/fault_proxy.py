"""A TCP proxy between the host and an emulator's serial socket that corrupts, drops and
delays bytes in both directions and cuts the host's connection once. The emulator side
stays connected across the cut, as a board stays powered when a USB cable is pulled."""

from __future__ import annotations

import random
import selectors
import socket
import threading
import time
from dataclasses import dataclass


@dataclass
class FaultStats:
    corrupted: int = 0
    dropped: int = 0
    delayed: int = 0
    cuts: int = 0
    forwarded: int = 0


class FaultProxy:
    def __init__(self, target_port: int, *, seed: int = 0, corrupt: float = 0.0005,
                 drop: float = 0.0005, delay: float = 0.02, max_delay_s: float = 0.02,
                 cut_after_bytes: int | None = 20_000, corrupt_at: int | None = 5_000,
                 drop_at: int | None = 15_000) -> None:
        self.target_port = target_port
        self.rng = random.Random(seed)
        self.corrupt, self.drop, self.delay = corrupt, drop, delay
        self.max_delay_s = max_delay_s
        self.cut_after_bytes = cut_after_bytes
        # Besides the random faults (whose count varies with how TCP splits the stream),
        # one corruption and one drop at fixed positions make every run see both.
        self.corrupt_at, self.drop_at = corrupt_at, drop_at
        self._seen = 0
        self.stats = FaultStats()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"socket://127.0.0.1:{self.port}"
        self._upstream: socket.socket | None = None
        self._client: socket.socket | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _mangle(self, data: bytes) -> bytes:
        out = bytearray()
        for byte in data:
            self._seen += 1
            roll = self.rng.random()
            if self._seen == self.drop_at:
                roll = 0.0
            elif self._seen == self.corrupt_at:
                roll = self.drop
            if roll < self.drop:
                self.stats.dropped += 1
                continue
            if roll < self.drop + self.corrupt:
                self.stats.corrupted += 1
                byte ^= 1 << self.rng.randrange(8)
            out.append(byte)
        first_delay = self.stats.delayed == 0 and self._seen > 10_000
        if self.rng.random() < self.delay or first_delay:
            self.stats.delayed += 1
            time.sleep(self.rng.uniform(0, self.max_delay_s))
        return bytes(out)

    def _loop(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._listener, selectors.EVENT_READ, "accept")
        while not self._stop.is_set():
            for key, _ in selector.select(timeout=0.05):
                if key.data == "accept":
                    self._accept(selector)
                elif key.data == "client":
                    self._pump(selector, self._client, self._upstream, from_client=True)
                else:
                    self._pump(selector, self._upstream, self._client, from_client=False)
        selector.close()

    def _accept(self, selector: selectors.BaseSelector) -> None:
        client, _ = self._listener.accept()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._client is not None:
            selector.unregister(self._client)
            self._client.close()
        self._client = client
        selector.register(client, selectors.EVENT_READ, "client")
        if self._upstream is None:
            self._upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            selector.register(self._upstream, selectors.EVENT_READ, "upstream")

    def _pump(self, selector, source, sink, from_client: bool) -> None:
        try:
            data = source.recv(65536)
        except OSError:
            data = b""
        if not data:
            selector.unregister(source)
            source.close()
            if from_client:
                self._client = None
            else:
                self._upstream = None
            return
        if sink is None:
            return  # nobody connected on the other side: the bytes are lost
        data = self._mangle(data)
        try:
            sink.sendall(data)
        except OSError:
            return
        self.stats.forwarded += len(data)
        if (self._client is not None and self.cut_after_bytes is not None
                and self.stats.forwarded >= self.cut_after_bytes and self.stats.cuts == 0):
            self.stats.cuts += 1
            selector.unregister(self._client)
            self._client.close()
            self._client = None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for sock in (self._client, self._upstream, self._listener):
            if sock is not None:
                sock.close()
