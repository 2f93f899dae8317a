"""An append-only log of per-image device results, so an interrupted evaluation resumes
without losing or duplicating a result.

One JSON object per line, flushed and fsynced as results arrive::

    {"i": 17, "count": 123456, "out": "f3a1…"}   (out = the int8 output bytes, hex)

On reopening, a torn last line (the process died mid-write) is discarded and the file
truncated to its last complete line; a second result for an index already logged is
ignored, so retries and resumptions can never duplicate one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


class ResultLog:
    def __init__(self, path: str | Path, output_bytes: int, fsync_every: int = 16) -> None:
        self.path = Path(path)
        self.output_bytes = output_bytes
        self.fsync_every = fsync_every
        self.results: dict[int, tuple[int, bytes]] = {}
        self._since_sync = 0
        self._fh = None  # opened at the first new result: a failed run writes nothing
        self._recover()

    def _recover(self) -> None:
        if not self.path.is_file():
            return
        data = self.path.read_bytes()
        good = 0
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break
            try:
                entry = json.loads(line)
                out = bytes.fromhex(entry["out"])
                index, count = int(entry["i"]), int(entry["count"])
            except (ValueError, KeyError, TypeError):
                break
            if len(out) != self.output_bytes:
                break
            self.results.setdefault(index, (count, out))
            good += len(line)
        if good != len(data):
            with open(self.path, "r+b") as fh:
                fh.truncate(good)

    def __contains__(self, index: int) -> bool:
        return index in self.results

    def __len__(self) -> int:
        return len(self.results)

    def add(self, index: int, count: int, output: bytes) -> bool:
        """Record a result; False (and nothing written) if ``index`` is already logged."""
        if index in self.results:
            return False
        if len(output) != self.output_bytes:
            raise ValueError(f"output of {len(output)} bytes, expected {self.output_bytes}")
        line = json.dumps({"i": index, "count": count, "out": output.hex()}) + "\n"
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "ab")  # noqa: SIM115 - kept open for appends
        self._fh.write(line.encode())
        self._fh.flush()
        self._since_sync += 1
        if self._since_sync >= self.fsync_every:
            os.fsync(self._fh.fileno())
            self._since_sync = 0
        self.results[index] = (count, output)
        return True

    def close(self) -> None:
        if self._fh is not None and not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()

    def __enter__(self) -> ResultLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
