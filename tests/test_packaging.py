"""The wheel works without the source tree: firmware sources and board files ship inside
it, every package is listed, and the version lives in one place."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import tinyedge

ROOT = Path(__file__).resolve().parents[1]


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_python_package_is_shipped() -> None:
    listed = set(pyproject()["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "tinyedge").rglob("__init__.py")}
    folders = {".".join(p.relative_to(ROOT).parts) for p in (ROOT / "tinyedge").rglob("*")
               if p.is_dir() and any(p.glob("*.py"))}
    assert folders <= found, f"folders without __init__.py: {sorted(folders - found)}"
    assert found <= listed, f"packages missing from pyproject.toml: {sorted(found - listed)}"


def test_version_has_one_home() -> None:
    project = pyproject()["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert pyproject()["tool"]["setuptools"]["dynamic"]["version"]["attr"] == \
        "tinyedge.__version__"
    assert tinyedge.__version__


def test_exact_pins_live_in_constraints_not_in_the_dependencies() -> None:
    deps = pyproject()["project"]["dependencies"]
    assert not [d for d in deps if "==" in d], "pyproject keeps ranges; pins go to constraints"
    pinned = {line.split("==")[0] for line in (ROOT / "constraints.txt").read_text().splitlines()
              if "==" in line}
    names = {d.split(">")[0].split("<")[0].split("=")[0] for d in deps}
    assert names <= pinned


@pytest.mark.cross
@pytest.mark.subprocess
@pytest.mark.slow
@pytest.mark.tools("arm-none-eabi-gcc")
def test_a_non_editable_wheel_builds_firmware_from_any_folder(tmp_path: Path) -> None:
    wheels, target, elsewhere = tmp_path / "wheels", tmp_path / "site", tmp_path / "work"
    elsewhere.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels), str(ROOT)], check=True, capture_output=True)
    (wheel,) = wheels.glob("tinyedge-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    model = ROOT / "tests" / "fuzz" / "corpus" / "op_conv.tflite"
    script = (
        "import tinyedge, tinyedge.resources as r\n"
        "from tinyedge.boards import all_boards\n"
        "from tinyedge.firmware.build import build_firmware\n"
        f"assert tinyedge.__file__.startswith({str(target)!r}), tinyedge.__file__\n"
        f"assert str(r.firmware_dir()).startswith({str(target)!r})\n"
        "print(len(all_boards()))\n"
        f"b = build_firmware('mps2-an386', {str(model)!r}, 'fw', target='emulator')\n"
        "print(b.elf.stat().st_size > 0)\n")
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("TINYEDGE_BOARDS", None)
    out = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["6", "True"]
