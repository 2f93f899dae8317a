"""Fixtures of the report tests: the synthetic results tree and its report."""

from __future__ import annotations

from pathlib import Path

import pytest
from report.results_tree import build_tree


@pytest.fixture(scope="session")
def results_tree(tmp_path_factory) -> Path:
    return build_tree(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="session")
def built(results_tree):
    from tinyedge.report import build_report

    return build_report(results_tree)
