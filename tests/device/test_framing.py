import random
import zlib

import pytest

from tinyedge.device.framing import MAX_PAYLOAD, Frame, FrameDecoder, encode_frame


def test_frame_layout_by_hand():
    wire = encode_frame(Frame(0x83, 7, b"\x01\x02"))
    body = bytes([0x83, 7, 2, 0, 1, 2])
    assert wire == b"\xa5\x5a" + body + zlib.crc32(body).to_bytes(4, "little")


def test_round_trip_in_arbitrary_pieces():
    frames = [Frame(t, s, bytes(range(n % 256)) * (n // 256 + 1)) for t, s, n in
              [(1, 0, 0), (0x81, 1, 76), (2, 255, 3076), (0x86, 9, 300)]]
    wire = b"".join(encode_frame(f) for f in frames)
    decoder = FrameDecoder()
    got = []
    rng = random.Random(1)
    i = 0
    while i < len(wire):
        step = rng.randint(1, 50)
        got += decoder.feed(wire[i : i + step])
        i += step
    assert got == frames and decoder.dropped == 0


def test_corruption_costs_only_that_frame():
    a, b, c = (encode_frame(Frame(0x83, s, bytes([s]) * 20)) for s in (1, 2, 3))
    broken = bytearray(b)
    broken[10] ^= 0x40
    decoder = FrameDecoder()
    got = decoder.feed(b"noise\xa5" + a + bytes(broken) + c)
    assert [f.seq for f in got] == [1, 3]
    assert decoder.crc_errors == 1


def test_truncated_frame_then_valid_frame_recovers():
    a, b = encode_frame(Frame(1, 1, b"x" * 50)), encode_frame(Frame(1, 2, b"y"))
    decoder = FrameDecoder()
    got = decoder.feed(a[:30] + b)
    # The truncated frame swallows b's bytes as its payload until the CRC fails, then
    # the decoder rescans them and finds b.
    got += decoder.feed(b"\x00" * 40)
    assert [f.seq for f in got] == [2]


def test_oversized_length_is_not_buffered():
    decoder = FrameDecoder(max_payload=100)
    assert decoder.feed(b"\xa5\x5a\x01\x00\xff\xff" + b"\x00" * 10) == []
    assert len(decoder._buffer) < 16


def test_payload_limit_on_encode():
    with pytest.raises(ValueError, match="exceeds"):
        encode_frame(Frame(1, 1, b"\x00" * (MAX_PAYLOAD + 1)))
