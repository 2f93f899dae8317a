"""`tinyedge export`: a trained zoo model, or the user's own float model, to int8 TFLite."""

from __future__ import annotations

import argparse
from pathlib import Path

from tinyedge.cli.common import (
    add_dataset_option,
    add_float_model_options,
    add_model_options,
    checkpoint_file,
    data_file,
    model_spec,
    progress_of,
)
from tinyedge.cli_args import (
    normalization,
    output_folder,
    positive_int,
)
from tinyedge.errors import TinyedgeError
from tinyedge.layout import (
    EXPORT_DIR,
    RUNS_DIR,
)


def _export_name(text: str) -> str:
    """An export folder name: letters, digits, ``._-``, not starting with a dot."""
    import re

    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}", text):
        raise argparse.ArgumentTypeError(f"--name {text!r} is not a folder name; use letters, "
                                         "digits, '.', '_' and '-' (no '/', no leading '.')")
    return text


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
                          verify_samples=args.verify_samples, progress=progress_of(args))
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
                               progress=progress_of(args))
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


def register(sub: argparse._SubParsersAction) -> None:
    """The parsers of `export`."""
    p = sub.add_parser("export", help="export a trained zoo model, or your own float model, "
                       "to int8 TFLite")
    add_model_options(p, required=False)
    p.add_argument("--checkpoint", type=checkpoint_file, default=None,
                   help="default: runs/<arch>-w<width>-s<seed>/checkpoint.pt")
    p.add_argument("--calib-samples", type=positive_int("a number of images ≥ 1, e.g. 500"),
                   default=None,
                   help="training images used to calibrate the quantization (default 500)")
    p.add_argument("--verify-samples", type=positive_int("a number of images ≥ 1, e.g. 500"),
                   default=None, help="test images used to verify the int8 model (default 500)")
    p.add_argument("--model", type=model_spec, default=None, metavar="FLOAT_MODEL",
                   help="your own float model instead of a zoo one: .keras/.h5, SavedModel "
                        "folder, .onnx, TorchScript, torch.export .pt2, or module:factory "
                        "with --weights")
    add_float_model_options(p)
    p.add_argument("--calib", type=data_file, default=None, metavar="CALIB.npz",
                   help="calibration rows for --model: images (uint8 N×H×W×C) or float32 "
                        "inputs (labels optional)")
    p.add_argument("--verify", type=data_file, default=None, metavar="DATA.npz",
                   help="labelled data to compare the float and int8 models on (--model)")
    p.add_argument("--normalize", type=normalization, default=None,
                   metavar="MEAN,STD|M1,M2,M3:S1,S2,S3",
                   help="how --model expects images normalised (pixel/255 scale); recorded "
                        "in the export manifest for every later evaluation")
    p.add_argument("--name", default=None, type=_export_name,
                   help="export folder name for --model (default: the model file's stem; "
                        "<module>-<factory> for a PyTorch factory)")
    add_dataset_option(p, None)
    p.add_argument("--runs", type=Path, default=Path(RUNS_DIR), help="runs folder (default runs/)")
    p.add_argument("--out", type=output_folder, default=Path(EXPORT_DIR),
                   help="export folder (default export/)")
    p.set_defaults(func=cmd_export)
