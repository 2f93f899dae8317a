"""What the report's deployment sections compute from the records (no HTML, no figures):

* :func:`pareto_series` — accuracy against one cost (latency, peak RAM) across widths, one
  series per device runtime, with its Pareto front (:func:`tinyedge.analysis.pareto_front`).
* :func:`flip_view` — the images float gets right and the deployed model wrong (and the
  reverse), the class-to-class flows and the confusion difference, over the images both hold.
* :func:`flip_images` — those images from the dataset on disk, when it is there and is the
  very image set the runs were evaluated on.
* :func:`profile_rows` — the device's per-layer profile joined with the build's layer table.
* :func:`build_memory` — the build's ``memory.json`` that the device run's manifest names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinyedge.analysis import (
    Flow,
    class_flows,
    confusion_difference,
    flipped_images,
    pareto_front,
)
from tinyedge.data import load_dataset
from tinyedge.data.user_data import SPLIT as DATA_FILE_SPLIT
from tinyedge.data.user_data import load_user_data
from tinyedge.errors import TinyedgeError
from tinyedge.fileio import Fields, read_json_object, sha256_file
from tinyedge.layout import MANIFEST_NAME, project_root_of, resolve_stored
from tinyedge.records import image_set
from tinyedge.report.collect import Run, RunGroup, Variant, aligned
from tinyedge.report.tables import num_classes

MAX_THUMBNAILS = 24  # per direction and variant


# --- accuracy vs cost ---------------------------------------------------------------------


@dataclass(frozen=True)
class ParetoSeries:
    runtime: str
    labels: list[str]  # width label of each point, e.g. "w8"
    cost: np.ndarray
    top1: np.ndarray
    front: np.ndarray  # bool, Pareto-optimal (lower cost, higher accuracy)


def pareto_series(rows: list[dict[str, Any]], variants: list[Variant], column: str
                  ) -> list[ParetoSeries]:
    """Per runtime with a ``column`` cost (``latency_s``, ``peak_ram_bytes``, …) among the
    :func:`~tinyedge.report.tables.variant_rows` rows of ``variants``: one point per variant,
    ascending cost, and the Pareto front of (cost, top-1)."""
    names = {v.name: v for v in variants}
    by_runtime: dict[str, list[tuple[float, float, str]]] = {}
    for row in rows:
        v = names.get(row["variant"])
        if v is None or row.get(column) is None or row.get("top1") is None:
            continue
        label = f"w{v.width:g}" + (f" s{v.seed}" if v.seed else "")
        by_runtime.setdefault(row["runtime"], []).append(
            (float(row[column]), float(row["top1"]), label))
    out = []
    for runtime, points in sorted(by_runtime.items()):
        points.sort()
        cost = np.array([p[0] for p in points])
        top1 = np.array([p[1] for p in points])
        out.append(ParetoSeries(runtime, [p[2] for p in points], cost, top1,
                                pareto_front(cost, top1)))
    return out


# --- which inputs flipped -----------------------------------------------------------------


@dataclass(frozen=True)
class FlippedImage:
    index: int  # index in the evaluated split
    label: int
    float_pred: int
    float_confidence: float  # max class probability (softmax of logits, or the output)
    deployed_pred: int
    deployed_confidence: float


@dataclass(frozen=True)
class FlipView:
    float_run: Run
    deployed_run: Run
    n: int  # images both hold
    correct_to_wrong: list[FlippedImage]
    wrong_to_correct: list[FlippedImage]
    flows: list[Flow]
    difference: np.ndarray  # deployed confusion − float confusion, (classes, classes)
    class_names: list[str]


def class_names_of(run: Run) -> list[str]:
    names = run.metrics.get("class_names")
    c = num_classes(run)
    if isinstance(names, list) and len(names) == c:
        return [str(x) for x in names]
    return [str(i) for i in range(c)]


def flip_view(v: RunGroup, top_flows: int = 10) -> FlipView | None:
    """Float vs the deployed run of ``v`` on the images both hold; None when either is
    missing or the two are not comparable (another model or image set)."""
    f, d = v.float_run, v.deployed()
    if f is None or d is None or not v.comparable(f, d):
        return None
    if num_classes(f) != num_classes(d):
        return None
    al = aligned(f, d)
    labels = f.record.labels[al.rows[0]]
    pf, pd = f.record.pred[al.rows[0]], d.record.pred[al.rows[1]]
    conf_f = f.record.probabilities()[al.rows[0]].max(axis=1)
    conf_d = d.record.probabilities()[al.rows[1]].max(axis=1)
    flipped = flipped_images(labels, pf, pd)

    def images(rows: np.ndarray) -> list[FlippedImage]:
        return [FlippedImage(int(al.indices[i]), int(labels[i]), int(pf[i]), float(conf_f[i]),
                             int(pd[i]), float(conf_d[i])) for i in rows]

    return FlipView(f, d, al.n, images(flipped.correct_to_wrong),
                    images(flipped.wrong_to_correct), class_flows(pf, pd, top=top_flows),
                    confusion_difference(labels, pf, pd, num_classes(f)), class_names_of(f))


class Images:
    """Datasets loaded once per report, for the flipped images' thumbnails."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self._loaded: dict[str, Any] = {}

    def _dataset(self, name: str):
        if name not in self._loaded:
            root = os.environ.get("TINYEDGE_DATA") or self.project / "data"
            try:
                self._loaded[name] = load_dataset(name, root)
            except TinyedgeError as exc:
                self._loaded[name] = exc
        return self._loaded[name]

    def lookup(self, run: Run, indices: list[int]) -> tuple[dict[int, np.ndarray], str | None]:
        """{split index: uint8 HWC image} for ``indices`` of the split ``run`` evaluated, or
        ({}, why not) when the dataset is unknown, not on disk, or not the evaluated one."""
        prov = run.provenance
        name = prov.dataset or run.metrics.get("dataset")
        if not isinstance(name, str):
            return {}, "the runs do not name their dataset, so the images cannot be shown"
        if prov.images is not None and prov.images[1] == DATA_FILE_SPLIT:
            return self._from_data_file(run, indices)
        split = prov.images[1] if prov.images else "test"
        data = self._dataset(name)
        if isinstance(data, TinyedgeError):
            return {}, (f"the {name} dataset is not on disk here ({data}); the flipped images "
                        "are listed without thumbnails")
        try:
            images, labels = data.split(split)
        except ValueError:
            return {}, f"the {name} dataset has no {split!r} split; no thumbnails"
        if prov.images is not None and prov.images[2] != image_set(
                name, split, images, labels)["sha256"]:
            return {}, (f"the {name} {split} split on disk is not the one evaluated (its hash "
                        "differs); no thumbnails")
        wanted = [i for i in indices if 0 <= i < len(labels)]
        rec_labels = dict(zip(run.record.image_indices().tolist(),
                              run.record.labels.tolist(), strict=True))
        if len(wanted) < len(indices) or any(labels[i] != rec_labels.get(i) for i in wanted):
            return {}, (f"the {name} {split} images on disk do not match the records' "
                        "labels (another version of the dataset?); no thumbnails")
        return {i: images[i] for i in wanted}, None

    def _from_data_file(self, run: Run, indices: list[int]
                        ) -> tuple[dict[int, np.ndarray], str | None]:
        """Thumbnails from the ``--data`` file a run evaluated, when it is still the same
        file (its sha256 is the image set's) and holds images."""
        prov = run.provenance
        assert prov.images is not None
        if prov.data_path is None:
            return {}, "the run does not name its --data file; no thumbnails"
        path = resolve_stored(prov.data_path, self.project)
        key = f"file:{path}"
        if key not in self._loaded:
            try:
                if sha256_file(path) != prov.images[2]:
                    raise TinyedgeError(f"{path} changed since it was evaluated")
                self._loaded[key] = load_user_data(path)
            except (TinyedgeError, OSError) as exc:
                self._loaded[key] = exc
        data = self._loaded[key]
        if isinstance(data, (TinyedgeError, OSError)):
            return {}, f"the --data file is not usable here ({data}); no thumbnails"
        if data.images is None:
            return {}, "the --data file holds inputs, not images; no thumbnails"
        wanted = [i for i in indices if 0 <= i < len(data.labels)]
        return {i: data.images[i] for i in wanted}, None


# --- per-layer profile and memory ---------------------------------------------------------

_MEMORY_FIX = "build the firmware again (`tinyedge evaluate --board …` rebuilds it)"


def build_memory(run: Run, results_root: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The ``memory.json`` of the firmware a device run used, as its manifest names it
    (``inputs.memory``: path and sha256), validated; (None, why) when the manifest does not
    name one, the file is gone or changed, or it is malformed."""
    try:
        manifest = read_json_object(run.folder / MANIFEST_NAME, "")
    except TinyedgeError:
        return None, None
    entry = (manifest.get("inputs") or {}).get("memory")
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return None, None  # an older run: its manifest does not say
    path = resolve_stored(entry["path"], project_root_of(results_root))
    if not path.is_file():
        return None, (f"{run.runtime}: the build's memory.json ({path}) is gone; the memory "
                      "plan and layer names are not shown")
    if sha256_file(path) != entry.get("sha256"):
        return None, (f"{run.runtime}: {path} changed since the run (rebuilt?); the memory "
                      "plan and layer names are not shown")
    try:
        data = read_json_object(path, _MEMORY_FIX)
        _check_memory(path, data)
    except TinyedgeError as exc:
        return None, f"{run.runtime}: {exc}"
    return data, None


def _check_memory(path: Path, data: dict[str, Any]) -> None:
    f = Fields(path, data, _MEMORY_FIX)
    for part, keys in (("flash", ("limit", "used", "code", "weights")),
                       ("ram", ("limit", "used", "arena", "static", "stack"))):
        obj = f.object(part)
        for key in keys:
            obj.integer(key, low=0)
    for i, layer in enumerate(f.array("layers") if "layers" in data else []):
        if not isinstance(layer, dict):
            raise f.fail("layers", "a list of objects")
        lf = Fields(path, layer, _MEMORY_FIX, f"layers[{i}]")
        lf.integer("index", low=0)
        lf.string("op")
        lf.integer("macs", low=0)
        lf.array("output_shape", item="integer", low=0)
    if (arena := f.object("arena", optional=True)) is not None:
        arena.integer("bytes", low=0)
        for i, b in enumerate(arena.array("buffers")):
            if not isinstance(b, dict):
                raise arena.fail("buffers", "a list of objects")
            bf = Fields(path, b, _MEMORY_FIX, f"arena.buffers[{i}]")
            bf.string("name")
            for key in ("bytes", "offset", "first", "last"):
                bf.integer(key, low=0)


def profile_rows(run: Run, memory: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per layer of the device's profile (``device.json`` ``per_layer``): layer,
    op and output shape and MACs (from ``memory.json``'s layer table when known), the count
    (instructions on an emulator, cycles on a board), count per MAC and share of the total.
    Malformed entries are skipped."""
    d = run.device or {}
    unit = d.get("counter") if d.get("counter") in ("instructions", "cycles") else None
    entries = d.get("per_layer")
    if unit is None or not isinstance(entries, list):
        return []
    layers = {int(layer["index"]): layer for layer in (memory or {}).get("layers", [])}
    counts = []
    for e in entries:
        if (isinstance(e, dict) and isinstance(e.get("layer"), int)
                and isinstance(e.get(unit), int) and e[unit] >= 0):
            counts.append((e["layer"], e[unit]))
    total = sum(c for _, c in counts)
    rows = []
    for index, count in counts:
        layer = layers.get(index, {})
        macs = layer.get("macs")
        rows.append({"layer": index, "op": layer.get("op"),
                     "shape": layer.get("output_shape"), "macs": macs, "unit": unit,
                     "count": count, "per_mac": count / macs if macs else None,
                     "share": count / total if total else None})
    return rows
