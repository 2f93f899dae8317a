"""Static memory planning for the activation arena.

Every non-constant tensor becomes a :class:`Buffer` with a size and a lifetime (the index
of the operator that writes it to the last operator that reads it, inclusive). A
:class:`MemoryPlanner` assigns byte offsets in one arena such that no two buffers whose
lifetimes intersect overlap in memory. Strategies are swappable; the default is
:class:`GreedyBySizePlanner`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Buffer:
    """A block the arena must hold from operator ``first`` through operator ``last``."""

    id: int
    size: int
    first: int
    last: int

    def overlaps_in_time(self, other: Buffer) -> bool:
        return self.first <= other.last and other.first <= self.last


class MemoryPlanner(Protocol):
    def plan(self, buffers: Sequence[Buffer]) -> dict[int, int]:
        """Offset (bytes from the arena start) of every buffer, keyed by buffer id."""
        ...


def align_up(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def arena_size(buffers: Sequence[Buffer], offsets: dict[int, int], alignment: int = 16) -> int:
    """Bytes the arena needs for a plan (rounded up to ``alignment``)."""
    end = max((offsets[b.id] + b.size for b in buffers), default=0)
    return align_up(end, alignment)


class GreedyBySizePlanner:
    """Largest buffer first, each at the lowest aligned offset that fits.

    Buffers are sorted by size (descending; ties by earlier first use, then id, so the plan
    is deterministic). For each buffer, the already-placed buffers whose lifetimes intersect
    its own are the only obstacles: walking them in offset order, the buffer goes into the
    first gap large enough, or after the last obstacle. Large tensors therefore claim
    the bottom of the arena and short-lived small ones fill the holes between them — the
    same idea as TFLite Micro's GreedyMemoryPlanner. It is not optimal, but it is O(n²)
    and close to the lower bound (the largest sum of simultaneously live sizes) on
    feed-forward CNNs.
    """

    def __init__(self, alignment: int = 16) -> None:
        if alignment <= 0 or alignment & (alignment - 1):
            raise ValueError(f"alignment must be a power of two, got {alignment}")
        self.alignment = alignment

    def plan(self, buffers: Sequence[Buffer]) -> dict[int, int]:
        order = sorted(buffers, key=lambda b: (-b.size, b.first, b.id))
        placed: list[tuple[int, Buffer]] = []
        offsets: dict[int, int] = {}
        for buf in order:
            offset = self._lowest_fit(buf, placed)
            offsets[buf.id] = offset
            placed.append((offset, buf))
        return offsets

    def _lowest_fit(self, buf: Buffer, placed: list[tuple[int, Buffer]]) -> int:
        obstacles = sorted((o, b.size) for o, b in placed if b.overlaps_in_time(buf))
        candidate = 0
        for offset, size in obstacles:
            if candidate + buf.size <= offset:
                break
            candidate = max(candidate, align_up(offset + size, self.alignment))
        return candidate


def lower_bound(buffers: Sequence[Buffer]) -> int:
    """Largest total size of buffers alive at the same operator: no plan can beat it."""
    steps = {s for b in buffers for s in (b.first, b.last)}
    return max((sum(b.size for b in buffers if b.first <= s <= b.last) for s in steps), default=0)
