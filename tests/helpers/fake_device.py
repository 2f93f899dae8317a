"""A scripted device behind the Transport interface, for fast session tests: every
request frame the host writes is decoded and handed to ``respond(frame)``, whose returned
bytes (whole frames, garbage, anything) become readable by the host."""

from __future__ import annotations

import struct
import time
from collections.abc import Callable

from tinyedge.device.framing import Frame, FrameDecoder, encode_frame
from tinyedge.device.messages import PROTOCOL_VERSION, Reply
from tinyedge.device.transport import TransportError

INFO_LAYOUT = struct.Struct("<BBIIIIIHIIBB32s16s")


def info_payload(input_bytes: int = 4, output_bytes: int = 3, layers: int = 2,
                 protocol: int = PROTOCOL_VERSION, board: bytes = b"fake",
                 batch_capacity: int = 100, core_clock_hz: int = 25_000_000,
                 clock_source: int = 0, clock_status: int = 0) -> bytes:
    return INFO_LAYOUT.pack(protocol, 0, 25_000_000, 1024, input_bytes, output_bytes, 4096,
                            layers, batch_capacity, core_clock_hz, clock_source,
                            clock_status, bytes(32), board)


def reply(kind: Reply | int, seq: int, payload: bytes = b"") -> bytes:
    return encode_frame(Frame(int(kind), seq, payload))


class FakeTransport:
    def __init__(self, respond: Callable[[Frame], bytes], *, alive: bool = True) -> None:
        self.respond = respond
        self.requests: list[Frame] = []
        self.pending = bytearray()
        self._decoder = FrameDecoder()
        self.reopens = 0
        self.fail_reopen = not alive

    def write(self, data: bytes) -> None:
        for frame in self._decoder.feed(data):
            self.requests.append(frame)
            self.pending += self.respond(frame)

    def read(self, timeout: float) -> bytes:
        if not self.pending:
            time.sleep(min(timeout, 0.005))
            return b""
        chunk, self.pending = bytes(self.pending[:512]), self.pending[512:]
        return chunk

    def reopen(self) -> None:
        self.reopens += 1
        if self.fail_reopen:
            raise TransportError("cannot connect")

    def close(self) -> None:
        pass
