"""Request/reply sessions with a device (layer 3): sequence numbers, timeouts, retries,
resynchronisation after corruption, reconnection after a cut link, and recovery from a
device reset."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from tinyedge.device.framing import Frame, FrameDecoder, encode_frame
from tinyedge.device.messages import (
    BatchResult,
    Command,
    DeviceFault,
    DeviceInfo,
    InferenceResult,
    ProtocolError,
    Reply,
    decode_ack,
    decode_error,
    decode_profile,
    decode_stack,
    encode_run_batch,
    encode_set_input,
    fault_message,
)
from tinyedge.device.transport import Transport, TransportError
from tinyedge.errors import TinyedgeError
from tinyedge.protocol import INPUT_CHUNK, REQUEST_MAX_PAYLOAD


class DeviceTimeout(TinyedgeError):
    """The device did not answer after every retry."""


class DeviceReset(Exception):
    """The device rebooted (its BOOT frame arrived): state such as the input is lost."""


@dataclass
class LinkStats:
    retries: int = 0
    reconnects: int = 0
    resets: int = 0
    stale_frames: int = 0


class DeviceSession:
    def __init__(self, transport: Transport, *, timeout: float = 5.0, retries: int = 8,
                 alive: Callable[[], None] | None = None) -> None:
        """``alive`` raises when the device is gone for good (an emulator that exited),
        so waits and reconnects end at once with that reason instead of timing out."""
        self.transport = transport
        self.alive = alive
        self.timeout = timeout
        self.retries = retries
        self.stats = LinkStats()
        self.info: DeviceInfo | None = None
        self._decoder = FrameDecoder()
        self._frames: deque[Frame] = deque()
        self._seq = 0

    # --- layer-2 requests -------------------------------------------------------------

    def wait_boot(self, timeout: float) -> DeviceInfo | None:
        """Wait (at most ``timeout``) for the BOOT frame a freshly started firmware sends
        once its UART is up; a request sent before that may be lost (the STM32 USART drops
        bytes that arrive before its receiver is enabled). None when no BOOT came (a board
        that was already running)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            frame = self._next_frame(left)
            if frame is not None and frame.type == Reply.BOOT:
                self.info = DeviceInfo.decode(frame.payload)
                return self.info
        return None

    def hello(self) -> DeviceInfo:
        frame = self._request(Command.HELLO, b"", Reply.INFO, reset_ok=True)
        self.info = DeviceInfo.decode(frame.payload)
        return self.info

    def infer(self, data: bytes) -> InferenceResult:
        """Load one input and run it; redone from the start if the device resets."""
        for _ in range(self.retries):
            try:
                self._set_input(data)
                frame = self._request(Command.INVOKE, b"", Reply.RESULT)
                return InferenceResult.decode(frame.payload, self._info().output_bytes)
            except DeviceReset:
                self.stats.resets += 1
                self.hello()
        raise DeviceTimeout("the device keeps resetting during inference; check its power")

    def profile(self, data: bytes) -> list[tuple[int, int]]:
        for _ in range(self.retries):
            try:
                self._set_input(data)
                frame = self._request(Command.PROFILE, b"", Reply.PROFILE)
                return decode_profile(frame.payload, self._info().layers)
            except DeviceReset:
                self.stats.resets += 1
                self.hello()
        raise DeviceTimeout("the device keeps resetting during profiling")

    def stack(self) -> tuple[int, int]:
        frame = self._request(Command.STACK, b"", Reply.STACK, reset_ok=True)
        return decode_stack(frame.payload)

    def run_batch(
        self, start: int, count: int, on_result: Callable[[BatchResult], None]
    ) -> None:
        """Run preloaded inputs ``start … start+count−1``; every result that arrives
        intact is passed to ``on_result`` (the caller re-requests any that did not).

        The wait is bounded twice: ``timeout`` without a *new* in-range result ends it, and
        so does a hard deadline of ``timeout × (count + 1)`` from the request, however the
        device behaves (repeated, stale or out-of-range replies never extend it)."""
        seq = self._send(Command.RUN_BATCH, encode_run_batch(start, count))
        info = self._info()
        now = time.monotonic()
        hard_deadline = now + self.timeout * (count + 1)
        deadline = now + self.timeout
        seen: set[int] = set()
        while (left := min(deadline, hard_deadline) - time.monotonic()) > 0:
            frame = self._next_frame(left)
            if frame is None:
                continue
            if frame.type == Reply.BOOT:
                self.stats.resets += 1
                self.info = DeviceInfo.decode(frame.payload)
                return
            if frame.type == Reply.FAULT:
                raise DeviceFault(fault_message(frame.payload))
            if frame.seq != seq:
                self.stats.stale_frames += 1
            elif frame.type == Reply.BATCH_RESULT:
                result = BatchResult.decode(frame.payload, info.output_bytes)
                if not start <= result.index < start + count or result.index in seen:
                    self.stats.stale_frames += 1
                    continue
                seen.add(result.index)
                on_result(result)
                deadline = time.monotonic() + self.timeout
            elif frame.type == Reply.BATCH_DONE:
                return
            elif frame.type == Reply.ERROR:
                raise ProtocolError(decode_error(frame.payload))
            else:
                self.stats.stale_frames += 1

    # --- plumbing -----------------------------------------------------------------------

    def _info(self) -> DeviceInfo:
        if self.info is None:
            self.hello()
        assert self.info is not None
        return self.info

    def _set_input(self, data: bytes) -> None:
        info = self._info()
        if len(data) != info.input_bytes:
            raise ProtocolError(f"input of {len(data)} bytes; the model takes {info.input_bytes}")
        for offset in range(0, len(data), INPUT_CHUNK):
            chunk = data[offset : offset + INPUT_CHUNK]
            frame = self._request(Command.SET_INPUT, encode_set_input(offset, chunk), Reply.ACK)
            if decode_ack(frame.payload) != offset + len(chunk):
                raise ProtocolError("the device acknowledged a different input range")

    def _request(self, command: Command, payload: bytes, expect: Reply,
                 reset_ok: bool = False) -> Frame:
        assert len(payload) <= REQUEST_MAX_PAYLOAD
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats.retries += 1
            try:
                seq = self._send(command, payload)
                frame = self._await(seq, expect, reset_ok)
            except TransportError:
                self._reconnect()
                continue
            if frame is not None:
                return frame
            self._check_alive()
        raise DeviceTimeout(
            f"no valid reply to {command.name} after {self.retries + 1} tries "
            f"({self.timeout:g} s each); check the port, the baud rate and that the board "
            "runs tinyedge firmware"
        )

    def _send(self, command: Command, payload: bytes) -> int:
        self._seq = (self._seq + 1) & 0xFF
        self.transport.write(encode_frame(Frame(int(command), self._seq, payload)))
        return self._seq

    def _await(self, seq: int, expect: Reply, reset_ok: bool) -> Frame | None:
        deadline = time.monotonic() + self.timeout
        while (left := deadline - time.monotonic()) > 0:
            frame = self._next_frame(left)
            if frame is None:
                continue
            if frame.type == Reply.BOOT:
                self.info = DeviceInfo.decode(frame.payload)
                if not reset_ok:
                    raise DeviceReset
                continue
            if frame.type == Reply.FAULT:
                raise DeviceFault(fault_message(frame.payload))
            if frame.seq != seq:
                self.stats.stale_frames += 1
                continue
            if frame.type == Reply.ERROR:
                raise ProtocolError(decode_error(frame.payload))
            if frame.type == expect:
                return frame
            self.stats.stale_frames += 1
        return None

    def _next_frame(self, timeout: float) -> Frame | None:
        """The next decoded frame, waiting at most ``timeout`` (in short reads)."""
        if not self._frames:
            data = self.transport.read(max(0.0, min(timeout, 0.05)))
            self._frames.extend(self._decoder.feed(data))
        return self._frames.popleft() if self._frames else None

    def _reconnect(self) -> None:
        self.stats.reconnects += 1
        self._decoder.reset()
        self._frames.clear()
        deadline = time.monotonic() + 10 * self.timeout
        while True:
            self._check_alive()
            try:
                self.transport.reopen()
                return
            except TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _check_alive(self) -> None:
        if self.alive is not None:
            self.alive()
