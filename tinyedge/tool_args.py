"""Values that reach an external tool's own language, checked before they get there.

Every tool is started with a list of arguments and no shell, but some tools interpret
some arguments again: OpenOCD evaluates each ``-c`` string (and ``-f`` names) as Tcl, so
``[exec …]`` inside a probe serial or a path runs a program; Renode's monitor and Robot
Framework read their scripts line by line and split on runs of spaces; QEMU splits
``-device``/``-monitor``/``-M`` values on commas into sub-options. Nothing from a user, a
board file or a file name is spliced into such a string unless it matches a strict
pattern here; anything else is refused with one line naming the value and the fix.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tinyedge.errors import TinyedgeError
from tinyedge.layout import FIRMWARE_ELF

# ST-LINK, J-Link and CMSIS-DAP serials are hex or alphanumeric strings.
PROBE_SERIAL = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Characters with no meaning in Tcl, Renode's monitor, Robot or QEMU option syntax.
SAFE_PATH = re.compile(r"[A-Za-z0-9_./+-]{1,4096}")


class UnsafeArgumentError(TinyedgeError):
    """A value that another tool would interpret as code or as extra options."""


def probe_serial(serial: str) -> str:
    """``serial`` when it is a plain probe serial number; refuse anything else."""
    if not PROBE_SERIAL.fullmatch(serial):
        raise UnsafeArgumentError(
            f"probe serial {serial[:80]!r} is not a serial number (letters, digits, '-' and "
            "'_', at most 64); copy it from `openocd`'s or `pyocd list`'s probe listing")
    return serial


def safe_name(value: str, what: str, where: str) -> str:
    """A single word (board config file name, emulator machine, Renode platform)."""
    if not SAFE_PATH.fullmatch(value):
        raise UnsafeArgumentError(
            f"{what} {value[:80]!r} in {where} contains characters other tools would "
            "interpret (use letters, digits and . _ + - /)")
    if value.startswith("-"):
        raise UnsafeArgumentError(f"{what} {value[:80]!r} in {where} must not start with '-'")
    return value


def is_safe_path(path: Path) -> bool:
    return SAFE_PATH.fullmatch(str(path)) is not None


@contextmanager
def staged_file(path: Path, name: str = FIRMWARE_ELF) -> Iterator[Path]:
    """``path`` itself when its absolute form is safe to splice into a tool's command
    language, else a copy under a fresh temporary folder whose name is safe; removed on
    exit. Refuses when even the temporary folder's path is unsafe (an odd ``$TMPDIR``)."""
    absolute = path.resolve()
    if is_safe_path(absolute):
        yield absolute
        return
    scratch = Path(tempfile.mkdtemp(prefix="tinyedge-stage-"))
    try:
        staged = scratch / name
        if not is_safe_path(staged):
            raise UnsafeArgumentError(
                f"the temporary folder {scratch} has characters other tools would interpret; "
                "set TMPDIR to a plain path such as /tmp")
        shutil.copyfile(absolute, staged)
        yield staged
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def qemu_value(value: str | Path) -> str:
    """A value for a QEMU ``key=value,…`` option: commas doubled, as QEMU's parser wants."""
    return str(value).replace(",", ",,")
