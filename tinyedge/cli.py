"""The ``tinyedge`` command line: parses arguments and calls the library, nothing more.

User errors (:class:`tinyedge.errors.TinyedgeError`) end as one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from tinyedge import __version__
from tinyedge.cli_args import (
    finite_float,
    folder_path,
    https_url,
    input_file,
    nonnegative_int,
    normalization,
    output_file,
    output_folder,
    positive_int,
)
from tinyedge.errors import TinyedgeError
from tinyedge.layout import (
    EXPORT_DIR,
    FLOAT_RUNTIME,
    MEMORY_JSON,
    RESULTS_DIR,
    RUNS_DIR,
    TFLITE_NAME,
)


def _add_model_options(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--arch", required=required,
                        help="scalecnn or mobilenetv2 (the scaling zoo), or an MLPerf Tiny "
                             "model: resnet8, dscnn, mobilenetv1, fcautoencoder")
    parser.add_argument("--width", required=required,
                        help="c for scalecnn (4…64), m for mobilenetv2 (0.10…3.00); the "
                             "MLPerf Tiny models' one width is in `tinyedge models`")
    parser.add_argument("--seed", type=nonnegative_int("a training seed ≥ 0, e.g. 0"), default=0,
                        help="training seed (default 0)")


def _add_float_model_options(parser: argparse.ArgumentParser) -> None:
    """--weights and --outputs: what a user's float model may need (export and evaluate)."""
    parser.add_argument("--weights", type=input_file("weights", "pass the state dict file"),
                        default=None, metavar="STATE_DICT.pt",
                        help="the state dict of a module:factory PyTorch model (loaded with "
                             "weights_only=True)")
    parser.add_argument("--outputs", choices=["logits", "probabilities"], default=None,
                        help="what the model outputs, where its graph does not show it (a "
                             "final SOFTMAX/LOGISTIC, or int8 scale 1/256 zero point -128, "
                             "means probabilities)")


def _add_dataset_option(parser: argparse.ArgumentParser, default: str | None) -> None:
    from tinyedge.data import DATASETS

    parser.add_argument("--dataset", choices=DATASETS, default=default,
                        help=f"dataset (default {default or 'the one the model was trained on'})")
    parser.add_argument("--data-root", type=folder_path, default=None,
                        help="folder holding cifar-100-python/ (default $TINYEDGE_DATA or ./data)")


_batch_size = positive_int("a batch size ≥ 2 (BatchNorm needs 2 images), e.g. 128", minimum=2)
_checkpoint_file = input_file("checkpoint", "train one with `tinyedge train` or pass the "
                              "path of its checkpoint.pt")
_model_file = input_file("model", f"create it with `tinyedge export` and pass its "
                         f"{TFLITE_NAME}")
_data_file = input_file("data file", "pass an .npz file with images (or inputs) and labels")


def _export_name(text: str) -> str:
    """An export folder name: letters, digits, ``._-``, not starting with a dot."""
    import re

    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}", text):
        raise argparse.ArgumentTypeError(f"--name {text!r} is not a folder name; use letters, "
                                         "digits, '.', '_' and '-' (no '/', no leading '.')")
    return text


def _model_spec(text: str) -> Path | str:
    """A model: an existing file or SavedModel folder, or ``module:factory`` (PyTorch)."""
    from tinyedge.floatmodel.formats import FACTORY

    if FACTORY.match(text) and not Path(text).exists():
        return text
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(
            f"model {path} does not exist; pass an int8 .tflite, or your float model (.tflite, "
            ".keras, .h5, SavedModel folder, .onnx, TorchScript, .pt2, or module:factory)")
    if not (path.is_file() or path.is_dir()):
        raise argparse.ArgumentTypeError(f"model {path} is not a regular file; pass a model "
                                         "file or SavedModel folder")
    return path
_scaling_table = input_file("scaling table", "pass --table with a CSV file (columns "
                            "arch,width,params,seed,accuracy or top1), e.g. results/results.csv "
                            "or results/variants.csv")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (the problem and the fix), exit 2."""

    def error(self, message: str):  # type: ignore[override]
        print(f"tinyedge: error: {message}", file=sys.stderr)
        sys.exit(2)


def _progress(args: argparse.Namespace):
    from tinyedge.progress import ConsoleProgress, SilentProgress

    return SilentProgress() if getattr(args, "quiet", False) else ConsoleProgress()


# --- commands ---------------------------------------------------------------------------


def cmd_models(args: argparse.Namespace) -> int:
    from tinyedge.models import all_specs, describe, reference_specs

    rows = [describe(spec) for spec in [*all_specs(), *reference_specs()]]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'arch':<14} {'width':>6} {'input':>9} {'outputs':>7} {'params':>12} {'MACs':>14}"
          "  family")
    for row in rows:
        width = row["name"].split("-w")[1]
        shape = "×".join(map(str, row["input_shape"]))
        print(f"{row['arch']:<14} {width:>6} {shape:>9} {row['outputs']:>7} "
              f"{row['params']:>12,} {row['macs']:>14,}  {row['family']}")
    return 0


def cmd_boards(args: argparse.Namespace) -> int:
    from tinyedge.boards import all_boards

    rows = [board.summary() for board in all_boards()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'board':<14} {'MCU':<17} {'core':<10} {'clock':>8} {'flash':>8} {'RAM':>8}  emulator")
    for r in rows:
        print(f"{r['name']:<14} {r['mcu']:<17} {r['core']:<10} {r['clock_hz'] / 1e6:>4.0f} MHz "
              f"{r['flash_bytes'] // 1024:>5} KB {r['ram_bytes'] // 1024:>5} KB  {r['emulator']}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from tinyedge.firmware.build import build_firmware

    if args.out is not None:
        _check_build_out(args.out)
    result = build_firmware(args.board, args.model, args.out,
                            target="emulator" if args.emulator else "board")
    where = (f"QEMU {result.board.emulator.qemu_machine} stand-in"
             if args.emulator else result.board.mcu)
    print(f"{result.elf}  ({result.model_name} for {result.board.name}, {where})")
    for line in result.memory.lines():
        print(line)
    return 0


def _check_build_out(out: Path) -> None:
    """A build replaces its output folder: refuse one that holds anything but a build."""
    if out.exists() and any(out.iterdir()) and not (out / MEMORY_JSON).is_file():
        raise TinyedgeError(f"--out {out} already holds files that tinyedge build did not "
                            "write; pass a new or empty folder (a build replaces it)")


def cmd_data_fetch(args: argparse.Namespace) -> int:
    from tinyedge.data import default_root
    from tinyedge.data.cifar100 import URL, fetch

    root = args.root or default_root()
    task = None

    def report(done: int, total: int | None) -> None:
        nonlocal task
        if task is None:
            task = _progress(args).task(total, "download cifar-100", unit="B")
        task.advance(done - report.last)  # type: ignore[attr-defined]
        report.last = done  # type: ignore[attr-defined]

    report.last = 0  # type: ignore[attr-defined]
    try:
        folder = fetch(root, url=args.url or URL, progress=report)
    finally:
        if task is not None:
            task.close()
    print(f"CIFAR-100 ready in {folder}")
    return 0


def _train_config(args: argparse.Namespace):
    from tinyedge.data import dataset_for
    from tinyedge.models import resolve
    from tinyedge.train import TrainConfig

    spec = resolve(args.arch, args.width)
    overrides = {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "lr_min",
                                               "momentum", "weight_decay", "crop_padding",
                                               "cutout") if getattr(args, k) is not None}
    if args.no_hflip:
        overrides["hflip"] = False
    return TrainConfig(arch=spec.arch, width=spec.width, seed=args.seed,
                       dataset=dataset_for(args.dataset, spec), **overrides)


def cmd_train(args: argparse.Namespace) -> int:
    from tinyedge.data import load_dataset
    from tinyedge.evaluate import evaluate_checkpoint
    from tinyedge.train import train

    config = _train_config(args)
    dataset = load_dataset(config.dataset, args.data_root)
    result = train(config, dataset, args.out, device=args.device, force=args.force,
                   progress=_progress(args))
    print(f"checkpoint: {result.checkpoint}")
    if not args.no_eval:
        out = args.results / result.run_dir.name / FLOAT_RUNTIME
        metrics = evaluate_checkpoint(result.checkpoint, dataset, out, device=args.device,
                                      progress=_progress(args))
        _print_metrics(out, metrics)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tinyedge.data import dataset_for, load_dataset
    from tinyedge.export import default_checkpoint, export_model
    from tinyedge.models import resolve

    if args.model is not None:
        return _export_user_model(args)
    for name in ("calib", "verify", "normalize", "outputs", "weights", "name"):
        if getattr(args, name) is not None:
            raise TinyedgeError(f"--{name} goes with --model (exporting your own float model); "
                                "a zoo model's export takes --arch/--width")
    if args.arch is None or args.width is None:
        raise TinyedgeError("export needs --arch and --width (a zoo model), or --model "
                            "FLOAT_MODEL --calib CALIB.npz (your own float model)")
    args.calib_samples = args.calib_samples or 500
    args.verify_samples = args.verify_samples or 500
    spec = resolve(args.arch, args.width)
    checkpoint = args.checkpoint or default_checkpoint(spec, args.seed, args.runs)
    dataset = (load_dataset(dataset_for(args.dataset, spec), args.data_root) if args.dataset
               else None)
    result = export_model(spec, checkpoint, args.out, seed=args.seed, dataset=dataset,
                          data_root=args.data_root, calib_samples=args.calib_samples,
                          verify_samples=args.verify_samples, progress=_progress(args))
    f = result.manifest["figures"]
    output_bytes = f["verify_samples"] * f["output_shape"][-1]
    print(f"{result.tflite}  ({f['tflite_bytes']:,} bytes, TFLite Micro arena "
          f"{f['tflm_arena_bytes']:,} bytes)")
    if "float_int8_top1_agreement" in f:
        versus = f"float↔int8 top-1 agreement {f['float_int8_top1_agreement']:.4f}"
    else:  # a reconstruction model: anomaly scores, not classes
        versus = (f"float↔int8 anomaly score differs by "
                  f"{100 * f['float_int8_score_relative_difference']:.1f}% (mean MSE "
                  f"{f['float_mean_score']:.4g} vs {f['int8_mean_score']:.4g})")
    print(f"ONNX vs PyTorch max |logit diff| {f['onnx_max_abs_logit_diff']:.2e}; "
          f"{versus} on {f['verify_samples']} test images; LiteRT-ref ≡ TFLite Micro: "
          f"{'yes' if f['litert_ref_equals_tflm'] else 'no'} "
          f"({f['litert_ref_vs_tflm_differing_bytes']} of {output_bytes} output bytes differ)")
    return 0


def _export_user_model(args: argparse.Namespace) -> int:
    from tinyedge.data.user_data import load_user_data
    from tinyedge.export.user_model import export_user_model
    from tinyedge.floatmodel import load_float_model

    for name in ("arch", "width", "checkpoint", "calib_samples", "verify_samples", "dataset",
                 "data_root"):
        if getattr(args, name) is not None:
            option = "--" + name.replace("_", "-")
            raise TinyedgeError(f"{option} is for zoo models; exporting --model {args.model} "
                                "takes --calib CALIB.npz [--verify DATA.npz] [--normalize …]")
    if args.calib is None:
        raise TinyedgeError(f"exporting {args.model} needs calibration data: --calib FILE.npz "
                            "with images (uint8 N×H×W×C, plus --normalize) or float32 inputs, "
                            "a few hundred typical rows")
    calib = load_user_data(args.calib, labelled=False)
    verify = load_user_data(args.verify) if args.verify is not None else None
    model = load_float_model(args.model, args.weights)
    result = export_user_model(model, calib, args.out, normalize=args.normalize,
                               verify=verify, output_kind=args.outputs, name=args.name,
                               progress=_progress(args))
    f = result.manifest["figures"]
    print(f"{result.tflite}  ({f['tflite_bytes']:,} bytes, TFLite Micro arena "
          f"{f['tflm_arena_bytes']:,} bytes; from {model.format} {model.spec})")
    on = (f"{f['verify_samples']} rows of --verify" if f["verify_data"] == "verify"
          else f"{f['verify_samples']} calibration rows")
    top1 = (f"; top-1 float {f['float_top1']:.4f}, int8 {f['int8_top1']:.4f}"
            if "float_top1" in f else "")
    print(f"float↔int8 top-1 agreement {f['float_int8_top1_agreement']:.4f} on {on}{top1}; "
          f"LiteRT-ref ≡ TFLite Micro: {'yes' if f['litert_ref_equals_tflm'] else 'no'}")
    return 0


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
                                  limit=args.limit, progress=_progress(args))
    _print_metrics(out, metrics)
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
                              limit=args.limit, progress=_progress(args), task=args.task,
                              float_model=_spec_text(args.float_model), weights=args.weights,
                              output_kind=args.outputs)
    _print_metrics(out, metrics)
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
                                   progress=_progress(args))
    _print_metrics(out, metrics)
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
                                 progress=_progress(args), power_monitor=monitor,
                                 task=args.task, float_model=_spec_text(args.float_model),
                                 weights=args.weights, output_kind=args.outputs)
    _print_metrics(out, metrics)
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
            progress=_progress(args), task=args.task, float_model=_spec_text(args.float_model),
            weights=args.weights, output_kind=args.outputs)
    _print_metrics(out, metrics)
    return 0


def cmd_flash(args: argparse.Namespace) -> int:
    from tinyedge.device.flash import flash_firmware
    from tinyedge.device.target import boot_check, build_protocol_firmware

    model = args.model or _only_export()
    if not args.emulate:  # no probe or tool: one line before anything is built
        from tinyedge.boards import load_board
        from tinyedge.device.flash import check_probe

        check_probe(load_board(args.board), probe=args.probe)
    build = build_protocol_firmware(args.board, model, emulated=args.emulate)
    if args.emulate:
        board = boot_check(build)
        print(f"{build.elf} boots in QEMU {build.board.emulator.qemu_machine} and answers "
              f"as {board}")
        return 0
    print(flash_firmware(build.board, build.elf, build.bin, probe=args.probe))
    return 0


def _probe_serial(text: str) -> str:
    """argparse type: a plain probe serial (tinyedge.tool_args), refused at parse time."""
    from tinyedge.tool_args import UnsafeArgumentError, probe_serial

    try:
        return probe_serial(text)
    except UnsafeArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _only_export() -> Path:
    models = sorted(p for p in Path(EXPORT_DIR).glob(f"*/{TFLITE_NAME}")
                    if not p.parent.name.startswith("."))  # not an unfinished export
    if len(models) != 1:
        raise TinyedgeError("pass --model PATH.tflite (export/ holds "
                            f"{len(models)} exported models)")
    return models[0]


def cmd_analyze_scaling(args: argparse.Namespace) -> int:
    from tinyedge.analysis import analyze_table, format_scaling_report

    report = analyze_table(args.table, args.runtime)
    print(json.dumps(report, indent=2) if args.json else format_scaling_report(report))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from tinyedge.report import build_report

    result = build_report(args.results_dir, args.out)
    print(result.html)
    print(f"{result.contents}, {result.n_runs} records, {result.n_figures} figures")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from tinyedge.sweep import load_board_map, load_grid, run_sweep, summary_lines

    grid = load_grid(args.grid)
    if args.epochs is not None:
        grid = replace(grid, train={**grid.train, "epochs": args.epochs})
    result = run_sweep(grid, args.root, backend=args.backend, jobs=args.jobs,
                       links=load_board_map(args.boards), address=args.address,
                       progress=_progress(args))
    for line in summary_lines(result):
        print(line)
    return 1 if result.failed else 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The whole pipeline on embedded defaults: train three small widths on the digits
    set, export them, evaluate them on host runtimes and on an emulated nucleo-f746, and
    write the HTML report."""
    from tinyedge.sweep import load_grid, run_sweep, summary_lines

    grid = load_grid("demo")
    if args.epochs is not None:
        grid = replace(grid, train={**grid.train, "epochs": args.epochs})
    result = run_sweep(grid, args.root, jobs=args.jobs, progress=_progress(args))
    for line in summary_lines(result):
        print(line)
    return 1 if result.failed else 0


def _print_metrics(out: Path, metrics: dict) -> None:
    if metrics.get("task") == "anomaly":
        auc = "n/a (needs normal and anomalous labels)" if metrics["auc"] is None else \
            f"{metrics['auc']:.4f}"
        print(f"{metrics['runtime']}: reconstruction MSE mean {metrics['mean_score']:.6g}  "
              f"median {metrics['median_score']:.6g}  ROC AUC {auc}  on {metrics['n']} "
              f"inputs ({metrics['n_anomalous']} anomalous) → {out}")
        return
    print(f"{metrics['runtime']}: top-1 {metrics['top1']:.4f}  top-5 {metrics['top5']:.4f}  "
          f"ECE {metrics['ece']:.4f}  on {metrics['n']} test images → {out}")


# --- parser -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tinyedge", description="Train, deploy and evaluate tiny int8 image classifiers.")
    parser.add_argument("--version", action="version", version=f"tinyedge {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("models", help="list the model zoo with parameters and MACs")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("boards", help="list the supported boards")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_boards)

    p = sub.add_parser("data", help="dataset management")
    data_sub = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    f = data_sub.add_parser("fetch", help="download and verify a dataset")
    f.add_argument("name", choices=["cifar100"], help="the dataset to fetch")
    f.add_argument("--root", type=output_folder, default=None,
                   help="destination folder (default $TINYEDGE_DATA or ./data)")
    f.add_argument("--url", type=https_url, default=None,
                   help="https:// mirror URL of cifar-100-python.tar.gz (its MD5 is checked)")
    f.set_defaults(func=cmd_data_fetch)

    p = sub.add_parser("train", help="train one width variant (the paper's protocol)")
    _add_model_options(p)
    _add_dataset_option(p, "cifar100")
    p.add_argument("--epochs", type=positive_int("the number of epochs, e.g. 200"),
                   default=None, help="default 200")
    p.add_argument("--batch-size", type=_batch_size, default=None, help="default 128")
    p.add_argument("--lr", type=finite_float("a learning rate > 0, e.g. 0.1"), default=None,
                   help="initial learning rate, default 0.1")
    p.add_argument("--lr-min", type=finite_float("a final learning rate ≥ 0, e.g. 1e-5",
                                                 strict=False),
                   default=None, help="final learning rate, default 1e-5 (≤ --lr)")
    p.add_argument("--momentum", type=finite_float("a momentum in [0, 1), e.g. 0.9",
                                                   strict=False, below=1.0),
                   default=None, help="default 0.9")
    p.add_argument("--weight-decay", type=finite_float("a weight decay ≥ 0, e.g. 5e-4",
                                                       strict=False),
                   default=None, help="default 5e-4")
    p.add_argument("--crop-padding", type=nonnegative_int("padding 0…32, e.g. 4", 32),
                   default=None, help="default 4 (0 = no crop)")
    p.add_argument("--cutout", type=nonnegative_int("a patch size 0…32, e.g. 8", 32),
                   default=None, help="patch size, default 8 (0 = off)")
    p.add_argument("--no-hflip", action="store_true", help="disable horizontal flips")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                   help="where to train (default cpu)")
    p.add_argument("--out", type=output_folder, default=Path(RUNS_DIR),
                   help="runs folder (default runs/)")
    p.add_argument("--results", type=output_folder, default=Path(RESULTS_DIR),
                   help="where the float evaluation goes (default results/)")
    p.add_argument("--no-eval", action="store_true", help="skip the float evaluation")
    p.add_argument("--force", action="store_true", help="discard an existing run and retrain")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("export", help="export a trained zoo model, or your own float model, "
                       "to int8 TFLite")
    _add_model_options(p, required=False)
    p.add_argument("--checkpoint", type=_checkpoint_file, default=None,
                   help="default: runs/<arch>-w<width>-s<seed>/checkpoint.pt")
    p.add_argument("--calib-samples", type=positive_int("a number of images ≥ 1, e.g. 500"),
                   default=None,
                   help="training images used to calibrate the quantization (default 500)")
    p.add_argument("--verify-samples", type=positive_int("a number of images ≥ 1, e.g. 500"),
                   default=None, help="test images used to verify the int8 model (default 500)")
    p.add_argument("--model", type=_model_spec, default=None, metavar="FLOAT_MODEL",
                   help="your own float model instead of a zoo one: .keras/.h5, SavedModel "
                        "folder, .onnx, TorchScript, torch.export .pt2, or module:factory "
                        "with --weights")
    _add_float_model_options(p)
    p.add_argument("--calib", type=_data_file, default=None, metavar="CALIB.npz",
                   help="calibration rows for --model: images (uint8 N×H×W×C) or float32 "
                        "inputs (labels optional)")
    p.add_argument("--verify", type=_data_file, default=None, metavar="DATA.npz",
                   help="labelled data to compare the float and int8 models on (--model)")
    p.add_argument("--normalize", type=normalization, default=None,
                   metavar="MEAN,STD|M1,M2,M3:S1,S2,S3",
                   help="how --model expects images normalised (pixel/255 scale); recorded "
                        "in the export manifest for every later evaluation")
    p.add_argument("--name", default=None, type=_export_name,
                   help="export folder name for --model (default: the model file's stem)")
    _add_dataset_option(p, None)
    p.add_argument("--runs", type=Path, default=Path(RUNS_DIR), help="runs folder (default runs/)")
    p.add_argument("--out", type=output_folder, default=Path(EXPORT_DIR),
                   help="export folder (default export/)")
    p.set_defaults(func=cmd_export)

    from tinyedge.int8 import RUNTIMES

    p = sub.add_parser("evaluate", help="evaluate a model on the test split")
    p.add_argument("--checkpoint", type=_checkpoint_file, default=None,
                   help="float PyTorch checkpoint")
    p.add_argument("--model", type=_model_spec, default=None,
                   help="int8 .tflite from tinyedge export, or any int8 .tflite with --data; "
                        "or your own float model (float .tflite, .keras/.h5, SavedModel, .onnx, "
                        "TorchScript, .pt2, module:factory) evaluated on --data")
    p.add_argument("--float-model", type=_model_spec, default=None, metavar="FLOAT_MODEL",
                   help="the float model an int8 --model was made from: evaluated on the same "
                        "rows into results/<model>/float/, and compared with (float_similarity "
                        "and the report's float-vs-deployed sections)")
    _add_float_model_options(p)
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
    _add_dataset_option(p, None)
    p.add_argument("--data", type=_data_file, default=None,
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

    p = sub.add_parser("analyze", help="analyses of evaluated models")
    analyze_sub = p.add_subparsers(dest="analyze_command", required=True, metavar="ANALYSIS")
    a = analyze_sub.add_parser(
        "scaling", help="fit error vs parameters per architecture: power law, local "
        "exponents, broken power law",
        description="Fit log(error) against log(parameters) per architecture. An "
        "architecture with one size is skipped with a note; with 2 sizes only α is given "
        "(R² and the verdict need ≥ 3 widths).")
    a.add_argument("--table", type=_scaling_table, required=True,
                   help="CSV, one row per trained model, with the columns arch, width, "
                   "params, seed and the top-1 accuracy as a fraction in accuracy or top1 "
                   "(other columns are ignored): tinyedge sweep's results.csv / "
                   "results_<runtime>.csv, or tinyedge report's variants.csv")
    a.add_argument("--runtime", default=None, metavar="NAME",
                   help="for a table with a runtime column (variants.csv): the runtime "
                   "whose rows to fit, e.g. tflm or device-nucleo-f746-qemu (default float)")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    a.set_defaults(func=cmd_analyze_scaling)

    p = sub.add_parser("report", help="one HTML page comparing float, int8 and device runs")
    p.add_argument("results_dir", type=Path, metavar="RESULTS_DIR",
                   help="the results folder (results/<variant>/<runtime>/)")
    p.add_argument("--out", type=output_file, default=None,
                   help="HTML file (default RESULTS_DIR/report.html); summary.json and CSV "
                        "tables go next to it")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("build", help="cross-compile an int8 model into firmware for a board")
    p.add_argument("--board", required=True, help="a board from `tinyedge boards`")
    p.add_argument("--model", type=_model_file, required=True,
                   help="int8 .tflite from tinyedge export")
    p.add_argument("--out", type=output_folder, default=None,
                   help="output folder (default build/<board>/<model>/); an existing one must "
                        "be empty or an earlier build")
    p.add_argument("--emulator", action="store_true",
                   help="build for the board's QEMU stand-in, with the board's memory limits")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("flash", help="build the firmware and put it on a board")
    p.add_argument("--board", required=True, help="a board from `tinyedge boards`")
    p.add_argument("--model", type=_model_file, default=None, help="int8 .tflite (default: the "
                   "only model under export/)")
    p.add_argument("--probe", default=None, type=_probe_serial,
                   help="debug probe serial number (default: the only probe attached)")
    p.add_argument("--emulate", action="store_true",
                   help="boot the image in the emulator and check that it answers")
    p.set_defaults(func=cmd_flash)

    p = sub.add_parser("sweep", help="run a grid of widths × seeds through the pipeline")
    p.add_argument("--grid", default="paper",
                   help="paper (SPEC's 18 sizes × 5 seeds), demo, or a grid TOML file "
                        "(default paper)")
    p.add_argument("--backend", choices=["local", "ray"], default="local",
                   help="run cells in local processes or on a Ray cluster (default local)")
    p.add_argument("--jobs", type=positive_int("a number of parallel cells ≥ 1, e.g. 2"),
                   default=None, help="parallel cells (default: cores ÷ CPUs per cell)")
    p.add_argument("--boards", type=input_file("board map", "pass --boards with a TOML file"),
                   default=None,
                   help="TOML map of attached boards: [nucleo-f746] port = ..., probe = ...")
    p.add_argument("--address", default=None, help="Ray cluster address to join")
    p.add_argument("--epochs", type=positive_int("the number of epochs, e.g. 15"),
                   default=None, help="override the grid's epochs")
    p.add_argument("--root", type=output_folder, default=Path("."),
                   help="folder holding runs/, export/, results/, build/ (default .)")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("demo", help="the whole pipeline on embedded defaults (digits)")
    p.add_argument("--epochs", type=positive_int("the number of epochs, e.g. 15"),
                   default=None, help="default 15")
    p.add_argument("--jobs", type=positive_int("a number of parallel cells ≥ 1, e.g. 2"),
                   default=None, help="parallel cells (default: cores)")
    p.add_argument("--root", type=output_folder, default=Path("."),
                   help="folder holding runs/, export/, results/, build/ (default .)")
    p.set_defaults(func=cmd_demo)
    for command in sub.choices.values():  # `tinyedge models -q` as well as `tinyedge -q models`
        command.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                             help="no progress bars")
    return parser


def _resumable(args: argparse.Namespace | None, argv: Sequence[str]) -> bool:
    """Training, sweeps and device evaluation keep finished work and continue from it when
    run again; an interrupted export, build or host evaluation keeps nothing (an export
    removes its unfinished folder), so it says nothing about resuming. Interrupted before
    the arguments were parsed, the command word of ``argv`` decides."""
    if args is None:
        words = [w for w in argv if not w.startswith("-")]
        command = words[0] if words else ""
        board = any(w == "--board" or w.startswith("--board=") for w in argv)
    else:
        command, board = args.command, getattr(args, "board", None) is not None
    return command in ("train", "sweep") or (command == "evaluate" and board)


def main(argv: Sequence[str] | None = None) -> int:
    args = None
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # --help, --version, or a one-line argument error
            return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except TinyedgeError as exc:
        print(f"tinyedge: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        resumable = _resumable(args, sys.argv[1:] if argv is None else argv)
        hint = "; run the same command again to resume" if resumable else ""
        print(f"tinyedge: interrupted{hint}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`tinyedge models | head -1`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # the file system refused: disk full, permissions, read-only
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"tinyedge: error: {exc.strerror or exc}{where}; check the path, its "
              "permissions and the free space", file=sys.stderr)
        return 2


def _one_line(text: str) -> str:
    """The error message as one line (a message may quote a multi-line tool output)."""
    return " ".join(text.split("\n")).strip()


if __name__ == "__main__":
    sys.exit(main())
