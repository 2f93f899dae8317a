"""Progress reporting: library code reports through one object, the CLI decides how to
show it (a tqdm bar on a terminal, nothing in tests)."""

from __future__ import annotations

import sys
from typing import Any, Protocol


class Progress(Protocol):
    def task(self, total: int | None, desc: str, unit: str = "it") -> Task: ...
    def message(self, text: str) -> None: ...


class Task(Protocol):
    def advance(self, n: int = 1, **status: Any) -> None: ...
    def close(self) -> None: ...


class _NullTask:
    def advance(self, n: int = 1, **status: Any) -> None:
        pass

    def close(self) -> None:
        pass


class SilentProgress:
    """Reports nothing (tests, library use)."""

    def task(self, total: int | None, desc: str, unit: str = "it") -> Task:
        return _NullTask()

    def message(self, text: str) -> None:
        pass


class _TqdmTask:
    def __init__(self, total: int | None, desc: str, unit: str) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True)

    def advance(self, n: int = 1, **status: Any) -> None:
        if status:
            self._bar.set_postfix(status, refresh=False)
        self._bar.update(n)

    def close(self) -> None:
        self._bar.close()


class ConsoleProgress:
    """tqdm bars and one-line messages on stderr."""

    def task(self, total: int | None, desc: str, unit: str = "it") -> Task:
        return _TqdmTask(total, desc, unit)

    def message(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)
