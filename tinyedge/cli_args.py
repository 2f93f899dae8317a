"""Argument types for the command line: every value is checked while the arguments are
parsed, so a wrong value ends as one line naming the option and the fix, before any work.

Each function takes the option's text and returns the typed value or raises
:class:`argparse.ArgumentTypeError`, whose message argparse prefixes with the option
name (``argument --epochs: …``).
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

# Pseudo file systems where nothing tinyedge writes belongs.
_SYSTEM_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; pass {what}") from None


def positive_int(what: str = "a whole number ≥ 1", minimum: int = 1) -> Callable[[str], int]:
    """A count that must be ≥ ``minimum`` (images, epochs, jobs, batch size, samples)."""

    def parse(text: str) -> int:
        value = _int(text, what)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be ≥ {minimum}, got {value}; pass {what}")
        return value

    parse.__name__ = "positive count"
    return parse


def nonnegative_int(what: str = "a whole number ≥ 0", maximum: int | None = None
                    ) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = _int(text, what)
        if value < 0 or (maximum is not None and value > maximum):
            bound = f"between 0 and {maximum}" if maximum is not None else "≥ 0"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}; pass {what}")
        return value

    parse.__name__ = "whole number"
    return parse


def finite_float(what: str, *, minimum: float = 0.0, strict: bool = True,
                 below: float | None = None) -> Callable[[str], float]:
    """A finite number > ``minimum`` (≥ when not ``strict``) and < ``below`` if given:
    NaN and infinities are refused (they train a model to NaN without an error)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number; pass {what}") from None
        too_small = value <= minimum if strict else value < minimum
        if not math.isfinite(value) or too_small or (below is not None and value >= below):
            bound = f"{'>' if strict else '≥'} {minimum:g}"
            if below is not None:
                bound += f" and < {below:g}"
            raise argparse.ArgumentTypeError(
                f"must be a finite number {bound}, got {text!r}; pass {what}")
        return value

    parse.__name__ = "number"
    return parse


def _check_writable_place(path: Path, option_hint: str) -> None:
    """Refuse a path tinyedge could not create: under a regular file, inside a pseudo
    file system, or in a folder without write permission."""
    absolute = Path(os.path.abspath(path))
    for tree in _SYSTEM_TREES:
        if absolute == tree or tree in absolute.parents:
            raise argparse.ArgumentTypeError(
                f"{path} is inside {tree}, a system folder; {option_hint}")
    for ancestor in [absolute, *absolute.parents]:
        if ancestor.exists() or ancestor.is_symlink():
            if ancestor != absolute and not ancestor.is_dir():
                raise argparse.ArgumentTypeError(
                    f"{path} cannot be created: {ancestor} is a file, not a folder; "
                    f"{option_hint}")
            if ancestor.is_dir() and not os.access(ancestor, os.W_OK | os.X_OK):
                raise argparse.ArgumentTypeError(
                    f"{ancestor} is not writable; {option_hint}")
            return


def folder_path(text: str) -> Path:
    """A folder tinyedge reads from: it need not exist yet, but must not be a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a file, not a folder; pass a folder")
    return path


def output_folder(text: str) -> Path:
    """A folder tinyedge writes into: it may exist (as a folder) or be creatable."""
    path = Path(text)
    hint = "pass --out with a folder you can write to"
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a file, not a folder; {hint}")
    _check_writable_place(path, hint)
    return path


def output_file(text: str) -> Path:
    """A file tinyedge writes (a report page): not a folder, in a creatable place."""
    path = Path(text)
    hint = "pass --out with a file name in a folder you can write to, e.g. results/report.html"
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a folder; give a file name such as "
                                         f"{path / 'report.html'}")
    if path.exists() and not path.is_file():
        raise argparse.ArgumentTypeError(f"{path} is not a regular file; {hint}")
    _check_writable_place(path, hint)
    return path


def input_file(kind: str, fix: str) -> Callable[[str], Path]:
    """An existing regular file (not a folder, FIFO or device, which could hang a reader)."""

    def parse(text: str) -> Path:
        path = Path(text)
        if not path.exists():
            raise argparse.ArgumentTypeError(f"{kind} {path} does not exist; {fix}")
        if not path.is_file():
            what = "a folder" if path.is_dir() else "not a regular file"
            raise argparse.ArgumentTypeError(f"{kind} {path} is {what}; {fix}")
        return path

    parse.__name__ = kind
    return parse


def https_url(text: str) -> str:
    """A download URL: https only (no file://, ftp:// or plain http to a remote host)."""
    parts = urlsplit(text)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme == "https" and parts.hostname:
        return text
    if parts.scheme == "http" and loopback:  # a local mirror on this machine
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r} is not an https:// URL; pass an https:// mirror of "
        "cifar-100-python.tar.gz, or copy the archive into the --root folder by hand")


_NORMALIZE_HINT = ("pass --normalize MEAN,STD for all channels (pixel/255 scale, e.g. 0.5,0.25) "
                   "or per channel M1,M2,M3:S1,S2,S3")


def normalization(text: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``--normalize``: the (mean, std) the model was trained with, on the pixel/255
    scale. ``MEAN,STD`` (two numbers, every channel) or ``MEANS:STDS`` (each one number
    or one per channel, comma-separated); finite numbers, std > 0."""
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 2:
            raise argparse.ArgumentTypeError(f"{text!r} has more than one ':'; "
                                             f"{_NORMALIZE_HINT}")
        groups = [p.split(",") for p in parts]
    else:
        values = text.split(",")
        if len(values) != 2:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not MEAN,STD (two numbers); {_NORMALIZE_HINT}")
        groups = [values[:1], values[1:]]
    try:
        mean, std = (tuple(float(v) for v in g) for g in groups)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} holds something that is not a number; "
                                         f"{_NORMALIZE_HINT}") from None
    if not all(math.isfinite(v) for v in (*mean, *std)) or min(std) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: means must be finite and stds finite "
                                         f"and > 0; {_NORMALIZE_HINT}")
    if len(mean) != len(std) and 1 not in (len(mean), len(std)):
        raise argparse.ArgumentTypeError(f"{text!r} gives {len(mean)} means and {len(std)} "
                                         f"stds; give as many of each (or one); "
                                         f"{_NORMALIZE_HINT}")
    return mean, std
