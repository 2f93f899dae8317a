"""Byte framing of the serial protocol, shared by host and firmware
(firmware/app/te_frame.c; the sync bytes and limits come from :mod:`tinyedge.protocol`).

A frame on the wire::

    0xA5 0x5A | type:u8 | seq:u8 | length:u16 LE | payload[length] | crc32:u32 LE

The CRC-32 (IEEE 802.3, as zlib.crc32) covers type, seq, length and payload. A receiver
that meets a bad CRC, an oversized length or garbage drops one byte and hunts for the
next sync pair, so a corrupted or truncated frame costs only that frame.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from tinyedge.protocol import REPLY_MAX_PAYLOAD, SYNC

HEADER = struct.Struct("<BBH")  # type, seq, length
CRC = struct.Struct("<I")
MAX_PAYLOAD = REPLY_MAX_PAYLOAD
OVERHEAD = len(SYNC) + HEADER.size + CRC.size


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    payload: bytes = b""


def encode_frame(frame: Frame) -> bytes:
    if len(frame.payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(frame.payload)} bytes exceeds {MAX_PAYLOAD}")
    body = HEADER.pack(frame.type, frame.seq & 0xFF, len(frame.payload)) + frame.payload
    return SYNC + body + CRC.pack(zlib.crc32(body))


class FrameDecoder:
    """Incremental decoder: feed bytes as they arrive, collect complete, valid frames.

    Memory is bounded: the buffer never holds more than one maximal frame plus the
    current read. ``dropped`` counts bytes skipped while resynchronising.
    """

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self._buffer = bytearray()
        self._max_payload = max_payload
        self.dropped = 0
        self.crc_errors = 0

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames = []
        while (frame := self._next()) is not None:
            frames.append(frame)
        return frames

    def _next(self) -> Frame | None:
        while True:
            start = self._buffer.find(SYNC)
            if start < 0:
                # Keep a trailing 0xA5: it may be the first half of a sync pair.
                keep = 1 if self._buffer[-1:] == SYNC[:1] else 0
                self.dropped += len(self._buffer) - keep
                del self._buffer[: len(self._buffer) - keep]
                return None
            if start:
                self.dropped += start
                del self._buffer[:start]
            if len(self._buffer) < len(SYNC) + HEADER.size:
                return None
            kind, seq, length = HEADER.unpack_from(self._buffer, len(SYNC))
            if length > self._max_payload:
                self._skip_one()
                continue
            total = OVERHEAD + length
            if len(self._buffer) < total:
                return None
            body = bytes(self._buffer[len(SYNC) : total - CRC.size])
            (crc,) = CRC.unpack_from(self._buffer, total - CRC.size)
            if zlib.crc32(body) != crc:
                self.crc_errors += 1
                self._skip_one()
                continue
            del self._buffer[:total]
            return Frame(kind, seq, body[HEADER.size :])

    def _skip_one(self) -> None:
        self.dropped += 1
        del self._buffer[:1]

    def reset(self) -> None:
        self._buffer.clear()
