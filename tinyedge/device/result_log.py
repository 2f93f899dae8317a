"""An append-only log of per-image device results, so an interrupted evaluation resumes
without losing or duplicating a result — and never reuses a result that something else
produced.

The first line is the key of everything that produced the results (model sha256,
firmware image hash, target, protocol version, input set); then one JSON object per
line, flushed and fsynced as results arrive::

    {"key": {...}}
    {"i": 17, "count": 123456, "out": "f3a1…"}   (out = the int8 output bytes, hex)

On reopening with another key (or a log from before keys existed), the old log is moved
aside under a new name — never deleted — and the run starts fresh; ``moved_aside`` says
where it went. Within a matching log, a torn last line (the process died mid-write) is
discarded and the file truncated to its last complete line; a second result for an index
already logged is ignored, so retries and resumptions can never duplicate one.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


def read_results(path: str | Path, output_bytes: int
                 ) -> tuple[dict[str, Any] | None, dict[int, tuple[int, bytes]]]:
    """Read a log without changing it: (its key or None, the complete results)."""
    key, results = None, {}
    for n, line in enumerate(Path(path).read_bytes().splitlines(keepends=True)):
        if not line.endswith(b"\n"):
            break
        try:
            entry = json.loads(line)
            if n == 0 and "key" in entry:
                key = entry["key"]
                continue
            out, index, count = bytes.fromhex(entry["out"]), int(entry["i"]), int(entry["count"])
        except (ValueError, KeyError, TypeError):
            break
        if len(out) != output_bytes:
            break
        results.setdefault(index, (count, out))
    return key, results


def _key_line(key: dict[str, Any]) -> bytes:
    return (json.dumps({"key": key}, sort_keys=True) + "\n").encode()


class ResultLog:
    def __init__(self, path: str | Path, output_bytes: int, key: dict[str, Any] | None = None,
                 fsync_every: int = 16) -> None:
        self.path = Path(path)
        self.output_bytes = output_bytes
        self.key = key or {}
        self.fsync_every = fsync_every
        self.results: dict[int, tuple[int, bytes]] = {}
        self.moved_aside: Path | None = None
        self._since_sync = 0
        self._fh = None  # opened at the first new result: a failed run writes nothing
        self._recover()

    def _recover(self) -> None:
        if not self.path.is_file():
            return
        data = self.path.read_bytes()
        head = _key_line(self.key)
        if not data.startswith(head):
            self.moved_aside = self._move_aside()
            return
        good = len(head)
        for line in data[len(head):].splitlines(keepends=True):
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

    def _move_aside(self) -> Path:
        """Rename the log to ``<name>.<UTC time>[.n].old`` (kept for inspection)."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        for n in range(1000):
            target = self.path.with_name(f"{self.path.name}.{stamp}{f'.{n}' if n else ''}.old")
            if not target.exists():
                self.path.rename(target)
                return target
        raise FileExistsError(f"cannot move {self.path} aside")

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
            fresh = not self.path.is_file() or self.path.stat().st_size == 0
            self._fh = open(self.path, "ab")  # noqa: SIM115 - kept open for appends
            if fresh:
                self._fh.write(_key_line(self.key))
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
