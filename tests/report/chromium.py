"""Headless Chromium for the report's browser test (Debian package ``chromium``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio")


def chromium() -> str:
    """The Chromium binary; a missing browser fails the test (it is a declared dependency
    of the test suite, installed by scripts/setup.sh), it does not skip it."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("chromium is not installed; run `apt-get install -y chromium` "
                    "(scripts/setup.sh installs it)")
    return exe


def run(args: list[str], profile: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
