"""The artifact layout: folder and file names, runtime names and manifest paths, in one place.

The project root is the folder tinyedge commands run in (their current working folder). It
holds one folder per stage::

    runs/<arch>-w<width>-s<seed>/         checkpoint.pt, last.pt, manifest.json   (train)
    export/<arch>-w<width>-s<seed>/       model.onnx, model_int8.tflite, manifest.json
    results/<arch>-w<width>-s<seed>/<runtime>/
                                          predictions.npz, metrics.json, manifest.json
                                          (+ device.json, device_results.jsonl,
                                          device_session.json for device runtimes)
    results/report.html, summary.json, variants.csv, …                      (report)
    build/<board>/<model>-<sha>/          firmware.elf, firmware.bin, memory.json

Manifests store the paths of their inputs and outputs relative to the project root, with
forward slashes (:func:`stored_path`); a path outside the project root is stored absolute.
A reader resolves a stored path against the project root it was written from
(:func:`resolve_stored`): for a results folder that is the folder holding it
(:func:`project_root_of`), since ``results/`` sits beside ``runs/`` and ``export/``.

A device runtime names the board and how it was reached, so an emulated run and a run on
the real board never share a results folder:

    device-nucleo-f746          the real board on a serial port
    device-nucleo-f746-qemu     its QEMU stand-in
    device-nucleo-f746-renode   Renode's model of its SoC
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

# Stage folders under the project root (the default --out of each stage).
RUNS_DIR = "runs"  # tinyedge train
EXPORT_DIR = "export"  # tinyedge export
RESULTS_DIR = "results"  # tinyedge evaluate, report, sweep
BUILD_DIR = "build"  # tinyedge build

MANIFEST_NAME = "manifest.json"  # every stage folder: inputs, hashes, parameters, figures

CHECKPOINT_NAME = "checkpoint.pt"  # the final trained model (runs/<variant>/)
TRAIN_STATE_NAME = "last.pt"  # resumable training state, rewritten after every epoch

ONNX_NAME = "model.onnx"  # export/<variant>/
TFLITE_NAME = "model_int8.tflite"  # export/<variant>/: the deployed int8 model

PREDICTIONS_NAME = "predictions.npz"  # results/<variant>/<runtime>/ (tinyedge.records)
METRICS_NAME = "metrics.json"
FLOAT_RUNTIME = "float"  # the runtime folder of the float (PyTorch) evaluation

FIRMWARE_ELF = "firmware.elf"  # build/<board>/<model>-<sha>/
FIRMWARE_BIN = "firmware.bin"
MEMORY_JSON = "memory.json"  # flash and RAM figures; marks a folder `tinyedge build` wrote

REPORT_HTML = "report.html"  # results/: the report and its tables
SUMMARY_JSON = "summary.json"
REPORT_TABLES = ("variants.csv", "pairs.csv", "audit.csv", "seeds.csv", "models.csv")
SWEEP_STATE = "sweep"  # results/sweep/: tinyedge sweep's own bookkeeping, not a variant

DEVICE_PREFIX = "device-"
Reach = Literal["board", "qemu", "renode"]
_SUFFIX = {"board": "", "qemu": "-qemu", "renode": "-renode"}

DEVICE_LOG = "device_results.jsonl"  # per-image results, resumable (tinyedge.device)
DEVICE_SESSION = "device_session.json"  # device info, profile and stack of the run
DEVICE_JSON = "device.json"  # the run's cost figures


@dataclass(frozen=True)
class DeviceRuntime:
    board: str
    reach: Reach

    @property
    def name(self) -> str:
        return f"{DEVICE_PREFIX}{self.board}{_SUFFIX[self.reach]}"

    @property
    def emulated(self) -> bool:
        return self.reach != "board"


def device_runtime(board: str, reach: Reach) -> str:
    """The runtime name (and results folder) of a device run."""
    return DeviceRuntime(board, reach).name


def parse_device_runtime(name: str) -> DeviceRuntime | None:
    """The board and reach of a device runtime name; None for host runtimes."""
    if not name.startswith(DEVICE_PREFIX):
        return None
    rest = name[len(DEVICE_PREFIX):]
    for reach, suffix in _SUFFIX.items():
        if suffix and rest.endswith(suffix):
            return DeviceRuntime(rest[: -len(suffix)], reach)  # type: ignore[arg-type]
    return DeviceRuntime(rest, "board")


def is_device_runtime(name: str) -> bool:
    return name.startswith(DEVICE_PREFIX)


def scaling_table_name(runtime: str) -> str:
    """The ``analyze scaling`` table tinyedge sweep writes into results/ for a runtime."""
    return "results.csv" if runtime == FLOAT_RUNTIME else f"results_{runtime}.csv"


def model_name(model_path: str | Path) -> str:
    """``export/<name>/model_int8.tflite`` -> ``<name>``; any other file -> its stem."""
    path = Path(model_path)
    return path.parent.name if path.name == TFLITE_NAME else path.stem


def results_name(model_path: str | Path, sha256: str) -> str:
    """The results folder of a model: ``export/<name>/model_int8.tflite`` → ``<name>`` (the
    export manifest holds its identity); any other model file → ``<stem>-<sha256[:8]>``,
    so two files of one name, or two models in one folder, never share results."""
    path = Path(model_path)
    if path.name == TFLITE_NAME:
        return path.parent.name
    return f"{path.stem}-{sha256[:8]}"


def build_folder(board: str, model: str, model_sha256: str = "", *,
                 emulator: str | None = None, root: str | Path = BUILD_DIR) -> Path:
    """``build/<board>[.<emulator machine>]/<model>-<sha256[:12]>``: keyed by the model's
    content, so two files that share a name never overwrite each other's firmware, and by
    the machine it runs on, so a board's image and its emulator stand-in's never mix."""
    folder = board if emulator is None else f"{board}.{emulator}"
    return Path(root) / folder / (f"{model}-{model_sha256[:12]}" if model_sha256 else model)


def project_root() -> Path:
    """The project root of this command: the folder it runs in."""
    return Path.cwd()


def project_root_of(results: str | Path) -> Path:
    """The project root a results folder belongs to: the folder holding it."""
    return Path(os.path.abspath(results)).parent


def stored_path(path: str | Path, root: str | Path | None = None) -> str:
    """How a manifest stores ``path``: relative to the project root (``root``, by default
    :func:`project_root`) with forward slashes, or absolute when it lies outside."""
    absolute = Path(os.path.abspath(path))
    base = Path(os.path.abspath(project_root() if root is None else root))
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:
        return absolute.as_posix()


def resolve_stored(stored: str, root: str | Path) -> Path:
    """The file a manifest path names, for a manifest written from project root ``root``.
    Absolute paths (all paths in manifests written before paths were stored relative)
    are taken as they are."""
    posix = PurePosixPath(stored)
    return Path(posix) if posix.is_absolute() else Path(root) / posix
