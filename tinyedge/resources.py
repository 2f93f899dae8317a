"""Where the files tinyedge ships besides Python live: the C runtime (``firmware/``) and
the board definitions (``boards/``).

In a source checkout (and an editable install) they are the repository's top-level
folders; a wheel carries them inside the package as ``tinyedge/_data/firmware`` and
``tinyedge/_data/boards`` (see ``[tool.setuptools]`` in pyproject.toml), so a
non-editable install builds firmware from any working directory.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    packaged = _PACKAGE / "_data" / name
    return packaged if packaged.is_dir() else _PACKAGE.parent / name


def firmware_dir() -> Path:
    return _shipped("firmware")


def boards_dir() -> Path:
    return _shipped("boards")
