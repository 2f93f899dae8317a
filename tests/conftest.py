"""Shared fixtures: small datasets the project makes, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tinyedge.cli import main
from tinyedge.data.synthetic import make_synthetic_dataset

REPO = Path(__file__).resolve().parents[1]


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys):
    """Run ``tinyedge`` in-process; return exit code, stdout and stderr."""

    def run(*args: str) -> CliResult:
        code = main(["--quiet", *args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def run_cli_subprocess(*args: str, cwd: Path | None = None, timeout: float = 300) -> CliResult:
    """Run the installed console script as a user would."""
    exe = Path(sys.executable).with_name("tinyedge")
    proc = subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def synthetic():
    return make_synthetic_dataset(num_classes=10, train_per_class=30, test_per_class=8, seed=3)
