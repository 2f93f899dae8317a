"""Find the prediction records under a results folder and group them by variant.

Layout: ``RESULTS_DIR/<arch>-w<width>-s<seed>/<runtime>/`` holding ``predictions.npz``
and ``metrics.json`` (see :mod:`tinyedge.records`); device runtimes (``device-<board>``)
add ``device.json``. A folder of another name holds the runs of a model from outside the
zoo (``tinyedge evaluate --model any.tflite --data F.npz`` writes
``RESULTS_DIR/<model's folder>/<runtime>/``): it is collected as a :class:`RunGroup` into
:attr:`Collection.others`, with the same pairing checks as a variant but outside the
scaling analyses. Folders that hold no record are skipped and listed in
:attr:`Collection.notes`.

What is comparable: every run's manifest names the model it evaluated (the int8 file's
sha256, or the float checkpoint's) and the image set (dataset, split, hash of the split;
see :func:`tinyedge.records.image_set`); each record holds the split indices of its rows.
Two runs of a variant are paired only when their image sets and models agree (an int8
model's checkpoint is the one its export manifest names, when that export still holds the
model); a pair that is not is listed in :attr:`Variant.unpaired` and in the notes, and a
variant whose runs disagree on the model gets a warning (:attr:`Collection.warnings`).
Comparisons use the images both runs hold (:func:`aligned`): a ``--limit N`` run is
compared with a full run on its N images. Runs on one image set must agree on the labels
of the images they share.

Anomaly records (a reconstruction model's: ``"task": "anomaly"`` in metrics.json, see
:mod:`tinyedge.records`) have no classes to compare; they are collected apart, into
:attr:`Collection.anomaly`, and the report shows their scores and AUC per runtime.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, reduce
from itertools import combinations
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from tinyedge.errors import TinyedgeError
from tinyedge.fileio import Fields, read_json_object
from tinyedge.layout import (
    DEVICE_JSON,
    FLOAT_RUNTIME,
    MANIFEST_NAME,
    SWEEP_STATE,
    is_device_runtime,
    project_root_of,
    resolve_stored,
)
from tinyedge.records import (
    ANOMALY_TASK,
    METRICS_NAME,
    PREDICTIONS_NAME,
    AnomalyRecord,
    Record,
    load_anomaly_metrics,
    load_anomaly_record,
    load_metrics,
    load_record,
    record_task,
)

# Which int8 run stands for "deployed" when a variant has several (a device first).
DEPLOYED_ORDER = ("tflm", "litert", "litert-ref", "native")
EXACT_HOST = ("tflm", "native")  # the device's arithmetic byte for byte
_VARIANT = re.compile(
    r"^(?P<arch>[A-Za-z0-9_]+)-w(?P<width>[0-9]+(?:\.[0-9]+)?)-s(?P<seed>[0-9]+)$")


@dataclass(frozen=True)
class Provenance:
    """What a run evaluated, from its manifest (None where it does not say)."""

    model_sha256: str | None = None  # the int8 model file (int8 runs only)
    # the float model: a zoo checkpoint or the user's float model (for int8: the export's,
    # or the --float-model it was paired with)
    checkpoint_sha256: str | None = None
    dataset: str | None = None
    images: tuple[str, str, str] | None = None  # (dataset, split, sha256 of the split)
    data_path: str | None = None  # the --data file, as the manifest stores it


@dataclass(frozen=True)
class Run:
    """One runtime's evaluation of one variant."""

    runtime: str
    folder: Path
    record: Record
    metrics: dict[str, Any]
    device: dict[str, Any] | None
    provenance: Provenance = Provenance()

    @property
    def n(self) -> int:
        return len(self.record.labels)


@dataclass
class RunGroup:
    """The runs of one results folder (one model), keyed by runtime: a model from outside
    the zoo as it is, a zoo variant as :class:`Variant`."""

    name: str
    runs: dict[str, Run] = field(default_factory=dict)
    # {frozenset({runtime a, runtime b}): why the two cannot be compared}
    unpaired: dict[frozenset[str], str] = field(default_factory=dict)
    model_warning: str | None = None  # set when the runs disagree on the model

    def comparable(self, a: Run, b: Run) -> bool:
        return frozenset((a.runtime, b.runtime)) not in self.unpaired

    @property
    def float_run(self) -> Run | None:
        return self.runs.get(FLOAT_RUNTIME)

    @property
    def int8_runs(self) -> list[Run]:
        return [r for k, r in self.runs.items() if k != FLOAT_RUNTIME]

    def deployed(self) -> Run | None:
        """The int8 run that stands for deployment: a device if any, else tflm or native
        (identical byte for byte; the one on more images — a sweep runs tflm on a sample
        only), else litert, … — the first of those comparable with the float run (another
        model's run is never shown as this variant deployed), else the first."""
        devices = sorted(k for k in self.runs if is_device_runtime(k))
        exact = sorted((k for k in EXACT_HOST if k in self.runs),
                       key=lambda k: -self.runs[k].n)  # stable: tflm first on a tie
        present = [self.runs[k] for k in dict.fromkeys([*devices, *exact, *DEPLOYED_ORDER])
                   if k in self.runs]
        f = self.float_run
        ok = [r for r in present if f is None or self.comparable(f, r)]
        return (ok or present or [None])[0]


@dataclass(kw_only=True)
class Variant(RunGroup):
    """One trained zoo model (arch, width, seed) and its runs, keyed by runtime."""

    arch: str
    width: float
    seed: int
    params: int | None


@dataclass(frozen=True)
class AnomalyRun:
    """One runtime's evaluation of a reconstruction model (an anomaly record)."""

    variant: str  # the results folder: a zoo variant's name or another model's folder
    runtime: str
    folder: Path
    record: AnomalyRecord
    metrics: dict[str, Any]
    device: dict[str, Any] | None = None
    provenance: Provenance = Provenance()


@dataclass
class Collection:
    root: Path
    variants: list[Variant]
    notes: list[str]
    anomaly: list[AnomalyRun] = field(default_factory=list)
    others: list[RunGroup] = field(default_factory=list)  # classifiers outside the zoo
    anomaly_warnings: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """Folders whose records disagree on the model (shown at the top of the report)."""
        return [*(g.model_warning for g in (*self.variants, *self.others) if g.model_warning),
                *self.anomaly_warnings]

    @property
    def runtimes(self) -> list[str]:
        """Every runtime with a record: zoo variants, other models and anomaly records."""
        return runtime_order({*(k for g in (*self.variants, *self.others) for k in g.runs),
                              *(r.runtime for r in self.anomaly)})

    @property
    def anomaly_models(self) -> list[str]:
        """The folders (models) that hold anomaly records."""
        return list(dict.fromkeys(r.variant for r in self.anomaly))

    def archs(self) -> list[str]:
        return list(dict.fromkeys(v.arch for v in self.variants))

    def of_arch(self, arch: str) -> list[Variant]:
        return [v for v in self.variants if v.arch == arch]


def runtime_order(runtimes: set[str] | list[str]) -> list[str]:
    """float first, then the host int8 runtimes in a fixed order, then devices."""
    rank = {FLOAT_RUNTIME: 0, **{k: i + 1 for i, k in enumerate(DEPLOYED_ORDER)}}
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
    anomaly: list[AnomalyRun] = []
    anomaly_warnings: list[str] = []
    groups = [g for d in sorted(root.iterdir())
              if (g := _load_folder(root, d, notes, anomaly, anomaly_warnings))]
    if not groups and not anomaly:
        raise TinyedgeError(f"no prediction records under {root}; expected "
                            f"{root}/<arch>-w<width>-s<seed>/<runtime>/{PREDICTIONS_NAME} "
                            f"(run `tinyedge train` or `tinyedge evaluate` first)")
    variants = sorted((g for g in groups if isinstance(g, Variant)),
                      key=lambda v: (v.arch, v.width, v.seed))
    others = [g for g in groups if not isinstance(g, Variant)]
    return Collection(root, variants, notes, anomaly, others, anomaly_warnings)


def _load_folder(root: Path, folder: Path, notes: list[str], anomaly: list[AnomalyRun],
                 anomaly_warnings: list[str]) -> RunGroup | None:
    """The classifier runs of one results folder as a :class:`Variant` (a zoo name) or a
    :class:`RunGroup` (any other name); its anomaly records go to ``anomaly``."""
    if not folder.is_dir() or folder.name.startswith(".") or folder.name == SWEEP_STATE:
        return None
    runs: dict[str, Run] = {}
    scored: list[AnomalyRun] = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        present = [n for n in (PREDICTIONS_NAME, METRICS_NAME)
                   if (sub / n).exists() or (sub / n).is_symlink()]
        if present and record_task(sub) == ANOMALY_TASK:
            scored.append(_load_anomaly_run(folder.name, sub, root))
        elif present:  # a started record must be complete and valid; a bare folder is skipped
            runs[sub.name] = _load_run(sub, root)
    anomaly.extend(scored)
    if warning := _model_warning(folder.name, scored):
        anomaly_warnings.append(warning)
    if scored and runs:
        notes.append(f"{folder.name}: {', '.join(runs)} hold classifier records beside "
                     "anomaly records; the two kinds are shown apart")
    if not runs and scored:
        return None
    if not runs:
        notes.append(f"skipped {folder.name}/: no runtime folder holds a record")
        return None
    runs = {k: runs[k] for k in runtime_order(list(runs))}
    unpaired = {frozenset((a.runtime, b.runtime)): why
                for a, b in combinations(runs.values(), 2)
                if (why := incomparable(a, b)) is not None}
    unpaired.update(_untraced(runs))
    check_labels(folder.name, list(runs.values()), skip=set(unpaired))
    for pair, why in unpaired.items():
        a, b = runtime_order(list(pair))
        notes.append(f"{folder.name}: {a} and {b} are not compared: {why}")
    warning = _model_warning(folder.name, list(runs.values()))
    match = _VARIANT.match(folder.name)
    if match is None:
        notes.append(f"{folder.name}/ is not an <arch>-w<width>-s<seed> folder: its records "
                     "are shown under Other models, outside the scaling analyses")
        return RunGroup(folder.name, runs, unpaired, warning)
    arch = match["arch"]
    width = float(match["width"])
    return Variant(folder.name, runs, unpaired, warning, arch=arch, width=width,
                   seed=int(match["seed"]), params=find_params(root, runs.values(), arch, width))


def _load_run(folder: Path, root: Path) -> Run:
    record = load_record(folder)
    metrics = load_metrics(folder, record)
    return Run(folder.name, folder, record, metrics, _device_of(folder),
               provenance(folder, metrics, root))


def _load_anomaly_run(name: str, folder: Path, root: Path) -> AnomalyRun:
    record = load_anomaly_record(folder)
    metrics = load_anomaly_metrics(folder, record)
    return AnomalyRun(name, folder.name, folder, record, metrics, _device_of(folder),
                      provenance(folder, metrics, root))


def _device_of(folder: Path) -> dict[str, Any] | None:
    """A device run's checked ``device.json``; None for host runtimes."""
    path = folder / DEVICE_JSON
    return read_device_json(path) if path.exists() or path.is_symlink() else None


def _sha(entry: Any) -> str | None:
    sha = entry.get("sha256") if isinstance(entry, dict) else None
    return sha if isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{64}", sha) else None


def provenance(folder: Path, metrics: dict[str, Any], root: Path) -> Provenance:
    """What the run in ``folder`` evaluated, from its manifest (an absent or unreadable
    manifest, or one from before manifests named their images, leaves fields None: such a
    run is compared on its labels alone)."""
    inputs = (_read_json(folder / MANIFEST_NAME) or {}).get("inputs")
    inputs = inputs if isinstance(inputs, dict) else {}
    model, checkpoint = _sha(inputs.get("model")), _float_source(inputs)
    if model is not None and checkpoint is None:
        checkpoint = _export_checkpoint(root, inputs["model"], model)
    images = inputs.get("images")
    image_key = None
    if isinstance(images, dict) and all(isinstance(images.get(k), str)
                                        for k in ("dataset", "split", "sha256")):
        image_key = (images["dataset"], images["split"], images["sha256"])
    dataset = inputs.get("dataset", metrics.get("dataset"))
    data = inputs.get("data")
    data_path = data.get("path") if isinstance(data, dict) else None
    return Provenance(model, checkpoint, dataset if isinstance(dataset, str) else None,
                      image_key, data_path if isinstance(data_path, str) else None)


def _export_checkpoint(root: Path, entry: dict[str, Any], model_sha: str) -> str | None:
    """The checkpoint an int8 model was exported from: its export manifest's, when that
    manifest still describes this very model file (a re-export replaces it)."""
    if not isinstance(entry.get("path"), str):
        return None
    export = resolve_stored(entry["path"], project_root_of(root)).parent
    manifest = _read_json(export / MANIFEST_NAME) or {}
    tflite = (manifest.get("outputs") or {}).get("tflite")
    if manifest.get("stage") != "export" or _sha(tflite) != model_sha:
        return None
    return _float_source(manifest.get("inputs"))


def _float_source(inputs: Any) -> str | None:
    """The sha256 of the float model a manifest's inputs name: a zoo checkpoint, or the
    user's own float model (``float_model``: ``tinyedge export --model`` or
    ``--float-model``)."""
    if not isinstance(inputs, dict):
        return None
    return _sha(inputs.get("checkpoint")) or _sha(inputs.get("float_model"))


def incomparable(a: Run, b: Run) -> str | None:
    """Why runs ``a`` and ``b`` of one variant cannot be compared, or None when they can:
    other images (dataset, split or their hash), another int8 model, another checkpoint,
    or no image in common."""
    pa, pb = a.provenance, b.provenance
    if pa.images and pb.images and pa.images != pb.images:
        return (f"they were evaluated on different image sets ({_images(pa.images)} vs "
                f"{_images(pb.images)})")
    if pa.dataset and pb.dataset and pa.dataset != pb.dataset:
        return f"they were evaluated on different datasets ({pa.dataset} vs {pb.dataset})"
    if pa.model_sha256 and pb.model_sha256 and pa.model_sha256 != pb.model_sha256:
        return (f"they ran different model files (sha256 {pa.model_sha256[:12]}… vs "
                f"{pb.model_sha256[:12]}…; re-exported in between?)")
    if (pa.checkpoint_sha256 and pb.checkpoint_sha256
            and pa.checkpoint_sha256 != pb.checkpoint_sha256):
        return (f"they come from different checkpoints (sha256 {pa.checkpoint_sha256[:12]}… "
                f"vs {pb.checkpoint_sha256[:12]}…)")
    if not aligned(a, b).n:
        return "they hold no image in common"
    return None


def _untraced(runs: dict[str, Run]) -> dict[frozenset[str], str]:
    """When a variant's int8 runs ran different models, the runs whose model no export
    manifest traces to a checkpoint are not paired with float either: which checkpoint
    their (replaced) model came from is unknown."""
    f = runs.get(FLOAT_RUNTIME)
    models = {r.provenance.model_sha256 for r in runs.values() if r.provenance.model_sha256}
    if f is None or len(models) < 2 or not f.provenance.checkpoint_sha256:
        return {}
    return {frozenset((FLOAT_RUNTIME, r.runtime)): (
                f"{r.runtime} ran a model (sha256 {r.provenance.model_sha256[:12]}…) that its "
                f"export folder no longer holds, so its checkpoint is unknown")
            for r in runs.values()
            if r.provenance.model_sha256 and not r.provenance.checkpoint_sha256}


def _images(key: tuple[str, str, str]) -> str:
    return f"{key[0]} {key[1]} {key[2][:12]}…"


def _model_warning(name: str, runs: list[Run] | list[AnomalyRun]) -> str | None:
    """One line saying which runs of a folder (a variant or another model) ran which
    model, when they disagree."""
    models: dict[str, list[str]] = {}
    for run in runs:
        if sha := run.provenance.model_sha256:
            models.setdefault(sha, []).append(run.runtime)
    checkpoints = {sha for r in runs if (sha := r.provenance.checkpoint_sha256)}
    if len(models) > 1:
        which = "; ".join(f"{', '.join(rts)} ran sha256 {sha[:12]}…"
                          for sha, rts in models.items())
        return (f"{name}: its records ran different models ({which}); those runs are not "
                f"compared — evaluate every runtime again on the current export")
    if len(checkpoints) > 1:
        return (f"{name}: the float run and the int8 runs come from different checkpoints "
                f"(trained again after the export?); float vs int8 is not compared — "
                f"export and evaluate again")
    return None


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


class Alignment(NamedTuple):
    """The images several runs all hold: their split indices (ascending) and, per run,
    the record rows of those images (``record.pred[rows[i]]`` lines up across runs)."""

    indices: np.ndarray
    rows: list[np.ndarray]

    @property
    def n(self) -> int:
        return len(self.indices)


def aligned(*runs: Run) -> Alignment:
    """Intersect the runs' split indices (a ``--limit N`` run holds 0 … N−1).
    Example: indices [0 … 449] and [0 … 49] → the 50 images 0 … 49, rows 0 … 49 of each."""
    held = [r.record.image_indices() for r in runs]
    common = reduce(np.intersect1d, held)
    rows = []
    for idx in held:
        order = np.argsort(idx, kind="stable")
        rows.append(order[np.searchsorted(idx, common, sorter=order)])
    return Alignment(common, rows)


def check_labels(name: str, runs: list[Run], skip: set[frozenset[str]] | None = None
                 ) -> None:
    """Raise when two runs (a pair not in ``skip``) disagree on a label of an image both
    evaluated."""
    for a, b in combinations(runs, 2):
        if skip and frozenset((a.runtime, b.runtime)) in skip:
            continue
        al = aligned(a, b)
        if not np.array_equal(a.record.labels[al.rows[0]], b.record.labels[al.rows[1]]):
            raise TinyedgeError(
                f"{name}: {a.runtime}/ and {b.runtime}/ have different labels for the "
                f"same images (another dataset or order?); evaluate both again on one dataset")


def image_mismatch(runs: list[Run]) -> str | None:
    """Why runs of *different* variants cannot be compared image by image (another image
    set, other labels on the same images, no image in common), or None."""
    keys = {r.provenance.images for r in runs if r.provenance.images}
    datasets = {r.provenance.dataset for r in runs if r.provenance.dataset}
    if len(keys) > 1 or len(datasets) > 1:
        return "they were evaluated on different image sets"
    al = aligned(*runs)
    if al.n == 0:
        return "they hold no image in common"
    first = runs[0].record.labels[al.rows[0]]
    if any(not np.array_equal(first, r.record.labels[rows])
           for r, rows in zip(runs[1:], al.rows[1:], strict=True)):
        return "their labels differ on the same images"
    return None


def labels_agree(runs: list[Run]) -> bool:
    """Whether runs of *different* variants can be compared image by image."""
    return image_mismatch(runs) is None


def find_params(root: Path, runs, arch: str, width: float) -> int | None:
    """Parameter count: from the checkpoint's or export's manifest (``figures.params``)
    that a run's manifest names; else by rebuilding the zoo model for the record's
    classes; else (a model from outside the zoo) from the int8 model's graph.
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
    if num_classes is not None and (params := _zoo_params(arch, width, int(num_classes))):
        return params
    for run in runs:  # a model from outside the zoo: count its deployed graph
        params = _graph_params_of(project, run)
        if params is not None:
            return params
    return None


def _graph_params_of(project: Path, run: Run) -> int | None:
    """Parameters of the int8 model file a run's manifest names (weights and biases of the
    deployed graph, :func:`tinyedge.floatmodel.graph_params`), when that file is still the
    one evaluated (same sha256)."""
    from tinyedge.fileio import sha256_file
    from tinyedge.firmware.tflite_reader import read_model
    from tinyedge.floatmodel import graph_params

    entry = ((_read_json(run.folder / MANIFEST_NAME) or {}).get("inputs") or {}).get("model")
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return None
    path = resolve_stored(entry["path"], project)
    try:
        if not path.is_file() or sha256_file(path) != entry.get("sha256"):
            return None
        return graph_params(read_model(path)) or None
    except (TinyedgeError, OSError):
        return None


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
