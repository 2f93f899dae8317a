"""Sweep grids: which (architecture, width, seed) cells to run and how — from a preset
(``paper``, ``demo``) or a TOML file. A cell is keyed by everything that shapes its
outputs, so a finished cell is recognised and skipped when the sweep runs again."""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tinyedge import __version__
from tinyedge.data import DATASETS
from tinyedge.errors import TinyedgeError, UnknownModelError
from tinyedge.int8 import RUNTIMES
from tinyedge.models import WIDTHS, resolve
from tinyedge.train import TrainConfig

PRESETS = ("paper", "demo")
# The host int8 runtime of a sweep: tinyedge's native build, byte for byte the device's
# arithmetic and TFLite Micro's, many times faster than the TFLite Micro interpreter ...
DEFAULT_RUNTIMES: tuple[str, ...] = ("native",)
# ... which stays the audited reference: it runs the first TFLM_AUDIT images of each cell.
TFLM_AUDIT = 200
TRAIN_KEYS = ("epochs", "batch_size", "lr", "lr_min", "momentum", "weight_decay",
              "crop_padding", "hflip", "cutout")


class GridError(TinyedgeError):
    """A grid file or preset that cannot be run."""


@dataclass(frozen=True)
class Cell:
    """One grid cell: train → export → evaluate (float, host int8, devices)."""

    arch: str
    width: float
    seed: int
    dataset: str
    train: dict[str, Any]
    runtimes: tuple[str, ...]
    boards: tuple[str, ...]
    device_mode: str
    eval_limit: int | None
    cpus: int = 1
    gpus: float = 0.0
    tflm_audit: int | None = TFLM_AUDIT

    @property
    def variant(self) -> str:
        return resolve(self.arch, self.width).run_name(self.seed)

    def host_evaluations(self) -> list[tuple[str, int | None]]:
        """(runtime, image limit) of each host int8 evaluation: every runtime of the grid
        on ``eval_limit`` images, then — unless the grid runs it already — TFLite Micro,
        the reference, on the first ``tflm_audit`` of them, so the report's runtime audit
        shows the native build (the default) equal to it on that sample."""
        runs = [(runtime, self.eval_limit) for runtime in self.runtimes]
        if self.tflm_audit and "tflm" not in self.runtimes:
            limit = min(self.tflm_audit, self.eval_limit or self.tflm_audit)
            runs.append(("tflm", limit))
        return runs

    def train_config(self) -> TrainConfig:
        return TrainConfig(arch=self.arch, width=self.width, seed=self.seed,
                           dataset=self.dataset, **self.train)

    def key(self) -> str:
        """Hash of every input that shapes the cell's outputs (and the tinyedge version)."""
        payload = {**asdict(self), "tinyedge": __version__}
        payload.pop("cpus")
        payload.pop("gpus")
        text = json.dumps(payload, sort_keys=True, default=list)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Cell:
        data = json.loads(text)
        data["runtimes"] = tuple(data["runtimes"])
        data["boards"] = tuple(data["boards"])
        return cls(**data)


@dataclass(frozen=True)
class Grid:
    name: str
    models: tuple[tuple[str, float], ...]
    seeds: tuple[int, ...]
    dataset: str
    train: dict[str, Any] = field(default_factory=dict)
    runtimes: tuple[str, ...] = DEFAULT_RUNTIMES
    boards: tuple[str, ...] = ("nucleo-f746",)
    device_mode: str = "batch"
    eval_limit: int | None = None
    cpus: int = 1
    gpus: float = 0.0
    tflm_audit: int | None = TFLM_AUDIT

    def cells(self) -> list[Cell]:
        return [Cell(arch, width, seed, self.dataset, dict(self.train), self.runtimes,
                     self.boards, self.device_mode, self.eval_limit, self.cpus, self.gpus,
                     self.tflm_audit)
                for arch, width in self.models for seed in self.seeds]


def paper_grid() -> Grid:
    """SPEC §2's 18 configurations × seeds 0–4, SPEC §4's protocol, on CIFAR-100."""
    models = tuple((arch, w) for arch, widths in WIDTHS.items() for w in widths)
    return Grid("paper", models, (0, 1, 2, 3, 4), "cifar100", {"epochs": 200},
                ("native", "litert"), ("nucleo-f746",), "batch", None, cpus=2, gpus=1.0)


def demo_grid() -> Grid:
    """The demo: the bundled digits set, three small widths, short training."""
    models = (("scalecnn", 4), ("scalecnn", 8), ("mobilenetv2", 0.10))
    return Grid("demo", models, (0,), "digits", {"epochs": 15}, ("native", "litert"),
                ("nucleo-f746",), "batch", None)  # + TFLite Micro on 200 of the 450 images


def load_grid(spec: str) -> Grid:
    """``paper``, ``demo`` or the path of a grid TOML file."""
    if spec == "paper":
        return paper_grid()
    if spec == "demo":
        return demo_grid()
    path = Path(spec)
    data = _read_toml(path, f"grid {spec!r} is neither a preset ({', '.join(PRESETS)}) nor "
                      "a file")
    return _grid_from_dict(data, path)


MAX_TOML_BYTES = 1024 * 1024  # grids and board maps are a few lines


def _read_toml(path: Path, missing: str) -> dict[str, Any]:
    if not path.exists():
        raise GridError(missing)
    if not path.is_file():
        raise GridError(f"{path} is not a regular file; pass a TOML file")
    if path.stat().st_size > MAX_TOML_BYTES:
        raise GridError(f"{path} is {path.stat().st_size:,} bytes, far too large for a "
                        "TOML grid or board map; pass the right file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise GridError(f"{path} is not valid TOML: {exc}") from exc


def _grid_from_dict(data: dict[str, Any], path: Path) -> Grid:
    def fail(message: str) -> GridError:
        return GridError(f"{path}: {message}")

    models = []
    entries = data.get("models", [])
    if not isinstance(entries, list):
        raise fail("models must be an array of tables: [[models]] arch = \"scalecnn\" "
                   "widths = [4, 8]")
    for entry in entries:
        if (not isinstance(entry, dict) or not isinstance(entry.get("arch"), str)
                or not isinstance(entry.get("widths"), list)
                or not all(isinstance(w, int | float) and not isinstance(w, bool)
                           for w in entry["widths"])):
            raise fail("each [[models]] needs arch (a string) and widths (a list of numbers), "
                       "e.g. arch = \"scalecnn\", widths = [4, 8]")
        for width in entry["widths"]:
            try:
                spec = resolve(entry["arch"], width)
            except UnknownModelError as exc:
                raise fail(str(exc)) from exc
            models.append((spec.arch, spec.width))
    if not models:
        raise fail("no [[models]] entries; add e.g. [[models]] arch = \"scalecnn\" widths = [4]")
    seeds = data.get("seeds", [0])
    if not isinstance(seeds, list) or not all(isinstance(s, int) and s >= 0 for s in seeds):
        raise fail("seeds must be a list of non-negative integers")
    dataset = data.get("dataset", "cifar100")
    if dataset not in DATASETS:
        raise fail(f"unknown dataset {dataset!r}; valid: {', '.join(DATASETS)}")
    train_table = data.get("train", {})
    if not isinstance(train_table, dict):
        raise fail("train must be a table: [train] epochs = 15")
    train = {k: data[k] for k in TRAIN_KEYS if k in data}
    train.update({k: v for k, v in train_table.items() if k in TRAIN_KEYS})
    unknown = set(train_table) - set(TRAIN_KEYS)
    if unknown:
        raise fail(f"unknown [train] keys {sorted(unknown)}; valid: {', '.join(TRAIN_KEYS)}")
    arch, width = models[0]
    try:  # the same checks as `tinyedge train` (epochs ≥ 1, finite lr > 0, …)
        TrainConfig(arch=arch, width=width, dataset=dataset, **train)
    except TinyedgeError as exc:
        raise fail(f"[train] {exc}") from exc
    runtimes = _strings(data, "runtimes", list(DEFAULT_RUNTIMES), fail)
    bad = [r for r in runtimes if r not in RUNTIMES]
    if bad:
        raise fail(f"unknown runtimes {bad}; valid: {', '.join(RUNTIMES)}")
    boards = _strings(data, "boards", ["nucleo-f746"], fail)
    mode = data.get("device_mode", "batch")
    if mode not in ("stream", "batch"):
        raise fail("device_mode must be stream or batch")
    eval_limit = data.get("eval_limit")
    if eval_limit is not None and (not _whole(eval_limit) or eval_limit < 1):
        raise fail(f"eval_limit must be a whole number ≥ 1 (images per evaluation), got "
                   f"{eval_limit!r}")
    tflm_audit = data.get("tflm_audit", TFLM_AUDIT)
    if tflm_audit is False or tflm_audit == 0:
        tflm_audit = None
    elif not _whole(tflm_audit) or tflm_audit < 1:
        raise fail(f"tflm_audit must be a whole number ≥ 1 (images TFLite Micro checks the "
                   f"native runtime on) or 0 / false for none, got {tflm_audit!r}")
    cpus = data.get("cpus", 1)
    if not _whole(cpus) or cpus < 1:
        raise fail(f"cpus must be a whole number ≥ 1, got {cpus!r}")
    gpus = data.get("gpus", 0)
    if (isinstance(gpus, bool) or not isinstance(gpus, int | float) or not math.isfinite(gpus)
            or gpus < 0):
        raise fail(f"gpus must be a finite number ≥ 0, got {gpus!r}")
    return Grid(path.stem, tuple(models), tuple(seeds), dataset, train, runtimes, boards,
                mode, eval_limit, cpus, float(gpus), tflm_audit)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _strings(data: dict[str, Any], key: str, default: list[str], fail) -> tuple[str, ...]:
    value = data.get(key, default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"{key} must be a list of strings, e.g. {key} = {json.dumps(default)}")
    return tuple(value)


@dataclass(frozen=True)
class BoardLink:
    """A real board attached to this machine (from the --boards map)."""

    port: str
    probe: str | None = None


def load_board_map(path: str | Path | None) -> dict[str, BoardLink]:
    """``[nucleo-f746] port = "/dev/ttyACM0"  probe = "066D…"`` per attached board."""
    if path is None:
        return {}
    path = Path(path)
    data = _read_toml(path, f"board map {path} does not exist")
    links = {}
    for name, entry in data.items():
        if (not isinstance(entry, dict) or not isinstance(entry.get("port"), str)
                or not isinstance(entry.get("probe", ""), str)):
            raise GridError(f"{path}: [{name}] needs port = \"/dev/ttyACM0\" (a string) and "
                            "optionally probe = \"<serial number>\"")
        links[name] = BoardLink(entry["port"], entry.get("probe"))
    return links
