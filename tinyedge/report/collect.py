"""Find the prediction records under a results folder and group them by variant.

Layout: ``RESULTS_DIR/<arch>-w<width>-s<seed>/<runtime>/`` holding ``predictions.npz``
and ``metrics.json`` (see :mod:`tinyedge.records`); device runtimes (``device-<board>``)
add ``device.json``. Folders that do not look like a variant or hold no record are
skipped and listed in :attr:`Collection.notes`.

Runs of one variant must agree on the labels of the images they share. A run evaluated on
the first N images only (``--limit N``) shares a prefix with the full runs; comparisons use
that prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from tinyedge.errors import TinyedgeError
from tinyedge.fileio import Fields, read_json_object
from tinyedge.layout import MANIFEST_NAME, is_device_runtime, project_root_of, resolve_stored
from tinyedge.records import METRICS_NAME, PREDICTIONS_NAME, Record, load_metrics, load_record

FLOAT = "float"
# Which int8 run stands for "deployed" when a variant has several (a device first).
DEPLOYED_ORDER = ("tflm", "litert", "litert-ref", "native")
_VARIANT = re.compile(
    r"^(?P<arch>[A-Za-z0-9_]+)-w(?P<width>[0-9]+(?:\.[0-9]+)?)-s(?P<seed>[0-9]+)$")


@dataclass(frozen=True)
class Run:
    """One runtime's evaluation of one variant."""

    runtime: str
    folder: Path
    record: Record
    metrics: dict[str, Any]
    device: dict[str, Any] | None

    @property
    def n(self) -> int:
        return len(self.record.labels)


@dataclass
class Variant:
    """One trained model (arch, width, seed) and its runs, keyed by runtime."""

    name: str
    arch: str
    width: float
    seed: int
    params: int | None
    runs: dict[str, Run] = field(default_factory=dict)

    @property
    def float_run(self) -> Run | None:
        return self.runs.get(FLOAT)

    @property
    def int8_runs(self) -> list[Run]:
        return [r for k, r in self.runs.items() if k != FLOAT]

    def deployed(self) -> Run | None:
        """The int8 run that stands for deployment: a device if any, else tflm, …"""
        devices = sorted(k for k in self.runs if is_device_runtime(k))
        for key in [*devices, *DEPLOYED_ORDER]:
            if key in self.runs:
                return self.runs[key]
        return None


@dataclass
class Collection:
    root: Path
    variants: list[Variant]
    notes: list[str]

    @property
    def runtimes(self) -> list[str]:
        return runtime_order({k for v in self.variants for k in v.runs})

    def archs(self) -> list[str]:
        return list(dict.fromkeys(v.arch for v in self.variants))

    def of_arch(self, arch: str) -> list[Variant]:
        return [v for v in self.variants if v.arch == arch]


def runtime_order(runtimes: set[str] | list[str]) -> list[str]:
    """float first, then the host int8 runtimes in a fixed order, then devices."""
    rank = {FLOAT: 0, **{k: i + 1 for i, k in enumerate(DEPLOYED_ORDER)}}
    return sorted(runtimes, key=lambda k: (rank.get(k, len(rank)), k))


def collect(results_dir: str | Path) -> Collection:
    """Load every record under ``results_dir``; raise :class:`TinyedgeError` when there is
    none, or when two runs of a variant disagree on the labels."""
    root = Path(results_dir)
    if not root.is_dir():
        problem = "is not a folder" if root.exists() else "does not exist"
        raise TinyedgeError(f"results folder {root} {problem}; pass the folder that "
                            f"`tinyedge evaluate --results` wrote to")
    notes: list[str] = []
    variants = [v for d in sorted(root.iterdir()) if (v := _load_variant(root, d, notes))]
    if not variants:
        raise TinyedgeError(f"no prediction records under {root}; expected "
                            f"{root}/<arch>-w<width>-s<seed>/<runtime>/{PREDICTIONS_NAME} "
                            f"(run `tinyedge train` or `tinyedge evaluate` first)")
    variants.sort(key=lambda v: (v.arch, v.width, v.seed))
    return Collection(root, variants, notes)


SWEEP_STATE = "sweep"  # tinyedge sweep's own bookkeeping, not a variant


def _load_variant(root: Path, folder: Path, notes: list[str]) -> Variant | None:
    if not folder.is_dir() or folder.name.startswith(".") or folder.name == SWEEP_STATE:
        return None
    match = _VARIANT.match(folder.name)
    if match is None:
        notes.append(f"skipped {folder.name}/: not an <arch>-w<width>-s<seed> folder")
        return None
    runs = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        present = [n for n in (PREDICTIONS_NAME, METRICS_NAME)
                   if (sub / n).exists() or (sub / n).is_symlink()]
        if present:  # a started record must be complete and valid; a bare folder is skipped
            runs[sub.name] = _load_run(sub)
    if not runs:
        notes.append(f"skipped {folder.name}/: no runtime folder holds a record")
        return None
    runs = {k: runs[k] for k in runtime_order(list(runs))}
    check_labels(folder.name, list(runs.values()))
    arch = match["arch"]
    width = float(match["width"])
    params = find_params(root, runs.values(), arch, width)
    return Variant(folder.name, arch, width, int(match["seed"]), params, runs)


def _load_run(folder: Path) -> Run:
    record = load_record(folder)
    metrics = load_metrics(folder, record)
    device_path = folder / DEVICE_NAME
    device = None
    if device_path.exists() or device_path.is_symlink():
        device = read_device_json(device_path)
    return Run(folder.name, folder, record, metrics, device)


DEVICE_NAME = "device.json"
_DEVICE_FIX = "run `tinyedge evaluate --board …` again for this board"


def read_device_json(path: Path) -> dict[str, Any]:
    """``device.json`` with the fields the report shows checked for type and range."""
    data = read_json_object(path, _DEVICE_FIX)
    f = Fields(path, data, _DEVICE_FIX)
    f.number("latency_s", low=0.0, optional=True)
    f.string("latency_basis", optional=True)
    if (clock := f.object("clock", optional=True)) is not None:
        clock.number("hz", low=0.0, optional=True)
        clock.string("reported_by", optional=True)
    f.string("counter", optional=True)
    f.boolean("emulated", optional=True)
    if (per := f.object("per_inference", optional=True)) is not None:
        for key in ("min", "median", "max"):
            per.number(key, low=0.0, optional=True)
    if (ram := f.object("ram", optional=True)) is not None:
        ram.integer("peak_bytes", low=0, optional=True)
    if (flash := f.object("flash", optional=True)) is not None:
        flash.integer("used_bytes", low=0, optional=True)
    if (energy := f.object("energy", optional=True)) is not None:
        energy.number("joules_per_inference", low=0.0, optional=True)
        energy.string("method", optional=True)
    return data


def _read_json(path: Path) -> dict[str, Any] | None:
    """An optional side file (another stage's manifest): None when absent or unreadable."""
    if not path.is_file():
        return None
    try:
        return read_json_object(path, "")
    except TinyedgeError:
        return None


def common_n(*runs: Run) -> int:
    """Images every run evaluated (a ``--limit`` run covers a prefix of the test set)."""
    return min(r.n for r in runs)


def check_labels(name: str, runs: list[Run]) -> None:
    """Raise when two runs disagree on a label of an image both evaluated."""
    first = runs[0]
    for run in runs[1:]:
        n = common_n(first, run)
        if not np.array_equal(first.record.labels[:n], run.record.labels[:n]):
            raise TinyedgeError(
                f"{name}: {first.runtime}/ and {run.runtime}/ have different labels for the "
                f"same images (another dataset or order?); evaluate both again on one dataset")


def labels_agree(runs: list[Run]) -> bool:
    """Whether runs of *different* variants share labels on their common images."""
    first = runs[0]
    return all(np.array_equal(first.record.labels[:common_n(first, r)],
                              r.record.labels[:common_n(first, r)]) for r in runs[1:])


def find_params(root: Path, runs, arch: str, width: float) -> int | None:
    """Parameter count: from the checkpoint's or export's manifest (``figures.params``)
    that a run's manifest names; else by rebuilding the model for the record's classes.
    Manifest paths are resolved against the project root of ``root`` (the folder holding
    the results folder, :func:`tinyedge.layout.project_root_of`)."""
    project = project_root_of(root)
    num_classes = None
    for run in runs:
        num_classes = num_classes or run.metrics.get("num_classes")
        manifest = _read_json(run.folder / MANIFEST_NAME) or {}
        for entry in (manifest.get("inputs") or {}).values():
            params = _params_beside(project, entry)
            if params is not None:
                return params
    if num_classes is None:
        return None
    return _zoo_params(arch, width, int(num_classes))


def _params_beside(project: Path, entry: Any) -> int | None:
    """``figures.params`` of the manifest beside the file a manifest ``entry`` names."""
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return None
    manifest = _read_json(resolve_stored(entry["path"], project).parent / MANIFEST_NAME)
    params = ((manifest or {}).get("figures") or {}).get("params")
    if isinstance(params, int) and not isinstance(params, bool) and params > 0:
        return params
    return None


@cache
def _zoo_params(arch: str, width: float, num_classes: int) -> int | None:
    from tinyedge.errors import UnknownModelError
    from tinyedge.models import build_model, count_parameters, resolve

    try:
        return count_parameters(build_model(resolve(arch, width), num_classes))
    except UnknownModelError:
        return None
