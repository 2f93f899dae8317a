"""Fixtures for the firmware tests: a session build cache for host libraries."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def native_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("native")


@pytest.fixture(scope="session")
def zoo_int8(tmp_path_factory: pytest.TempPathFactory):
    """``zoo_int8(arch, width, num_classes=10)`` -> path of that zoo model exported to
    int8, built once per session through tinyedge.export."""
    from helpers.firmware_models import build_zoo_int8

    built: dict[tuple[str, float, int], Path] = {}

    def get(arch: str, width: float, num_classes: int = 10) -> Path:
        key = (arch, width, num_classes)
        if key not in built:
            work = tmp_path_factory.mktemp(f"{arch}-{width}")
            built[key] = build_zoo_int8(arch, width, work, num_classes)
        return built[key]

    return get
