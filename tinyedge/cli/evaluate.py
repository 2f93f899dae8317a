"""`tinyedge evaluate`: float, host int8, the user's float model, or a device — one mode
per call, chosen by one option each (:data:`EVALUATE_MODES`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tinyedge.cli.common import (
    add_dataset_option,
    add_float_model_options,
    checkpoint_file,
    data_file,
    model_spec,
    print_metrics,
    progress_of,
)
from tinyedge.cli_args import (
    normalization,
    output_folder,
    positive_int,
)
from tinyedge.errors import TinyedgeError
from tinyedge.layout import (
    FLOAT_RUNTIME,
    RESULTS_DIR,
    TFLITE_NAME,
)

# `evaluate` has four modes, chosen by one option each; every other option belongs to
# the modes listed here and is refused elsewhere instead of being silently ignored.
_PAIRING = {"float_model", "weights", "outputs"}


EVALUATE_MODES = {
    "device": ("--board", {"board", "model", "port", "power_monitor", "emulate", "mode", "jobs",
                           "limit", "data_root", "data", "normalize", "task", "out",
                           *_PAIRING}),
    "host int8": ("--model with --runtime", {"model", "runtime", "dataset", "data_root",
                                             "data", "normalize", "task", "limit", "out",
                                             *_PAIRING}),
    "float model": ("--model with a float model", {"model", "weights", "data", "normalize",
                                                   "outputs", "limit", "out"}),
    "float": ("--checkpoint", {"checkpoint", "dataset", "data_root", "device", "limit",
                               "out"}),
}


_EVALUATE_OPTIONS = ("checkpoint", "model", "board", "port", "power_monitor", "emulate", "mode",
                     "jobs", "runtime", "dataset", "data_root", "data", "normalize", "task",
                     "device", "limit", "out", "float_model", "weights", "outputs")


def evaluate_mode(args: argparse.Namespace) -> str:
    """The evaluation mode the options ask for; contradictory options are one clear line."""
    if args.board is not None:
        mode = "device"
    elif args.model is not None:
        mode = ("float model" if args.runtime is None and _float_model(args.model)
                else "host int8")
    elif args.checkpoint is not None:
        mode = "float"
    else:
        raise TinyedgeError("nothing to evaluate: pass --checkpoint PATH (a trained model), "
                            "--model PATH.tflite --runtime RUNTIME, or --board B --model PATH")
    chosen_by, allowed = EVALUATE_MODES[mode]
    for name in _EVALUATE_OPTIONS:
        if getattr(args, name) is not None and name not in allowed:
            option = "--" + name.replace("_", "-")
            takers = [by for m, (by, names) in EVALUATE_MODES.items() if name in names]
            raise TinyedgeError(f"{option} does not apply to {mode} evaluation ({chosen_by}); "
                                f"it belongs with {' or '.join(takers)}")
    return mode


def cmd_evaluate(args: argparse.Namespace) -> int:
    mode = evaluate_mode(args)
    if mode == "device":
        return _evaluate_device(args)
    if mode == "host int8":
        return _evaluate_int8(args)
    if mode == "float model":
        return _evaluate_float_model(args)
    from tinyedge.data import dataset_for, load_dataset
    from tinyedge.evaluate import evaluate_checkpoint
    from tinyedge.models import resolve
    from tinyedge.train import read_checkpoint

    payload = read_checkpoint(args.checkpoint)
    spec = resolve(payload["arch"], payload["width"])
    name = dataset_for(args.dataset, spec) if args.dataset else payload.get("dataset", "cifar100")
    dataset = load_dataset(name, args.data_root)
    run_name = spec.run_name(int(payload.get("seed", 0)))
    out = args.out or args.results / run_name / FLOAT_RUNTIME
    metrics = evaluate_checkpoint(args.checkpoint, dataset, out, device=args.device or "cpu",
                                  limit=args.limit, progress=progress_of(args))
    print_metrics(out, metrics)
    return 0


def _evaluate_int8(args: argparse.Namespace) -> int:
    from tinyedge.data import load_dataset
    from tinyedge.evaluate import evaluate_tflite

    if args.runtime is None:
        raise TinyedgeError("--model needs --runtime tflm, litert, litert-ref or native")
    _require_int8(args.model, "--runtime")
    data = _user_data(args)
    dataset = (load_dataset(_dataset_for_model(args.dataset, args.model), args.data_root)
               if args.dataset else None)
    out = args.out or _results_folder(args, args.runtime)
    metrics = evaluate_tflite(args.model, args.runtime, out, dataset=dataset, data=data,
                              normalize=args.normalize, data_root=args.data_root,
                              limit=args.limit, progress=progress_of(args), task=args.task,
                              float_model=_spec_text(args.float_model), weights=args.weights,
                              output_kind=args.outputs)
    print_metrics(out, metrics)
    return 0


def _float_model(spec: Path | str) -> bool:
    """Whether ``spec`` is a float model (any format but an int8 .tflite)."""
    from tinyedge.firmware.tflite_reader import read_model
    from tinyedge.floatmodel import detect_format, is_float_graph

    fmt = detect_format(spec)
    return fmt != "tflite" or is_float_graph(read_model(spec))


def _require_int8(spec: Path | str, option: str) -> None:
    """Refuse a float model where an int8 .tflite is needed, with both ways forward (a
    file of no known format is left to the int8 reader, which says what is wrong)."""
    from tinyedge.floatmodel import detect_format

    try:
        fmt = detect_format(spec)
    except TinyedgeError:
        if isinstance(spec, Path) and spec.is_file():
            return
        raise
    if fmt == "tflite" and not _float_model(spec):
        return
    raise TinyedgeError(
        f"{spec} is a float model, and {option} runs int8 models: evaluate it without "
        f"{option} (its float reference), or quantize it first with `tinyedge export --model "
        f"{spec} --calib CALIB.npz` and evaluate export/<name>/{TFLITE_NAME}")


def _spec_text(spec: Path | str | None) -> str | None:
    return None if spec is None else str(spec)


def _results_folder(args: argparse.Namespace, runtime: str) -> Path:
    """``--results``/<the model's results name>/<runtime> (:func:`results_name`)."""
    from tinyedge.fileio import sha256_file
    from tinyedge.layout import results_name

    return args.results / results_name(args.model, sha256_file(args.model)) / runtime


def _evaluate_float_model(args: argparse.Namespace) -> int:
    from tinyedge.evaluate.user_float import evaluate_float_model
    from tinyedge.floatmodel import load_float_model

    if args.data is None:
        raise TinyedgeError(f"{args.model} is a float model: evaluate it on your data with "
                            "--data FILE.npz (images and labels)")
    data = _user_data(args)
    model = load_float_model(args.model, args.weights)
    out = args.out or args.results / f"{model.name}-{model.sha256[:8]}" / FLOAT_RUNTIME
    metrics = evaluate_float_model(model, data, out, normalize=args.normalize,
                                   limit=args.limit, output_kind=args.outputs,
                                   progress=progress_of(args))
    print_metrics(out, metrics)
    return 0


def _dataset_for_model(name: str, model: Path) -> str:
    """What --dataset NAME means for an exported zoo model (``synthetic`` is data of an
    MLPerf Tiny model's own shape); a model without an export manifest takes NAME as is."""
    from tinyedge.data import dataset_for
    from tinyedge.int8.inputs import find_export_info
    from tinyedge.models import resolve

    manifest = find_export_info(model)
    if manifest is None:
        return name
    params = manifest["parameters"]
    return dataset_for(name, resolve(params.get("arch"), params.get("width")))


def _user_data(args: argparse.Namespace):
    """The --data file, read and checked before any build or evaluation (None without)."""
    if args.data is None:
        if args.normalize is not None:
            raise TinyedgeError("--normalize says how to normalise --data images; pass "
                                "--data FILE.npz too, or drop --normalize")
        return None
    if getattr(args, "dataset", None) is not None:
        raise TinyedgeError("pass either --data FILE.npz or --dataset, not both")
    from tinyedge.data.user_data import load_user_data

    return load_user_data(args.data)


def _power_monitor(text: str):
    """--power-monitor syntax, checked at parse time (tinyedge/device/power.py)."""
    from tinyedge.device.power import MonitorError, parse_monitor

    try:
        return parse_monitor(text)
    except MonitorError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _evaluate_device(args: argparse.Namespace) -> int:
    from tinyedge.device.evaluate import evaluate_on_device
    from tinyedge.device.target import device_target
    from tinyedge.layout import device_runtime

    if args.model is None:
        raise TinyedgeError("--board needs --model PATH.tflite (from `tinyedge export`)")
    if args.port is not None and args.emulate is not None:
        raise TinyedgeError("pass either --port (a real board) or --emulate, not both")
    if args.power_monitor is not None and args.port is None:
        raise TinyedgeError("--power-monitor measures a real board: pass its --port too")
    if args.emulate == "renode":
        return _evaluate_renode(args)
    if args.port is not None:  # a missing or busy port: one line before any build
        from tinyedge.device.transport import check_port

        check_port(args.port)
    monitor = None
    if args.power_monitor is not None:  # unreachable: one line, exit 2, before any build
        from tinyedge.boards import load_board
        from tinyedge.device.power import open_monitor

        power = load_board(args.board).power
        monitor = open_monitor(args.power_monitor, power.supply_v if power else 3.3)
    _require_int8(args.model, "--board")
    data = _user_data(args)  # a bad --data file: one line before the firmware is built
    target = device_target(args.board, args.model, port=args.port)
    where = device_runtime(target.board.name, target.reach)
    out = args.out or _results_folder(args, where)
    metrics = evaluate_on_device(args.model, target, out, mode=args.mode or "stream",
                                 limit=args.limit, jobs=args.jobs or 1, data_root=args.data_root,
                                 data=data, normalize=args.normalize,
                                 progress=progress_of(args), power_monitor=monitor,
                                 task=args.task, float_model=_spec_text(args.float_model),
                                 weights=args.weights, output_kind=args.outputs)
    print_metrics(out, metrics)
    d = metrics["device"]
    print(f"{d['counter']} per inference: median {d['per_inference']['median']:,.0f} "
          f"(min {d['per_inference']['min']:,}, max {d['per_inference']['max']:,}); "
          f"peak RAM {d['ram']['peak_bytes']:,} bytes")
    if d["energy"] and d["energy"]["method"] == "measured":
        print(_measured_energy_line(d["energy"]))
    elif d["energy"] and "note" in d["energy"]:  # the monitor was lost: say so even with -q
        print(f"energy per inference not measured: {d['energy']['note']}")
    return 0


def _measured_energy_line(energy: dict) -> str:
    """The measured energy, and what a monitor that disconnected left (shown even with -q)."""
    line = (f"energy per inference: {energy['joules_per_inference'] * 1e3:.4f} mJ "
            f"(idle {energy['idle_current_a'] * 1e3:.2f} mA subtracted; "
            f"{energy['gross_joules_per_inference'] * 1e3:.4f} mJ as measured) over "
            f"{energy['windows']} windows, {energy['monitor']}")
    return line if energy["complete"] else f"{line}; incomplete: {energy['note']}"


def _evaluate_renode(args: argparse.Namespace) -> int:
    """Renode simulates the board's real SoC, so it runs the board firmware (not the QEMU
    stand-in) and is reached over its UART socket like a board on a serial port."""
    from dataclasses import replace as with_fields

    from tinyedge.device.evaluate import evaluate_on_device
    from tinyedge.device.renode import renode_uart, run_robot_test, write_renode_files
    from tinyedge.device.target import device_target
    from tinyedge.layout import device_runtime

    data = _user_data(args)
    target = device_target(args.board, args.model, simulator="renode")
    script, robot = write_renode_files(target.board, target.elf, target.elf.parent)
    print(f"Renode files: {script}, {robot}")
    run_robot_test(robot)
    out = args.out or _results_folder(args, device_runtime(target.board.name, "renode"))
    with renode_uart(target.board, target.elf, target.elf.parent) as url:
        metrics = evaluate_on_device(
            args.model, with_fields(target, port=url), out,
            limit=args.limit, data_root=args.data_root, data=data, normalize=args.normalize,
            progress=progress_of(args), task=args.task, float_model=_spec_text(args.float_model),
            weights=args.weights, output_kind=args.outputs)
    print_metrics(out, metrics)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """The parsers of `evaluate`."""
    from tinyedge.int8 import RUNTIMES

    p = sub.add_parser("evaluate", help="evaluate a model on the test split")
    p.add_argument("--checkpoint", type=checkpoint_file, default=None,
                   help="float PyTorch checkpoint")
    p.add_argument("--model", type=model_spec, default=None,
                   help="int8 .tflite from tinyedge export, or any int8 .tflite with --data; "
                        "or your own float model (float .tflite, .keras/.h5, SavedModel, .onnx, "
                        "TorchScript, .pt2, module:factory) evaluated on --data")
    p.add_argument("--float-model", type=model_spec, default=None, metavar="FLOAT_MODEL",
                   help="the float model an int8 --model was made from: evaluated on the same "
                        "rows into results/<model>/float/, and compared with (float_similarity "
                        "and the report's float-vs-deployed sections)")
    add_float_model_options(p)
    p.add_argument("--board", default=None,
                   help="evaluate on this board (emulated unless --port is given)")
    p.add_argument("--port", default=None, help="serial port of a real board, e.g. /dev/ttyACM0")
    p.add_argument("--power-monitor", type=_power_monitor, default=None,
                   metavar="ppk2:DEV|joulescope[:SERIAL]",
                   help="measure energy with a power monitor over the board's 'inference "
                        "active' pin (needs --port; pip install 'tinyedge[power]')")
    p.add_argument("--emulate", choices=["qemu", "renode"], default=None,
                   help="emulator to use when no --port is given (default qemu)")
    p.add_argument("--mode", choices=["stream", "batch"], default=None,
                   help="stream inputs over serial, or preload them into emulator memory "
                        "(default stream; device evaluation only)")
    p.add_argument("--jobs", type=positive_int("a number of emulators ≥ 1, e.g. 2"),
                   default=None, help="parallel emulators (default 1; device evaluation only)")
    p.add_argument("--runtime", choices=RUNTIMES, default=None,
                   help="host int8 runtime: tflm (TFLite Micro, the reference), litert "
                        "(optimized kernels), litert-ref (reference kernels), native "
                        "(tinyedge's C runtime built for the host)")
    add_dataset_option(p, None)
    p.add_argument("--data", type=data_file, default=None,
                   metavar="FILE.npz",
                   help="evaluate on your own data instead of the test split: an .npz with "
                        "images (uint8 N×H×W×C) or inputs (int8 already quantised, or float32 "
                        "features), labels (N class ids) and optionally class_names")
    p.add_argument("--normalize", type=normalization, default=None,
                   metavar="MEAN,STD|M1,M2,M3:S1,S2,S3",
                   help="normalisation of --data images on the pixel/255 scale, for a float "
                        "model or an int8 model without an export manifest (default: the "
                        "manifest's)")
    p.add_argument("--task", choices=["classify", "anomaly"], default=None,
                   help="what a model without an export manifest does: classify (default) "
                        "or anomaly (an autoencoder: scored by reconstruction error, labels "
                        "0 normal / 1 anomalous); an exported model's follows from its arch")
    p.add_argument("--device", default=None, choices=["cpu", "cuda"],
                   help="where the float model runs (default cpu; float evaluation only)")
    p.add_argument("--limit", type=positive_int("a number of images ≥ 1, e.g. 100"),
                   default=None, help="evaluate only the first N images")
    p.add_argument("--out", type=output_folder, default=None,
                   help="output folder (default results/<model>/<runtime>/)")
    p.add_argument("--results", type=output_folder, default=Path(RESULTS_DIR),
                   help="results folder used when --out is not given (default results/)")
    p.set_defaults(func=cmd_evaluate)
