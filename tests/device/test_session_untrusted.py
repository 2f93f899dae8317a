"""The device session against a misbehaving fake device: every wait ends within a hard
deadline, replies out of range are ignored, faults are named, device text is sanitised."""

from __future__ import annotations

import struct
import time

import numpy as np
import pytest
from helpers.fake_device import FakeTransport, info_payload, reply

from tinyedge.device.framing import MAX_PAYLOAD, FrameDecoder
from tinyedge.device.messages import (
    Command,
    DeviceFault,
    DeviceInfo,
    ProtocolError,
    Reply,
    printable,
)
from tinyedge.device.session import DeviceSession, DeviceTimeout
from tinyedge.errors import TinyedgeError

TIMEOUT = 0.2


def batch_result(seq: int, index: int, output: bytes = b"\x01\x02\x03") -> bytes:
    return reply(Reply.BATCH_RESULT, seq, struct.pack("<IQ", index, 7) + output)


def session_with(respond) -> tuple[DeviceSession, FakeTransport]:
    def handler(frame):
        if frame.type == Command.HELLO:
            return reply(Reply.INFO, frame.seq, info_payload())
        return respond(frame)

    transport = FakeTransport(handler)
    return DeviceSession(transport, timeout=TIMEOUT, retries=2), transport


def test_repeated_batch_results_cannot_extend_the_wait_forever() -> None:
    """The old loop extended its deadline on every BATCH_RESULT: a device repeating one
    result kept the host waiting forever."""
    def respond(frame):
        return batch_result(frame.seq, 0) * 5000 if frame.type == Command.RUN_BATCH else b""

    session, _ = session_with(respond)
    session.hello()
    got = []
    start = time.monotonic()
    session.run_batch(0, 2, got.append)
    assert time.monotonic() - start < TIMEOUT * 3 + 1.0
    assert [r.index for r in got] == [0]
    assert session.stats.stale_frames > 0


def test_batch_results_outside_the_requested_range_are_dropped() -> None:
    def respond(frame):
        if frame.type != Command.RUN_BATCH:
            return b""
        return (batch_result(frame.seq, 10**9) + batch_result(frame.seq, 4)
                + batch_result(frame.seq, 5) + reply(Reply.BATCH_DONE, frame.seq))

    session, _ = session_with(respond)
    session.hello()
    got = []
    session.run_batch(5, 1, got.append)
    assert [r.index for r in got] == [5]


def test_a_device_that_never_finishes_a_batch_ends_at_the_hard_deadline() -> None:
    """A new in-range result every TIMEOUT/2 would extend the idle deadline forever; the
    hard deadline (timeout × (count + 1)) still ends the wait."""
    state = {"next": 0}

    class Dribble(FakeTransport):
        def read(self, timeout):
            if self.pending:
                return super().read(timeout)
            time.sleep(TIMEOUT / 2)
            state["next"] += 1
            return batch_result(self.requests[-1].seq, state["next"] % 3)

    transport = Dribble(lambda f: reply(Reply.INFO, f.seq, info_payload())
                        if f.type == Command.HELLO else b"")
    session = DeviceSession(transport, timeout=TIMEOUT, retries=1)
    session.hello()
    start = time.monotonic()
    session.run_batch(0, 3, lambda r: None)
    assert time.monotonic() - start <= TIMEOUT * 4 + 0.5


def test_a_fault_report_is_named_with_pc_and_layer() -> None:
    def respond(frame):
        if frame.type == Command.SET_INPUT:
            return reply(Reply.ACK, frame.seq, struct.pack("<I", 4))
        if frame.type == Command.INVOKE:
            return reply(Reply.FAULT, frame.seq, struct.pack("<IIIi", 3, 0x0800_1234, 0x400, 7))
        return b""

    session, _ = session_with(respond)
    with pytest.raises(DeviceFault) as info:
        session.infer(b"\0" * 4)
    message = str(info.value)
    assert "HardFault at PC 0x08001234" in message and "layer 7" in message
    assert "\n" not in message


def test_device_error_text_is_sanitised_for_the_terminal() -> None:
    evil = b"\x03\x1b[2J\x1b]0;pwned\x07line\nbreak" + b"A" * 500

    def respond(frame):
        return reply(Reply.ERROR, frame.seq, evil) if frame.type == Command.STACK else b""

    session, _ = session_with(respond)
    session.hello()
    with pytest.raises(ProtocolError) as info:
        session.stack()
    message = str(info.value)
    assert message.isprintable() and "\x1b" not in message and "\n" not in message
    assert len(message) < 200
    assert printable(b"ok\x1b") == "ok\\x1b"


def test_board_name_in_info_is_sanitised() -> None:
    info = DeviceInfo.decode(info_payload(board=b"\x1b[31mred\n\0\0"))
    assert info.board.isprintable() and "\x1b" not in info.board


def test_garbage_and_oversized_replies_end_in_a_timeout() -> None:
    rng = np.random.default_rng(0)

    def respond(frame):
        junk = rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()
        oversized = b"\xa5\x5a" + struct.pack("<BBH", 0x81, frame.seq, 0xFFFF) + b"\0" * 64
        return junk + oversized

    transport = FakeTransport(respond)
    session = DeviceSession(transport, timeout=TIMEOUT, retries=2)
    start = time.monotonic()
    with pytest.raises(DeviceTimeout):
        session.hello()
    assert time.monotonic() - start < TIMEOUT * 3 + 1.0


def test_a_dead_emulator_ends_the_reconnect_loop_at_once() -> None:
    class Gone(TinyedgeError):
        pass

    def alive():
        raise Gone("the firmware faulted and stopped the emulator (exit code 250)")

    class Broken(FakeTransport):
        def write(self, data):
            from tinyedge.device.transport import TransportError
            raise TransportError("connection reset")

    session = DeviceSession(Broken(lambda f: b"", alive=False), timeout=5.0, retries=3,
                            alive=alive)
    start = time.monotonic()
    with pytest.raises(Gone, match="exit code 250"):
        session.hello()
    assert time.monotonic() - start < 1.0


def test_frame_decoder_survives_random_bytes_with_bounded_memory() -> None:
    rng = np.random.default_rng(1)
    decoder = FrameDecoder()
    for _ in range(300):
        chunk = rng.integers(0, 256, int(rng.integers(1, 5000)), dtype=np.uint8).tobytes()
        if rng.random() < 0.3:
            chunk += b"\xa5\x5a" + rng.integers(0, 256, 4, dtype=np.uint8).tobytes()
        for frame in decoder.feed(chunk):
            assert len(frame.payload) <= MAX_PAYLOAD
        assert len(decoder._buffer) <= MAX_PAYLOAD + 12 + len(chunk)
