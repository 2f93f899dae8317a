"""`tinyedge train`: one width variant, the paper's protocol, then its float evaluation."""

from __future__ import annotations

import argparse
from pathlib import Path

from tinyedge.cli.common import (
    add_dataset_option,
    add_model_options,
    print_metrics,
    progress_of,
)
from tinyedge.cli_args import (
    finite_float,
    nonnegative_int,
    output_folder,
    positive_int,
)
from tinyedge.layout import (
    FLOAT_RUNTIME,
    RESULTS_DIR,
    RUNS_DIR,
)

_batch_size = positive_int("a batch size ≥ 2 (BatchNorm needs 2 images), e.g. 128", minimum=2)


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
                   progress=progress_of(args))
    print(f"checkpoint: {result.checkpoint}")
    if not args.no_eval:
        out = args.results / result.run_dir.name / FLOAT_RUNTIME
        metrics = evaluate_checkpoint(result.checkpoint, dataset, out, device=args.device,
                                      progress=progress_of(args))
        print_metrics(out, metrics)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """The parsers of `train`."""
    p = sub.add_parser("train", help="train one width variant (the paper's protocol)")
    add_model_options(p)
    add_dataset_option(p, "cifar100")
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
