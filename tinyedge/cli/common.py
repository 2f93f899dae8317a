"""What every command shares: the one-line parser, progress, the metrics line, shared
option groups and argument types. Defaults are defined once, here or in the library."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tinyedge.cli_args import (
    folder_path,
    input_file,
    nonnegative_int,
)
from tinyedge.layout import (
    TFLITE_NAME,
)


def add_model_options(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--arch", required=required,
                        help="scalecnn or mobilenetv2 (the scaling zoo), or an MLPerf Tiny "
                             "model: resnet8, dscnn, mobilenetv1, fcautoencoder")
    parser.add_argument("--width", required=required,
                        help="c for scalecnn (4…64), m for mobilenetv2 (0.10…3.00); the "
                             "MLPerf Tiny models' one width is in `tinyedge models`")
    parser.add_argument("--seed", type=nonnegative_int("a training seed ≥ 0, e.g. 0"), default=0,
                        help="training seed (default 0)")


def add_float_model_options(parser: argparse.ArgumentParser) -> None:
    """--weights and --outputs: what a user's float model may need (export and evaluate)."""
    parser.add_argument("--weights", type=input_file("weights", "pass the state dict file"),
                        default=None, metavar="STATE_DICT.pt",
                        help="the state dict of a module:factory PyTorch model (loaded with "
                             "weights_only=True)")
    parser.add_argument("--outputs", choices=["logits", "probabilities"], default=None,
                        help="what the model outputs, where its graph does not show it (a "
                             "final SOFTMAX/LOGISTIC, or int8 scale 1/256 zero point -128, "
                             "means probabilities)")


def add_dataset_option(parser: argparse.ArgumentParser, default: str | None) -> None:
    from tinyedge.data import DATASETS

    parser.add_argument("--dataset", choices=DATASETS, default=default,
                        help=f"dataset (default {default or 'the one the model was trained on'})")
    parser.add_argument("--data-root", type=folder_path, default=None,
                        help="folder holding cifar-100-python/ (default $TINYEDGE_DATA or ./data)")


checkpoint_file = input_file("checkpoint", "train one with `tinyedge train` or pass the "
                              "path of its checkpoint.pt")


model_file = input_file("model", f"create it with `tinyedge export` and pass its "
                         f"{TFLITE_NAME}")


data_file = input_file("data file", "pass an .npz file with images (or inputs) and labels")


def model_spec(text: str) -> Path | str:
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


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (the problem and the fix), exit 2."""

    def error(self, message: str):  # type: ignore[override]
        print(f"tinyedge: error: {message}", file=sys.stderr)
        sys.exit(2)


def progress_of(args: argparse.Namespace):
    from tinyedge.progress import ConsoleProgress, SilentProgress

    return SilentProgress() if getattr(args, "quiet", False) else ConsoleProgress()


def print_metrics(out: Path, metrics: dict) -> None:
    if metrics.get("task") == "anomaly":
        auc = "n/a (needs normal and anomalous labels)" if metrics["auc"] is None else \
            f"{metrics['auc']:.4f}"
        print(f"{metrics['runtime']}: reconstruction MSE mean {metrics['mean_score']:.6g}  "
              f"median {metrics['median_score']:.6g}  ROC AUC {auc}  on {metrics['n']} "
              f"inputs ({metrics['n_anomalous']} anomalous) → {out}")
        return
    print(f"{metrics['runtime']}: top-1 {metrics['top1']:.4f}  top-5 {metrics['top5']:.4f}  "
          f"ECE {metrics['ece']:.4f}  on {metrics['n']} test images → {out}")
