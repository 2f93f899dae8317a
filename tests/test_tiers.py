"""The test tiers are declared, and checked: a test that calls a tool or uses a fixture that
needs one must carry that tool's marker (tests/conftest.py), which implies ``slow``."""

from __future__ import annotations

import conftest
import pytest


class FakeItem:
    """The parts of a collected test the tier check reads."""

    def __init__(self, function, markers=(), fixturenames=()):
        self.function = function
        self.nodeid = f"tests/x.py::{function.__name__}"
        self.fixturenames = list(fixturenames)
        self.markers = list(markers)

    def iter_markers(self):
        return iter(self.markers)

    def add_marker(self, marker):
        self.markers.append(getattr(marker, "mark", marker))


# Stand-ins for tests, read by the check and never run (module level: not test items).
def builds_firmware():
    build_firmware("nucleo-f746", "m.tflite")  # noqa: F821


def uses_zoo(zoo_int8):
    return zoo_int8


def test_calling_a_tool_without_its_marker_stops_the_collection() -> None:
    with pytest.raises(pytest.UsageError, match=r"builds_firmware needs cross: mark it"):
        conftest.pytest_collection_modifyitems(None, [FakeItem(builds_firmware)])
    marked = FakeItem(builds_firmware, [pytest.mark.cross.mark])
    conftest.pytest_collection_modifyitems(None, [marked])
    assert "slow" in {m.name for m in marked.markers}  # every tool marker implies slow


def test_a_fixture_that_needs_a_tool_needs_the_marker_too() -> None:
    with pytest.raises(pytest.UsageError, match="needs tensorflow"):
        conftest.pytest_collection_modifyitems(None, [FakeItem(uses_zoo,
                                                              fixturenames=["zoo_int8"])])
    plain = FakeItem(lambda: None)
    conftest.pytest_collection_modifyitems(None, [plain])
    assert plain.markers == []  # no tool: the fast tier
