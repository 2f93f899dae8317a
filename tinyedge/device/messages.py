"""Typed commands and replies of the device protocol (layer 2, above the framing).

Host → device requests carry a sequence number that the device echoes in its reply, so
a late reply to a retried request is recognised and dropped. Every request is
idempotent (setting an input, running, reading counters), which makes retrying safe.
Codes, layouts and the version come from :mod:`tinyedge.protocol`, which also generates
the firmware's header (firmware/app/te_protocol.c includes it).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from tinyedge.errors import TinyedgeError
from tinyedge.protocol import (
    FAULT,
    INFO,
    PROFILE_ENTRY,
    PROTOCOL_VERSION,
    ClockSource,
    ClockStatus,
    Command,
    Reply,
)

__all__ = ["PROTOCOL_VERSION", "Command", "Reply"]


class ProtocolError(TinyedgeError):
    """The device answered something the host cannot accept."""


class DeviceFault(TinyedgeError):
    """The firmware took a fault (HardFault, BusFault, …) and stopped."""


_EXCEPTIONS = {3: "HardFault", 4: "MemManage fault", 5: "BusFault", 6: "UsageFault"}


def fault_message(payload: bytes) -> str:
    """One line from a FAULT payload ``<IIIi``: exception, PC, CFSR, layer (-1: none)."""
    if len(payload) != FAULT.size:
        return "the firmware faulted (malformed fault report); re-flash it and retry"
    exception, pc, cfsr, layer = FAULT.unpack(payload)
    name = _EXCEPTIONS.get(exception, f"exception {exception}")
    where = f" while running layer {layer}" if layer >= 0 else ""
    return (f"the firmware faulted ({name} at PC 0x{pc:08x}, CFSR 0x{cfsr:08x}){where}; "
            "this is a tinyedge bug: report it with the model file")


class CounterKind(IntEnum):
    INSTRUCTIONS = 0  # exact instruction count (emulators)
    CYCLES = 1  # DWT cycle counter (real boards)


@dataclass(frozen=True)
class DeviceInfo:
    """What the device says about itself and the model it carries."""

    protocol: int
    counter: CounterKind
    clock_hz: int
    arena_bytes: int
    input_bytes: int
    output_bytes: int
    stack_bytes: int
    layers: int
    batch_capacity: int  # images the preload region holds (0: no batch mode)
    model_sha256: str
    board: str
    # The core clock the firmware read back after its clock bring-up, where it comes from
    # and how the bring-up ended (tinyedge.protocol.ClockSource / ClockStatus).
    core_clock_hz: int = 0
    clock_source: ClockSource = ClockSource.FIXED
    clock_status: ClockStatus = ClockStatus.OK

    @property
    def clock_description(self) -> str:
        """"PLL from HSE", "HSI (HSE failed)", "fixed oscillator"."""
        return clock_description(self.clock_source, self.clock_status)

    def encode(self) -> bytes:
        """The INFO payload again (kept on disk to skip a boot when nothing is left to run)."""
        return INFO.pack(self.protocol, int(self.counter), self.clock_hz, self.arena_bytes,
                         self.input_bytes, self.output_bytes, self.stack_bytes, self.layers,
                         self.batch_capacity, self.core_clock_hz, int(self.clock_source),
                         int(self.clock_status), bytes.fromhex(self.model_sha256),
                         self.board.encode("ascii", "replace")[:16])

    @classmethod
    def decode(cls, payload: bytes) -> DeviceInfo:
        if len(payload) != INFO.size:
            raise ProtocolError(f"INFO of {len(payload)} bytes, expected {INFO.size}")
        (proto, counter, clock, arena, inp, out, stack, layers, batch, core_hz, source,
         status, sha, board) = INFO.unpack(payload)
        if counter not in (0, 1):
            raise ProtocolError(f"unknown counter kind {counter}")
        if source not in ClockSource._value2member_map_:
            raise ProtocolError(f"unknown clock source {source}")
        if status not in ClockStatus._value2member_map_:
            raise ProtocolError(f"unknown clock status {status}")
        return cls(proto, CounterKind(counter), clock, arena, inp, out, stack, layers, batch,
                   sha.hex(), printable(board.rstrip(b"\0"), 16), core_hz,
                   ClockSource(source), ClockStatus(status))


_SOURCE_NAMES = {ClockSource.FIXED: "fixed oscillator", ClockSource.HSI: "HSI",
                 ClockSource.HSE: "HSE", ClockSource.PLL_HSI: "PLL from HSI",
                 ClockSource.PLL_HSE: "PLL from HSE", ClockSource.MSI: "MSI"}
_STATUS_NAMES = {ClockStatus.HSE_FAILED: "HSE failed", ClockStatus.PLL_FAILED: "PLL failed",
                 ClockStatus.VOLTAGE_FAILED: "voltage scaling failed",
                 ClockStatus.FLASH_FAILED: "flash wait states failed",
                 ClockStatus.SWITCH_FAILED: "clock switch failed",
                 ClockStatus.NOT_CONFIGURED: "not configured"}


def clock_description(source: ClockSource, status: ClockStatus) -> str:
    """The clock source as a person reads it, with the failed step after a fallback."""
    name = _SOURCE_NAMES[source]
    return f"{name} ({_STATUS_NAMES[status]})" if status != ClockStatus.OK else name


@dataclass(frozen=True)
class InferenceResult:
    count: int  # instructions or cycles of this inference
    output: bytes

    @classmethod
    def decode(cls, payload: bytes, output_bytes: int) -> InferenceResult:
        if len(payload) != 8 + output_bytes:
            raise ProtocolError(f"RESULT of {len(payload)} bytes, expected {8 + output_bytes}")
        (count,) = struct.unpack_from("<Q", payload)
        return cls(count, payload[8:])


@dataclass(frozen=True)
class BatchResult:
    index: int
    result: InferenceResult

    @classmethod
    def decode(cls, payload: bytes, output_bytes: int) -> BatchResult:
        if len(payload) < 4:
            raise ProtocolError("BATCH_RESULT too short")
        (index,) = struct.unpack_from("<I", payload)
        return cls(index, InferenceResult.decode(payload[4:], output_bytes))


def decode_profile(payload: bytes, layers: int) -> list[tuple[int, int]]:
    """Per layer, in execution order: (layer index, counter ticks)."""
    size = PROFILE_ENTRY.size
    if len(payload) != size * layers:
        raise ProtocolError(f"PROFILE of {len(payload)} bytes for {layers} layers")
    return [PROFILE_ENTRY.unpack_from(payload, size * i) for i in range(layers)]


def decode_stack(payload: bytes) -> tuple[int, int]:
    """(stack bytes ever used — the high-water mark, stack bytes reserved)."""
    if len(payload) != 8:
        raise ProtocolError("STACK reply must be 8 bytes")
    used, reserved = struct.unpack("<II", payload)
    return used, reserved


def encode_set_input(offset: int, data: bytes) -> bytes:
    return struct.pack("<I", offset) + data


def encode_run_batch(start: int, count: int) -> bytes:
    return struct.pack("<II", start, count)


def decode_ack(payload: bytes) -> int:
    if len(payload) != 4:
        raise ProtocolError("ACK must be 4 bytes")
    return struct.unpack("<I", payload)[0]


def printable(raw: bytes, limit: int = 120) -> str:
    """Device text made safe for a terminal: printable ASCII kept, every other byte
    (escape sequences, newlines, non-ASCII) shown as ``\\xNN``, cut to ``limit`` bytes."""
    text = "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02x}"
                   for b in raw[:limit])
    return text + ("…" if len(raw) > limit else "")


def decode_error(payload: bytes) -> str:
    code = payload[0] if payload else 0
    return f"device error {code}: {printable(payload[1:])}"
