"""Shared fixtures: small datasets the project makes, and an in-process CLI runner."""

from __future__ import annotations

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
