"""Retry, resynchronisation, reset and reconnection logic of the device session, over a
fake transport (fast tier; the same paths are exercised through QEMU in test_qemu_e2e)."""

from __future__ import annotations

import struct

from helpers.fake_device import FakeTransport, info_payload, reply

from tinyedge.device.messages import Command, Reply
from tinyedge.device.session import DeviceSession
from tinyedge.device.transport import TransportError

TIMEOUT = 0.15


def ack(frame) -> bytes:
    offset = struct.unpack_from("<I", frame.payload)[0]
    return reply(Reply.ACK, frame.seq, struct.pack("<I", offset + len(frame.payload) - 4))


def result(frame, out: bytes = b"\x05\x06\x07") -> bytes:
    return reply(Reply.RESULT, frame.seq, struct.pack("<Q", 42) + out)


def test_an_unanswered_request_is_retried() -> None:
    seen = {"hello": 0}

    def respond(frame):
        if frame.type == Command.HELLO:
            seen["hello"] += 1
            return b"" if seen["hello"] == 1 else reply(Reply.INFO, frame.seq, info_payload())
        return b""

    session = DeviceSession(FakeTransport(respond), timeout=TIMEOUT, retries=3)
    assert session.hello().input_bytes == 4
    assert session.stats.retries == 1


def test_garbage_and_a_stale_reply_before_the_answer_are_skipped() -> None:
    def respond(frame):
        if frame.type != Command.HELLO:
            return b""
        corrupt = bytearray(reply(Reply.INFO, frame.seq, info_payload()))
        corrupt[10] ^= 0xFF  # bad CRC
        stale = reply(Reply.INFO, (frame.seq - 1) & 0xFF, info_payload())
        return b"\x00junk\xa5" + bytes(corrupt) + stale + reply(Reply.INFO, frame.seq,
                                                                  info_payload())

    session = DeviceSession(FakeTransport(respond), timeout=TIMEOUT, retries=1)
    session.hello()
    assert session.stats.retries == 0 and session.stats.stale_frames == 1


def test_a_reset_during_inference_redoes_it_from_the_start() -> None:
    state = {"invokes": 0}

    def respond(frame):
        if frame.type == Command.HELLO:
            return reply(Reply.INFO, frame.seq, info_payload())
        if frame.type == Command.SET_INPUT:
            return ack(frame)
        if frame.type == Command.INVOKE:
            state["invokes"] += 1
            if state["invokes"] == 1:  # the board rebooted: its BOOT frame, no result
                return reply(Reply.BOOT, 0, info_payload())
            return result(frame)
        return b""

    transport = FakeTransport(respond)
    session = DeviceSession(transport, timeout=TIMEOUT, retries=3)
    out = session.infer(b"\x01\x02\x03\x04")
    assert out.output == b"\x05\x06\x07" and out.count == 42
    assert session.stats.resets == 1
    # the input was sent again after the reset
    assert sum(f.type == Command.SET_INPUT for f in transport.requests) == 2


def test_a_cut_link_is_reopened_and_the_request_repeated() -> None:
    class Flaky(FakeTransport):
        cuts = 1

        def write(self, data):
            if self.cuts:
                self.cuts -= 1
                raise TransportError("connection reset by peer")
            super().write(data)

    transport = Flaky(lambda f: reply(Reply.INFO, f.seq, info_payload())
                      if f.type == Command.HELLO else b"")
    session = DeviceSession(transport, timeout=TIMEOUT, retries=2)
    session.hello()
    assert transport.reopens == 1 and session.stats.reconnects == 1
