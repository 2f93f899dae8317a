"""Atomic file writes, hashing and stage manifests shared by every pipeline stage."""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import math
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tinyedge import __version__
from tinyedge.errors import TinyedgeError
from tinyedge.layout import MANIFEST_NAME, stored_path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it over ``path`` on success.

    Readers never see a half-written file: either the old file or the complete new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; results are for sharing
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json_atomic(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as JSON; NaN and infinities are refused (JSON has neither, and a
    reader would take them for figures), so nothing is written."""
    try:
        text = json.dumps(obj, indent=2, sort_keys=False, allow_nan=False)
    except ValueError as exc:
        raise TinyedgeError(f"refusing to write {path}: a figure is NaN or infinite ({exc}); "
                            "the model or measurement that produced it is broken") from exc
    write_bytes_atomic(path, (text + "\n").encode())


def file_digest(path: str | Path, algorithm: str = "sha256") -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, algorithm).hexdigest()


def sha256_file(path: str | Path) -> str:
    return file_digest(path, "sha256")


def md5_file(path: str | Path) -> str:
    return file_digest(path, "md5")


def software_versions() -> dict[str, str]:
    """Versions of the software that shaped an artifact (only what is importable)."""
    versions = {"tinyedge": __version__, "python": platform.python_version()}
    for module in ("torch", "numpy"):
        with contextlib.suppress(ImportError):
            versions[module] = __import__(module).__version__
    return versions


def file_entry(path: str | Path) -> dict[str, Any]:
    """A manifest's record of one file: its path as :func:`tinyedge.layout.stored_path`
    stores it (relative to the project root), its sha256 and its size."""
    path = Path(path)
    return {"path": stored_path(path), "sha256": sha256_file(path), "bytes": path.stat().st_size}


def write_manifest(
    folder: str | Path,
    stage: str,
    *,
    inputs: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
    figures: dict[str, Any] | None = None,
    versions: dict[str, str] | None = None,
) -> Path:
    """Write ``folder/manifest.json`` describing one stage's run (atomically)."""
    manifest = {
        "stage": stage,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "versions": {**software_versions(), **(versions or {})},
        "inputs": inputs or {},
        "parameters": parameters or {},
        "outputs": outputs or {},
        "figures": figures or {},
    }
    path = Path(folder) / MANIFEST_NAME
    write_json_atomic(path, manifest)
    return path


def read_manifest(folder: str | Path, fix: str | None = None) -> dict[str, Any] | None:
    """``folder/manifest.json`` as a dict, or None when the folder has none. A manifest
    that is not a JSON object with a ``stage`` string raises :class:`TinyedgeError`."""
    path = Path(folder) / MANIFEST_NAME
    if not path.exists() and not path.is_symlink():
        return None
    fix = fix or f"delete {path.parent} and run the stage that wrote it again"
    manifest = read_json_object(path, fix)
    fields = Fields(path, manifest, fix)
    fields.string("stage")
    for key in ("inputs", "parameters", "outputs", "figures"):
        fields.object(key, optional=True)
        if manifest.get(key) is None:
            manifest[key] = {}
    return manifest


def check_stage_folder(folder: str | Path, stage: str) -> None:
    """Refuse to write stage ``stage``'s files into ``folder`` when it already holds
    another stage's manifest (an evaluation written into an export folder would replace
    the export's manifest) or is a file."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise TinyedgeError(f"{folder} is a file, not a folder; pass another --out")
    manifest = read_manifest(folder)
    if manifest is not None and manifest["stage"] != stage:
        raise TinyedgeError(f"{folder} holds the output of `tinyedge {manifest['stage']}`; "
                            f"refusing to write {stage} results over it — pass another --out")


MAX_JSON_BYTES = 64 * 1024 * 1024  # tinyedge's own JSON files are far smaller


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def read_json_object(path: str | Path, fix: str, *, max_bytes: int = MAX_JSON_BYTES
                     ) -> dict[str, Any]:
    """Read one of tinyedge's own JSON files: a regular file of sane size holding a JSON
    object without NaN or infinities. Any problem raises :class:`TinyedgeError` naming the
    file, with ``fix`` (what to run to recreate it)."""
    path = Path(path)
    if not path.exists():
        raise TinyedgeError(f"{path} does not exist; {fix}")
    if not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file"
        raise TinyedgeError(f"{path} is {what}, not a JSON file; {fix}")
    size = path.stat().st_size
    if size > max_bytes:
        raise TinyedgeError(f"{path} is {size:,} bytes, too large for a tinyedge JSON file "
                            f"(at most {max_bytes:,}); {fix}")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"), parse_constant=_refuse_constant)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TinyedgeError(f"{path} is not valid JSON ({reason}); {fix}") from exc
    if not isinstance(data, dict):
        raise TinyedgeError(f"{path} holds a JSON {type(data).__name__}, not an object; {fix}")
    return data


class Fields:
    """Typed access to a JSON object read from ``path``: each getter returns the value or
    raises :class:`TinyedgeError` naming the file and the field (``where.key``)."""

    def __init__(self, path: str | Path, data: dict[str, Any], fix: str, where: str = "") -> None:
        self.path, self.data, self.fix, self.where = Path(path), data, fix, where

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, expected: str) -> TinyedgeError:
        value = self.data.get(key, "<missing>")
        shown = value if isinstance(value, str) and value == "<missing>" else (
            repr(value) if not isinstance(value, dict | list) else type(value).__name__)
        return TinyedgeError(f"{self.path}: field '{self._name(key)}' must be {expected}, got "
                             f"{str(shown)[:60]}; {self.fix}")

    def string(self, key: str, *, optional: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise self.fail(key, "a string")
        return value

    def integer(self, key: str, *, low: int | None = None, high: int | None = None,
                optional: bool = False) -> int | None:
        value = self.data.get(key)
        if value is None and optional:
            return None
        if (isinstance(value, bool) or not isinstance(value, int)
                or (low is not None and value < low) or (high is not None and value > high)):
            raise self.fail(key, "a whole number" + _bounds(low, high))
        return value

    def number(self, key: str, *, low: float | None = None, high: float | None = None,
               optional: bool = False) -> float | None:
        value = self.data.get(key)
        if value is None and optional:
            return None
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not math.isfinite(value)
                or (low is not None and value < low) or (high is not None and value > high)):
            raise self.fail(key, "a finite number" + _bounds(low, high))
        return float(value)

    def boolean(self, key: str, *, optional: bool = False) -> bool | None:
        value = self.data.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, bool):
            raise self.fail(key, "true or false")
        return value

    def object(self, key: str, *, optional: bool = False) -> Fields | None:
        value = self.data.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, dict):
            raise self.fail(key, "an object")
        return Fields(self.path, value, self.fix, self._name(key))

    def array(self, key: str, length: int | None = None, *, item: str = "any",
              low: float | None = None, high: float | None = None,
              nullable_items: bool = False) -> list[Any]:
        """A list (of ``length`` items if given) whose items are ``item``: "string",
        "number" (finite, within bounds), "integer" or "any"."""
        value = self.data.get(key)
        expected = "a list" + (f" of {length}" if length is not None else "") + (
            f" {item}s" if item != "any" else "") + _bounds(low, high)
        if not isinstance(value, list) or (length is not None and len(value) != length):
            raise self.fail(key, expected)
        for v in value:
            if v is None and nullable_items:
                continue
            ok = {
                "any": True,
                "string": isinstance(v, str),
                "integer": isinstance(v, int) and not isinstance(v, bool),
                "number": isinstance(v, int | float) and not isinstance(v, bool)
                and math.isfinite(v),
            }[item]
            if ok and item in ("number", "integer"):
                ok = (low is None or v >= low) and (high is None or v <= high)
            if not ok:
                raise self.fail(key, expected)
        return value


def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" in [{low:g}, {high:g}]"
    if low is not None:
        return f" ≥ {low:g}"
    if high is not None:
        return f" ≤ {high:g}"
    return ""


def set_aside(folder: str | Path, key: str | tuple[str, ...], sha256: str) -> Path | None:
    """Move ``folder`` aside when its manifest says it holds the results of another model
    than ``sha256`` (the manifest's ``inputs[key].sha256``, the first of ``key``'s names
    it has — a float record names a zoo ``checkpoint`` or the user's ``float_model``):
    results are never overwritten by another model's. The folder becomes the hidden
    sibling ``.<name>-<its sha256[:12]>`` (readers skip hidden folders); returns where it
    went, or None when nothing moved."""
    folder = Path(folder)
    manifest = read_manifest(folder) if folder.is_dir() else None
    if manifest is None or manifest.get("stage") != "evaluate":
        return None
    inputs = manifest.get("inputs") or {}
    entries = [inputs.get(k) for k in ((key,) if isinstance(key, str) else key)]
    old = next((e.get("sha256") for e in entries if isinstance(e, dict)), None)
    if not isinstance(old, str) or old == sha256:
        return None
    target = folder.with_name(f".{folder.name}-{old[:12]}")
    if target.exists():
        shutil.rmtree(target)
    folder.rename(target)
    return target
