"""Shared fixtures (small datasets the project makes, an in-process CLI runner) and the
test tiers.

Tiers: `pytest -m "not slow"` is the fast tier — pure Python, fakes, at most tiny host C
programs — for a quick check while editing. A test that needs a heavy tool carries that
tool's marker, and every such marker implies `slow`:

    tensorflow  converts a model with TensorFlow / onnx2tf (or uses such a fixture)
    cross       runs the Arm cross compiler
    qemu        boots firmware in QEMU
    browser     drives headless Chromium
    ray         starts a Ray cluster
    subprocess  runs the installed `tinyedge` (about a second each: a full interpreter)

Each module declares its tier: ``pytestmark = [pytest.mark.tensorflow, …]`` for a module
whose every test needs the tool, ``@pytest.mark.<tool>`` on a single test. Every tool
marker implies ``slow``. This file checks the declarations: a test that uses a fixture
known to need a tool (FIXTURE_MARKERS) or calls one (CALL_MARKERS, read from the test's
own body) without being marked for it stops the collection with one line per test naming
the missing marker. CI runs every tier; a test whose tool is missing still fails there.
"""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import pytest
from helpers.cli import CliResult

from tinyedge.cli import main
from tinyedge.data.synthetic import make_synthetic_dataset


@pytest.fixture
def run_cli(capsys):
    """Run ``tinyedge`` in-process; return exit code, stdout and stderr."""

    def run(*args: str) -> CliResult:
        code = main(["--quiet", *args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def synthetic():
    return make_synthetic_dataset(num_classes=10, train_per_class=30, test_per_class=8, seed=3)


HEAVY = ("tensorflow", "cross", "qemu", "browser", "ray", "subprocess")
FIXTURE_MARKERS = {"zoo_int8": "tensorflow", "conv_model": "tensorflow",
                   "model_dir": "tensorflow", "models": "tensorflow", "reference": "tensorflow"}
CALL_MARKERS = {
    "build_op_model(": "tensorflow", "export_untrained(": "tensorflow",
    "export_model(": "tensorflow", "build_firmware(": "cross", "build_suite(": "cross",
    "build_protocol_firmware(": "cross", "QemuProcess(": "qemu", "run_smoke(": "qemu",
    "run_suite(": "qemu", "evaluate_on_device(": "qemu", "run_cli_subprocess(": "subprocess",
    "process=True": "subprocess", "flash_firmware(": "subprocess", "Popen(": "subprocess",
    "sys.executable": "subprocess",
}
TESTS = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    for name in HEAVY:
        config.addinivalue_line("markers", f"{name}: needs {name} (implies slow)")
    config.addinivalue_line("markers", "tools(*names): programs the test runs; a missing one "
                            "fails the test (never skips it), so CI cannot pass without them")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("tools"):
        missing = [name for name in mark.args if shutil.which(name) is None]
        if missing:
            pytest.fail(f"{', '.join(missing)} not installed: run scripts/setup.sh", False)


def used_tools(item: pytest.Item) -> set[str]:
    """The tool markers a test needs by the fixtures it uses and the calls in its body."""
    names = {FIXTURE_MARKERS[f] for f in getattr(item, "fixturenames", ())
             if f in FIXTURE_MARKERS}
    function = getattr(item, "function", None)
    if function is not None:
        try:
            body = inspect.getsource(function)
        except OSError:
            body = ""
        names |= {marker for call, marker in CALL_MARKERS.items() if call in body}
    return names


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    undeclared = []
    for item in items:
        declared = {m.name for m in item.iter_markers() if m.name in HEAVY}
        missing = used_tools(item) - declared
        if missing:
            undeclared.append(f"{item.nodeid} needs {', '.join(sorted(missing))}: mark it "
                              f"(@pytest.mark.{sorted(missing)[0]}) or its module "
                              "(pytestmark)")
        if declared:
            item.add_marker(pytest.mark.slow)
    if undeclared:
        raise pytest.UsageError("tests without their tier markers:\n  "
                                + "\n  ".join(undeclared))
