"""``tinyedge evaluate --board B``: stream the test set through a device (a real board on
a serial port, or its emulator) and write the shared record plus ``device.json``.

Results are appended to ``device_results.jsonl`` as they arrive, so a killed evaluation
resumes where it stopped; the final record is written only when every image has a
result. With ``jobs`` > 1 the remaining images are sharded over parallel emulators.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tinyedge.boards import Board
from tinyedge.data.user_data import UserData
from tinyedge.device.clock import clock_report
from tinyedge.device.emulator import QemuConfig, QemuProcess
from tinyedge.device.messages import PROTOCOL_VERSION, CounterKind, DeviceInfo
from tinyedge.device.power import (
    EnergyMeasurement,
    MonitorError,
    MonitorLost,
    PowerMonitor,
    PowerRecorder,
    estimated_energy,
)
from tinyedge.device.result_log import ResultLog
from tinyedge.device.session import DeviceSession, LinkStats
from tinyedge.device.transport import SerialTransport
from tinyedge.errors import TinyedgeError
from tinyedge.fileio import (
    check_stage_folder,
    file_entry,
    set_aside,
    sha256_file,
    write_json_atomic,
    write_manifest,
)
from tinyedge.floatmodel import FloatModel
from tinyedge.int8 import (
    Int8Signature,
    ModelInputs,
    Normalization,
    check_int8_model,
    model_inputs,
    output_record,
    record_extra,
)
from tinyedge.int8.anomaly import write_anomaly_outputs
from tinyedge.int8.float_partner import pair_float, paired_inputs
from tinyedge.int8.inputs import Task
from tinyedge.layout import (
    DEVICE_JSON,
    DEVICE_LOG,
    DEVICE_SESSION,
    MEMORY_JSON,
    Reach,
    device_runtime,
)
from tinyedge.progress import Progress, SilentProgress
from tinyedge.records import OutputKind, headline_figures, write_record

Mode = Literal["stream", "batch"]
LOG_NAME = DEVICE_LOG
BATCH_CHUNK = 64


@dataclass(frozen=True)
class SessionReport:
    info: DeviceInfo
    profile: list[tuple[int, int]]
    stack: tuple[int, int]
    link: LinkStats


# How long a fresh emulator boot may take to send its BOOT frame before the host speaks.
BOOT_WAIT_S = 10.0


class DeviceMismatch(TinyedgeError):
    """The device runs another model than the one being evaluated."""


@dataclass(frozen=True)
class DeviceTarget:
    """Where the firmware runs: QEMU (``port`` is None), or a serial port — a real board,
    or a simulator of the real SoC such as Renode (``simulator`` names it) behind a
    socket URL."""

    board: Board
    elf: Path
    memory: dict[str, Any]
    port: str | None = None
    simulator: str | None = None

    @property
    def emulated(self) -> bool:
        """QEMU, started by tinyedge: exact instruction counts."""
        return self.port is None

    @property
    def reach(self) -> Reach:
        """How the board is reached: its QEMU stand-in, a simulator, or the real board."""
        if self.emulated:
            return "qemu"
        return "renode" if self.simulator == "renode" else "board"

    @property
    def preload_origin(self) -> int | None:
        return self.board.emulator.preload_origin if self.emulated else None


def ticks_to_count(ticks: int, board: Board, emulated: bool) -> int:
    """Emulator counter ticks → exact instructions (see Emulator.instructions); real
    boards count core cycles."""
    return board.emulator.instructions(ticks) if emulated else ticks


@contextmanager
def open_session(target: DeviceTarget, inputs_file: Path | None, time_limit_s: float,
                 timeout: float, url: Callable[[QemuProcess], str] | None = None
                 ) -> Iterator[DeviceSession]:
    """A session with the device: boots an emulator when ``target`` is emulated. ``url``
    overrides where the host connects (tests put a fault-injecting proxy there)."""
    if not target.emulated:
        transport = SerialTransport(target.port, target.board.uart.baud)
        try:
            yield DeviceSession(transport, timeout=timeout)
        finally:
            transport.close()
        return
    preload = None
    if inputs_file is not None and target.preload_origin is not None:
        preload = (inputs_file, target.preload_origin)
    config = QemuConfig(target.board.emulator.qemu_machine, target.elf,
                        target.board.emulator.icount_shift, preload, time_limit_s)
    with QemuProcess(config) as qemu:
        transport = SerialTransport(url(qemu) if url is not None else qemu.url)
        try:
            yield DeviceSession(transport, timeout=timeout, alive=qemu.check_alive)
        finally:
            transport.close()


def evaluate_on_device(
    model_path: str | Path,
    target: DeviceTarget,
    out_dir: str | Path,
    *,
    mode: Mode = "stream",
    limit: int | None = None,
    jobs: int = 1,
    data_root: str | Path | None = None,
    data: UserData | None = None,
    normalize: Normalization | None = None,
    timeout: float = 10.0,
    time_limit_s: float = 3600.0,
    url: Callable[[QemuProcess], str] | None = None,
    progress: Progress | None = None,
    power_monitor: PowerMonitor | None = None,
    task: Task | None = None,
    float_model: str | None = None,
    weights: str | Path | None = None,
    output_kind: OutputKind | None = None,
) -> dict[str, Any]:
    """Run ``model_path`` on ``target`` over the test split or ``data`` and write the
    device record into ``out_dir``; a float model (``float_model``, or the one the export
    manifest names) is evaluated on the same rows beside it first, as on the host
    (:func:`tinyedge.int8.float_partner.pair_float`)."""
    progress = progress or SilentProgress()
    out_dir = Path(out_dir)
    if limit is not None and limit < 1:
        raise TinyedgeError(f"limit must be at least 1, got {limit}")
    if jobs < 1:
        raise TinyedgeError(f"jobs must be at least 1, got {jobs}")
    check_stage_folder(out_dir, "evaluate")
    signature = check_int8_model(model_path)
    m = model_inputs(model_path, signature, data=data, normalize=normalize,
                     data_root=data_root, limit=limit, task=task)
    partner = pair_float(model_path, m, signature, out_dir, float_model=float_model,
                         weights=weights, output_kind=output_kind, progress=progress)
    if (moved := set_aside(out_dir, "model", sha256_file(model_path))) is not None:
        progress.message(f"{out_dir} held the record of another model; moved it to "
                         f"{moved.name}")
    # The input set is keyed by the whole set as the model sees it (and, for --data, the
    # file's sha256), so a run with another --limit resumes from the same results while
    # other data never reuses them.
    input_key = {"dataset": m.dataset, "split": m.images["split"], "sha256": m.inputs_sha256}
    if data is not None:
        input_key["file_sha256"] = data.sha256
    labels = m.labels
    flat = m.inputs.reshape(len(m.inputs), -1)
    if mode == "batch" and not target.emulated:
        raise TinyedgeError("batch mode preloads inputs into emulator memory; use stream "
                            "mode (the default) on a real board")
    if mode == "batch" and target.preload_origin is None:
        raise TinyedgeError(f"{target.board.name}'s emulator has no memory to preload "
                            "inputs into; use stream mode")
    with tempfile.TemporaryDirectory(prefix="tinyedge-inputs-") as scratch:
        inputs_file = Path(scratch) / "inputs.bin" if mode == "batch" else None
        if inputs_file is not None:
            inputs_file.write_bytes(flat.tobytes())
        # A power monitor samples current and the "inference active" pin for the whole
        # run; what it recorded is kept even if it disconnects (tinyedge/device/power.py).
        measured, unmeasured = None, ""
        with PowerRecorder(power_monitor) if power_monitor else nullcontext() as recorder:
            results, reports, ran = _collect(model_path, signature, target, out_dir, flat,
                                             inputs_file, mode, jobs, timeout, time_limit_s,
                                             url, progress, input_key)
        if recorder is not None:
            if not ran:
                raise MonitorError(f"all {len(flat)} results are already in {out_dir}, so "
                                   "the board ran no inference for the power monitor to "
                                   "measure; pass a fresh --out folder to measure energy")
            try:
                measured = recorder.measurement()
            except MonitorLost as exc:  # the predictions are complete: keep them, say why
                unmeasured = str(exc)
            if measured is not None and measured.note:
                progress.message(measured.note)
    missing = [i for i in range(len(flat)) if i not in results]
    if missing:
        raise TinyedgeError(f"{len(missing)} images have no result; run the same command "
                            "again to finish")
    return _write_outputs(model_path, target, out_dir, labels, results, reports, signature,
                          m, mode, measured, unmeasured, partner, output_kind)


def result_key(target: DeviceTarget, model_sha256: str, input_key: dict[str, Any]
               ) -> dict[str, Any]:
    """Everything that produced a device result: a logged result is reused only when all of
    it matches (model, firmware image, target, protocol version, input set)."""
    where: dict[str, Any] = {"board": target.board.name, "reach": target.reach}
    if target.emulated:
        where["emulator"] = target.board.emulator.qemu_machine
    else:
        where["port"] = target.port
    return {"model_sha256": model_sha256, "firmware_sha256": sha256_file(target.elf),
            "target": where, "protocol": PROTOCOL_VERSION, "inputs": input_key}


def _collect(model_path, signature: Int8Signature, target: DeviceTarget, out_dir: Path,
             flat: np.ndarray, inputs_file: Path | None, mode: Mode, jobs: int,
             timeout: float, time_limit_s: float, url, progress: Progress,
             input_key: dict[str, Any]):
    """Run every image without a logged result; return all results and the session
    reports (device info, per-layer profile, stack high-water mark) and how many images
    ran now (the rest came from the log). ``signature`` is the model's checked int8
    signature (checked once per evaluation)."""
    expected_sha = sha256_file(model_path)
    output_bytes = signature.output_bytes
    key = result_key(target, expected_sha, input_key)
    with ResultLog(out_dir / LOG_NAME, output_bytes, key) as log:
        if log.moved_aside is not None:
            progress.message(f"results on disk came from another model, firmware, target or "
                             f"input set; moved them to {log.moved_aside.name} and starting "
                             "fresh")
        wanted = range(len(flat))
        done = sum(1 for i in wanted if i in log)
        todo = [i for i in wanted if i not in log]
        saved = _load_session(out_dir, key)
        if not todo and saved is not None:  # nothing to run: no emulator boot either
            return {i: log.results[i] for i in wanted}, [saved], 0
        if todo:
            progress.message(f"{done} of {len(flat)} results already on disk; "
                             f"running {len(todo)}" if done else
                             f"running {len(todo)} images on {target.board.name}"
                             f"{' (emulated)' if target.emulated else ''}")
        # The bar counts only what runs now; what is on disk was said in the line above.
        bar = progress.task(len(todo), f"device {target.board.name}", unit="img")
        lock = threading.Lock()

        def record(index: int, ticks: int, output: bytes) -> None:
            with lock:
                if log.add(index, ticks, output):
                    bar.advance(1)

        shards = [todo[k::jobs] for k in range(jobs)] if target.emulated else [todo]
        shards = [s for s in shards if s]

        def work(shard: list[int]) -> SessionReport:
            with open_session(target, inputs_file, time_limit_s, timeout, url) as session:
                if target.emulated:  # a fresh boot: speak only once the firmware listens
                    session.wait_boot(BOOT_WAIT_S)
                info = session.hello()
                _check_model(info, expected_sha, target, signature.input_bytes, output_bytes)
                if mode == "batch":
                    _run_batches(session, shard, record)
                else:
                    for index in shard:
                        result = session.infer(flat[index].tobytes())
                        record(index, result.count, result.output)
                profile = session.profile(flat[shard[0] if shard else 0].tobytes())
                return SessionReport(info, profile, session.stack(), session.stats)

        try:
            if len(shards) <= 1:
                reports = [work(shards[0] if shards else [])]
            else:
                with ThreadPoolExecutor(max_workers=len(shards)) as pool:
                    reports = list(pool.map(work, shards))
        finally:
            bar.close()
        _save_session(out_dir, key, reports[0])
        return {i: log.results[i] for i in wanted if i in log}, reports, len(todo)


def _save_session(out_dir: Path, key: dict[str, Any], report: SessionReport) -> None:
    write_json_atomic(out_dir / DEVICE_SESSION, {
        "key": key, "info": report.info.encode().hex(),
        "profile": [list(p) for p in report.profile],
        "stack": list(report.stack), "link": asdict(report.link)})


def _load_session(out_dir: Path, key: dict[str, Any]) -> SessionReport | None:
    """The device info, profile and stack of an earlier run with the same key, if valid."""
    try:
        data = json.loads((out_dir / DEVICE_SESSION).read_text())
        if data["key"] != key:
            return None
        info = DeviceInfo.decode(bytes.fromhex(data["info"]))
        return SessionReport(info, [(int(a), int(b)) for a, b in data["profile"]],
                             (int(data["stack"][0]), int(data["stack"][1])),
                             LinkStats(**{k: int(v) for k, v in data["link"].items()}))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def _check_model(info: DeviceInfo, expected_sha: str, target: DeviceTarget,
                 input_bytes: int, output_bytes: int) -> None:
    """The device's INFO must describe this model exactly; a board's reply is untrusted."""
    where = "the emulator image" if target.emulated else f"the board on {target.port}"
    fix = f"flash it with `tinyedge flash --board {target.board.name} --model MODEL`"
    if info.protocol != PROTOCOL_VERSION:
        raise DeviceMismatch(
            f"{where} speaks protocol version {info.protocol}, this host speaks "
            f"{PROTOCOL_VERSION}; re-flash the firmware: {fix}")
    if info.model_sha256 != expected_sha:
        raise DeviceMismatch(
            f"{where} runs model {info.model_sha256[:12]}…, not {expected_sha[:12]}…; {fix}")
    if (info.input_bytes, info.output_bytes) != (input_bytes, output_bytes):
        raise DeviceMismatch(
            f"{where} reports a {info.input_bytes}-byte input and {info.output_bytes}-byte "
            f"output, but the model has {input_bytes} and {output_bytes}; {fix}")


def _run_batches(session: DeviceSession, shard: list[int],
                 record: Callable[[int, int, bytes], None]) -> None:
    """Run ``shard`` in contiguous chunks; re-request whatever did not arrive intact."""
    pending = sorted(shard)
    for _ in range(session.retries + 1):
        if not pending:
            return
        got: set[int] = set()

        def keep(result, got=got) -> None:
            got.add(result.index)
            record(result.index, result.result.count, result.result.output)

        for start, count in _ranges(pending, BATCH_CHUNK):
            session.run_batch(start, count, keep)
        pending = [i for i in pending if i not in got]
    if pending:
        raise TinyedgeError(f"{len(pending)} batch results never arrived intact; run again")


def _ranges(indices: list[int], chunk: int) -> Iterator[tuple[int, int]]:
    """Contiguous runs of sorted ``indices``, each at most ``chunk`` long."""
    start = prev = indices[0]
    for i in [*indices[1:], None]:
        if i is not None and i == prev + 1 and i - start < chunk:
            prev = i
            continue
        yield start, prev - start + 1
        if i is not None:
            start = prev = i


def _write_outputs(model_path, target: DeviceTarget, out_dir: Path, labels, results,
                   reports, signature, m: ModelInputs, mode: Mode,
                   measured: EnergyMeasurement | None = None, unmeasured: str = "",
                   partner: FloatModel | None = None, output_kind: OutputKind | None = None,
                   ) -> dict[str, Any]:
    n = len(labels)
    outputs = signature.decode_outputs(b"".join(results[i][1] for i in range(n)), n)
    runtime = device_runtime(target.board.name, target.reach)
    if m.task == "anomaly":
        metrics = write_anomaly_outputs(model_path, m, outputs, signature, out_dir, runtime)
    else:
        record = output_record(labels, outputs, signature, output_kind)
        metrics = write_record(out_dir, record, m.class_names, runtime=runtime,
                               extra=record_extra(model_path, m, record, out_dir,
                                                  partner and partner.sha256))
    device = device_report(target, [results[i][0] for i in range(n)], reports, mode, measured,
                           unmeasured)
    write_json_atomic(out_dir / DEVICE_JSON, device)
    memory_json = target.elf.parent / MEMORY_JSON  # build_firmware writes it beside the ELF
    write_manifest(out_dir, "evaluate",
                   inputs={"model": file_entry(model_path), "firmware": file_entry(target.elf),
                           # the build's sizes, layer table and arena plan (for the report)
                           **({"memory": file_entry(memory_json)} if memory_json.is_file()
                              else {}),
                           "dataset": m.dataset, "images": m.images,
                           **({"data": file_entry(m.data_path)} if m.data_path else {}),
                           **paired_inputs(partner)},
                   parameters={"runtime": runtime, "board": target.board.name,
                               "emulated": target.emulated, "mode": mode, "n": n,
                               "normalization": m.normalization},
                   figures={**headline_figures(metrics),
                            "median_count": device["per_inference"]["median"]})
    return {**metrics, "device": device}


def device_report(target: DeviceTarget, ticks: list[int], reports, mode: Mode,
                  measured: EnergyMeasurement | None = None, unmeasured: str = "") -> dict:
    """``unmeasured``: why a power monitor measured nothing (it was lost before any
    complete window); energy is then the labelled estimate with that note."""
    board = target.board
    emulated = target.emulated
    counts = [ticks_to_count(t, board, emulated) for t in ticks]
    info, profile, (stack_used, stack_reserved) = (reports[0].info, reports[0].profile,
                                                   reports[0].stack)
    unit = "instructions" if info.counter == CounterKind.INSTRUCTIONS else "cycles"
    # A count is an integer: for an even number of runs the lower middle value, never x.5.
    median = int(statistics.median_low(counts))
    # Latency from the clock the firmware reported (tinyedge/device/clock.py); on a QEMU
    # stand-in, instructions at the board's rated clock, one per cycle, labelled so.
    clock = clock_report(board, info, emulated=emulated)
    latency_s = median / clock["hz"]
    memory = target.memory
    static = int(memory["ram"]["static"])
    peak_ram = static + info.arena_bytes + stack_used
    # Measured with a power monitor over the GPIO window, else the labelled estimate.
    energy = measured.to_dict() if measured is not None else estimated_energy(board, latency_s)
    if unmeasured:
        energy = {**(energy or {"method": "none"}), "note": unmeasured}
    return {
        "board": board.name,
        "emulated": emulated or target.simulator is not None,
        "emulator": board.emulator.qemu_machine if emulated else target.simulator,
        "mode": mode,
        "counter": unit,
        "exact": emulated,
        "per_inference": {"min": min(counts), "median": median, "max": max(counts),
                          "n": len(counts)},
        "per_layer": [{"layer": layer, unit: ticks_to_count(t, board, emulated)}
                      for layer, t in profile],
        "latency_s": latency_s,
        "latency_basis": (f"instructions at the {clock['reported_by']}'s clock, 1 instruction "
                          "per cycle" if emulated else "DWT cycles at the firmware-reported clock"
                          f"{' as modelled by ' + target.simulator if target.simulator else ''}"),
        "clock_hz": clock["hz"],
        "clock": clock,
        "ram": {"static_bytes": static, "arena_bytes": info.arena_bytes,
                "stack_used_bytes": stack_used, "stack_reserved_bytes": stack_reserved,
                "peak_bytes": peak_ram},
        "flash": {"code_bytes": memory["flash"]["code"],
                  "weights_bytes": memory["flash"]["weights"],
                  "used_bytes": memory["flash"]["used"], "limit_bytes": memory["flash"]["limit"]},
        "energy": energy,
        "model_sha256": info.model_sha256,
        # How hard the link had to work: retried requests, reconnections, device resets.
        "link": {name: sum(getattr(r.link, name) for r in reports)
                 for name in ("retries", "reconnects", "resets", "stale_frames")},
    }
