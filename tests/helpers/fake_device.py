"""Fake devices for the fast tier. :class:`FakeTransport`: a scripted device behind the
Transport interface: every request frame the host writes is decoded and handed to
``respond(frame)``, whose returned bytes (whole frames, garbage, anything) become readable
by the host. :class:`PtyBoard`: a well-behaved board on a pseudo-terminal, reached by the
real serial transport through ``--port``."""

from __future__ import annotations

import os
import select
import struct
import time
from collections.abc import Callable

from helpers.pty_device import PtyDevice
from tinyedge.device.framing import Frame, FrameDecoder, encode_frame
from tinyedge.device.messages import PROTOCOL_VERSION, Command, DeviceInfo, Reply
from tinyedge.device.transport import TransportError
from tinyedge.protocol import PROFILE_ENTRY

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


class PtyBoard(PtyDevice):
    """A board running tinyedge firmware as the host sees it on a serial port: a
    pseudo-terminal whose far end decodes request frames and answers them the way
    firmware/app/te_protocol.c does (HELLO → INFO, SET_INPUT → ACK, INVOKE → RESULT,
    PROFILE, STACK). ``infer(input) -> (cycles, output)`` stands in for the model and is
    called for every INVOKE, where the firmware raises its "inference active" pin (a test
    holds a MarkerPin there); PROFILE runs without the pin, as on the board.

    ``with PtyBoard(info, infer) as board:`` then pass ``board.port`` as ``--port``."""

    thread_name = "pty-board"

    def __init__(self, info: DeviceInfo, infer: Callable[[bytes], tuple[int, bytes]]) -> None:
        super().__init__()
        self.info = info
        self.infer = infer
        self.invokes = 0
        self.requests: list[int] = []  # command codes, in order
        self._input = bytearray(info.input_bytes)
        self._decoder = FrameDecoder()

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._controller], [], [], 0.01)
            if not ready:
                continue
            try:
                data = os.read(self._controller, 4096)
            except OSError:  # the host closed the port between sessions
                continue
            for frame in self._decoder.feed(data):
                self.requests.append(frame.type)
                os.write(self._controller, self._answer(frame))

    def _answer(self, frame: Frame) -> bytes:
        if frame.type == Command.HELLO:
            return reply(Reply.INFO, frame.seq, self.info.encode())
        if frame.type == Command.SET_INPUT:
            (offset,) = struct.unpack_from("<I", frame.payload)
            data = frame.payload[4:]
            self._input[offset:offset + len(data)] = data
            return reply(Reply.ACK, frame.seq, struct.pack("<I", offset + len(data)))
        if frame.type == Command.INVOKE:
            self.invokes += 1
            cycles, output = self.infer(bytes(self._input))
            return reply(Reply.RESULT, frame.seq, struct.pack("<Q", cycles) + output)
        if frame.type == Command.PROFILE:
            return reply(Reply.PROFILE, frame.seq, b"".join(
                PROFILE_ENTRY.pack(layer, 1000 + layer) for layer in range(self.info.layers)))
        if frame.type == Command.STACK:
            return reply(Reply.STACK, frame.seq, struct.pack("<II", 512, 4096))
        return reply(Reply.ERROR, frame.seq, b"\x01unknown command")
