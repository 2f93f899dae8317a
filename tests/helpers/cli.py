"""Runs the installed ``tinyedge`` console script as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli_subprocess(*args: str, cwd: Path | None = None, timeout: float = 300) -> CliResult:
    exe = Path(sys.executable).with_name("tinyedge")
    proc = subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def refusal_line(result: CliResult, message: str) -> str:
    """The one line a refused command printed: exit code 2, exactly one stderr line that
    holds ``message``, no traceback. Returns the line."""
    assert result.code == 2, result.err
    assert "Traceback" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.err
    return lines[0]


def snapshot(root: Path) -> list[str]:
    """Every path under ``root``: compare before and after to prove nothing was written."""
    return sorted(str(p) for p in Path(root).rglob("*"))
