"""Small things users hit: problems with a port, a probe or a power monitor are found
before any work starts; `-q` after the subcommand; every option's help names its default;
a closed stdout pipe ends quietly; Ctrl-C mentions resuming only where a rerun resumes."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import serial

from tinyedge import cli
from tinyedge.cli import build_parser, main


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working folder with a model file (never read: every check comes first)."""
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "export" / "scalecnn-c4-s0" / "model_int8.tflite"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"TFL3")
    return tmp_path, model


@pytest.fixture
def free_port():
    controller, device = os.openpty()
    yield os.ttyname(device)
    os.close(controller)
    os.close(device)


def assert_nothing_written(root: Path) -> None:
    assert sorted(p.name for p in root.iterdir()) == ["export"], "no build or results folder"


def one_line(result, message: str) -> None:
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.err


def test_unreachable_power_monitor_is_one_line_before_any_work(workdir, free_port, run_cli):
    root, model = workdir
    result = run_cli("evaluate", "--board", "nucleo-f746", "--model", str(model),
                     "--port", free_port, "--power-monitor", "ppk2:/dev/nonexistent")
    one_line(result, "no PPK2 answers on /dev/nonexistent")
    assert_nothing_written(root)


def test_missing_port_fails_at_once_before_building(workdir, run_cli):
    root, model = workdir
    start = time.monotonic()
    result = run_cli("evaluate", "--board", "nucleo-f746", "--model", str(model),
                     "--port", "/dev/ttyNOPE")
    assert time.monotonic() - start < 2  # was 10 s of retries, after building the firmware
    one_line(result, "cannot open serial port /dev/ttyNOPE")
    assert_nothing_written(root)


def test_busy_port_fails_at_once_before_building(workdir, free_port, run_cli):
    root, model = workdir
    holder = serial.Serial(free_port, exclusive=True)  # another program holds the port
    try:
        start = time.monotonic()
        result = run_cli("evaluate", "--board", "nucleo-f746", "--model", str(model),
                         "--port", free_port)
    finally:
        holder.close()
    assert time.monotonic() - start < 2
    one_line(result, f"serial port {free_port} is busy")
    assert_nothing_written(root)


@pytest.mark.tools("openocd")
def test_flash_without_a_probe_fails_before_building(workdir, run_cli):
    root, model = workdir
    result = run_cli("flash", "--board", "nucleo-f746", "--model", str(model))
    one_line(result, "no debug probe found for nucleo-f746")
    assert_nothing_written(root)


def test_quiet_is_accepted_after_the_subcommand_too():
    parser = build_parser()
    assert parser.parse_args(["models", "-q"]).quiet is True
    assert parser.parse_args(["-q", "models"]).quiet is True
    assert parser.parse_args(["models"]).quiet is False
    assert parser.parse_args(["report", "results", "--quiet"]).quiet is True


def _options(parser: argparse.ArgumentParser, path: str):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, f"{path} {name}")
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield path, action


def test_every_option_has_help_naming_its_default():
    options = list(_options(build_parser(), "tinyedge"))
    assert len(options) > 50  # the walk reached every subcommand
    for path, action in options:
        name = f"{path} {'/'.join(action.option_strings) or action.dest}"
        assert action.help and action.help.strip(), f"{name} has no help text"
        flag = isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction))
        if action.default not in (None, False, argparse.SUPPRESS) and not flag:
            assert "default" in action.help, f"{name} does not say its default"


@pytest.mark.subprocess
def test_closed_stdout_pipe_ends_quietly():
    exe = Path(sys.executable).with_name("tinyedge")
    proc = subprocess.Popen([str(exe), "models", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()  # `| head -1`
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert first.strip() == "["
    assert "Traceback" not in err and "BrokenPipe" not in err and err == ""


@pytest.mark.parametrize("argv, command, hint", [
    (["models"], "info.cmd_models", False),
    (["export", "--arch", "scalecnn", "--width", "4"], "export.cmd_export", False),
    (["train", "--arch", "scalecnn", "--width", "4"], "train.cmd_train", True),
])
def test_ctrl_c_mentions_resuming_only_where_a_rerun_resumes(monkeypatch, capsys, argv,
                                                             command, hint):
    def ctrl_c(args):
        raise KeyboardInterrupt

    group, name = command.split(".")
    monkeypatch.setattr(getattr(cli, group), name, ctrl_c)
    assert main(argv) == 130
    expected = "tinyedge: interrupted" + ("; run the same command again to resume" if hint
                                          else "")
    assert capsys.readouterr().err.strip() == expected


def test_ctrl_c_during_device_evaluation_says_it_resumes(workdir, monkeypatch, capsys):
    _, model = workdir

    def ctrl_c(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.evaluate, "_evaluate_device", ctrl_c)
    assert main(["evaluate", "--board", "nucleo-f746", "--model", str(model)]) == 130
    assert capsys.readouterr().err.strip().endswith("run the same command again to resume")


def test_measured_energy_and_a_disconnect_are_printed_even_when_quiet():
    from tinyedge.device.power import energy_from_samples

    active = np.array([0, 0, 1, 1, 1, 1, 1, 0, 0] * 2, dtype=bool)
    current = np.where(active, 0.030, 0.010)
    whole = energy_from_samples(current, active, 1000.0, 3.3, "ppk2:/dev/ttyACM1").to_dict()
    assert cli.evaluate._measured_energy_line(whole) == (
        "energy per inference: 0.3300 mJ (idle 10.00 mA subtracted; 0.4950 mJ as measured) "
        "over 2 windows, ppk2:/dev/ttyACM1")
    cut = energy_from_samples(current[:12], active[:12], 1000.0, 3.3, "ppk2:/dev/ttyACM1",
                              disconnected=True).to_dict()
    assert cli.evaluate._measured_energy_line(cut).endswith(
        "over 1 windows, ppk2:/dev/ttyACM1; incomplete: the monitor disconnected after 12 "
        "samples (0.012 s); energy is from the 1 complete windows recorded before that")
