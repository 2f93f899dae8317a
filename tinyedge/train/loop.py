"""The training loop: SGD with cosine annealing, on-device augmentation, epoch checkpoints
that make an interrupted run resume exactly where it stopped. Classifiers minimise the
cross-entropy of their logits; a reconstruction model (an autoencoder, the zoo's
``reconstructs``) minimises the mean squared error between its output and its normalised
input, on the normal inputs (label 0) of the training split only."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tinyedge.data import ImageDataset
from tinyedge.errors import TinyedgeError
from tinyedge.fileio import (
    atomic_path,
    check_stage_folder,
    file_entry,
    read_manifest,
    write_manifest,
)
from tinyedge.layout import CHECKPOINT_NAME, MANIFEST_NAME, RUNS_DIR
from tinyedge.layout import TRAIN_STATE_NAME as STATE_NAME
from tinyedge.models import ModelSpec, build_model, count_macs, count_parameters, resolve
from tinyedge.progress import Progress, SilentProgress
from tinyedge.records import image_set
from tinyedge.train.augment import cutout, normalize, random_crop, random_hflip, to_float
from tinyedge.train.checkpoint import save_checkpoint
from tinyedge.train.config import TrainConfig, cosine_lr

EpochHook = Callable[[int, dict[str, float]], None]


@dataclass
class TrainResult:
    run_dir: Path
    checkpoint: Path
    history: list[dict[str, float]]
    resumed_from_epoch: int = 0
    already_complete: bool = False
    figures: dict[str, Any] = field(default_factory=dict)


def run_dir_for(config: TrainConfig, out_root: str | Path) -> Path:
    return Path(out_root) / resolve(config.arch, config.width).run_name(config.seed)


def resolve_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise TinyedgeError(
            "--device cuda was requested but no CUDA GPU is available; use --device cpu"
        )
    if name not in ("cpu", "cuda"):
        raise TinyedgeError(f"unknown device {name!r}; use cpu or cuda")
    return torch.device(name)


class _Rng:
    """The run's random streams: global torch (init, dropout), shuffling and augmentation."""

    def __init__(self, seed: int, device: torch.device) -> None:
        torch.manual_seed(seed)
        self.shuffle = torch.Generator(device=device).manual_seed(seed)
        self.augment = torch.Generator(device=device).manual_seed(seed + 1_000_003)

    def state(self) -> dict[str, torch.Tensor]:
        state = {
            "torch": torch.get_rng_state(),
            "shuffle": self.shuffle.get_state(),
            "augment": self.augment.get_state(),
        }
        if torch.cuda.is_available():
            state["cuda"] = torch.cuda.get_rng_state()
        return state

    def restore(self, state: dict[str, torch.Tensor]) -> None:
        torch.set_rng_state(state["torch"])
        self.shuffle.set_state(state["shuffle"])
        self.augment.set_state(state["augment"])
        if "cuda" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state(state["cuda"])


def _check_existing(run_dir: Path, config: TrainConfig) -> bool:
    """True when ``run_dir`` already holds this exact run, complete; raise if it holds a
    different one."""
    check_stage_folder(run_dir, "train")
    manifest = read_manifest(run_dir)
    if manifest is None:
        return False
    previous = manifest["parameters"].get("config")
    if previous is not None and not isinstance(previous, dict):
        raise TinyedgeError(f"{run_dir}/{MANIFEST_NAME}: field 'parameters.config' must be an "
                            "object; pass --force to retrain")
    if previous is not None and TrainConfig.from_dict(previous) != config:
        raise TinyedgeError(
            f"{run_dir} already holds a run with other settings; pass --force to replace it "
            "or --out to train elsewhere"
        )
    return (run_dir / CHECKPOINT_NAME).is_file()


def train(
    config: TrainConfig,
    dataset: ImageDataset,
    out_root: str | Path = RUNS_DIR,
    *,
    device: str = "cpu",
    force: bool = False,
    progress: Progress | None = None,
    on_epoch_end: EpochHook | None = None,
) -> TrainResult:
    """Train one zoo model by ``config`` on ``dataset`` into ``out_root/<run name>/``.

    Resumes from ``last.pt`` when a previous run of the same config was interrupted.
    """
    progress = progress or SilentProgress()
    spec = resolve(config.arch, config.width)
    if tuple(dataset.train_images.shape[1:]) != spec.sample_shape:
        raise TinyedgeError(
            f"{spec.name} takes {'×'.join(map(str, spec.sample_shape))} inputs but "
            f"{dataset.name} holds {'×'.join(map(str, dataset.train_images.shape[1:]))}; "
            "train it on a dataset of its input shape: --dataset synthetic makes synthetic "
            "inputs of the model's own shape (the other bundled datasets are 32×32×3 images)")
    train_images, train_labels = _training_split(spec, dataset)
    run_dir = run_dir_for(config, out_root)
    state_path = run_dir / STATE_NAME
    if force:
        for name in (STATE_NAME, CHECKPOINT_NAME, MANIFEST_NAME):
            (run_dir / name).unlink(missing_ok=True)
    elif _check_existing(run_dir, config):
        progress.message(f"{run_dir} is already trained ({config.epochs} epochs); nothing to do")
        manifest = read_manifest(run_dir) or {}
        return TrainResult(run_dir, run_dir / CHECKPOINT_NAME,
                           manifest.get("figures", {}).get("history", []), already_complete=True)

    dev = resolve_device(device)
    rng = _Rng(config.seed, dev)
    model = build_model(spec, dataset.num_classes).to(dev)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=config.lr, momentum=config.momentum,
        weight_decay=config.weight_decay,
    )
    history: list[dict[str, float]] = []
    start_epoch = 0
    if state_path.is_file():
        state = _load_state(state_path, dev)
        if TrainConfig.from_dict(state["config"]) != config:
            raise TinyedgeError(
                f"{state_path} belongs to a run with other settings; pass --force to start over"
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        rng.restore({k: v.cpu() for k, v in state["rng"].items()})
        history = list(state["history"])
        start_epoch = int(state["epoch"])
        progress.message(f"resuming {run_dir.name} from epoch {start_epoch}/{config.epochs}")

    mean, std = dataset.normalization()
    mean_t = torch.tensor(mean, device=dev)
    std_t = torch.tensor(std, device=dev)
    images = torch.from_numpy(train_images).to(dev)
    labels = torch.from_numpy(train_labels).to(dev)

    bar = progress.task(config.epochs, f"train {run_dir.name}", unit="epoch")
    bar.advance(start_epoch)
    try:
        for epoch in range(start_epoch, config.epochs):
            stats = _train_epoch(model, optimizer, images, labels, mean_t, std_t, epoch,
                                 config, rng, reconstruct=spec.reconstructs)
            if not math.isfinite(stats["loss"]):
                raise TinyedgeError(
                    f"training {run_dir.name} diverged: the loss is {stats['loss']} at epoch "
                    f"{epoch + 1} (learning rate {stats['lr']:g}); lower --lr and run again "
                    "with --force")
            history.append(stats)
            _save_state(state_path, model, optimizer, rng, history, epoch + 1, config)
            accuracy = {"acc": f"{stats['train_acc']:.3f}"} if "train_acc" in stats else {}
            bar.advance(1, loss=f"{stats['loss']:.3f}", **accuracy, lr=f"{stats['lr']:.4f}")
            if on_epoch_end is not None:
                on_epoch_end(epoch + 1, stats)
    finally:
        bar.close()

    checkpoint = run_dir / CHECKPOINT_NAME
    save_checkpoint(
        checkpoint, spec, model, class_names=dataset.class_names,
        normalization=(mean, std),
        extra={"seed": config.seed, "dataset": dataset.name, "epochs": config.epochs},
    )
    model_cpu = build_model(spec, dataset.num_classes)
    figures = {
        "params": count_parameters(model_cpu),
        "macs": count_macs(model_cpu),
        "final_train_loss": history[-1]["loss"] if history else None,
        "final_train_acc": history[-1].get("train_acc") if history else None,
        "mean_images_per_s": sum(h["images_per_s"] for h in history) / max(1, len(history)),
        "history": history,
    }
    write_manifest(
        run_dir, "train",
        inputs={"dataset": dataset.name, "train_images": len(train_labels),
                "train_split": image_set(dataset.name, "train", dataset.train_images,
                                         dataset.train_labels),
                **_synthetic_identity(dataset.name)},
        parameters={
            "config": config.to_dict(), "device": str(dev), "num_classes": dataset.num_classes
        },
        outputs={"checkpoint": file_entry(checkpoint)},
        figures=figures,
    )
    state_path.unlink(missing_ok=True)
    return TrainResult(run_dir, checkpoint, history, start_epoch, figures=figures)


def _training_split(spec: ModelSpec, dataset: ImageDataset) -> tuple[np.ndarray, np.ndarray]:
    """The training inputs and labels: all of them for a classifier, the normal ones
    (label 0) for a reconstruction model, which learns what normal inputs look like."""
    if not spec.reconstructs:
        return dataset.train_images, dataset.train_labels
    normal = dataset.train_labels == 0
    if normal.sum() < 2:
        raise TinyedgeError(f"{spec.name} learns to reconstruct normal inputs (label 0), but "
                            f"{dataset.name}'s training split holds {int(normal.sum())}; use "
                            "--dataset synthetic (normal and anomalous synthetic inputs)")
    return dataset.train_images[normal], dataset.train_labels[normal]


def _synthetic_identity(name: str) -> dict[str, Any]:
    """``{"synthetic": {...}}`` (every number behind the data) for a named synthetic
    dataset, else nothing."""
    from tinyedge.data.synthetic import SyntheticSpec

    named = SyntheticSpec.parse(name)
    return {"synthetic": named.as_dict()} if named is not None else {}


def _train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    images: torch.Tensor,
    labels: torch.Tensor,
    mean: torch.Tensor,
    std: torch.Tensor,
    epoch: int,
    config: TrainConfig,
    rng: _Rng,
    *,
    reconstruct: bool = False,
) -> dict[str, float]:
    lr = cosine_lr(epoch, config)
    for group in optimizer.param_groups:
        group["lr"] = lr
    model.train()
    order = torch.randperm(len(labels), generator=rng.shuffle, device=images.device)
    total_loss = torch.zeros((), device=images.device)
    total_correct = torch.zeros((), device=images.device, dtype=torch.long)
    seen = 0
    started = time.perf_counter()
    for begin in range(0, len(order), config.batch_size):
        idx = order[begin : begin + config.batch_size]
        if len(idx) < 2:  # BatchNorm cannot train on a single image
            continue
        x = _augment(to_float(images[idx]), mean, std, config, rng)
        y = labels[idx]
        out = model(x)
        loss = F.mse_loss(out, x) if reconstruct else F.cross_entropy(out, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total_loss += loss.detach() * len(idx)
        if not reconstruct:
            total_correct += (out.argmax(1) == y).sum()
        seen += len(idx)
    if images.device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - started
    # A reconstruction model has no classes: its loss is the reconstruction MSE.
    accuracy = {} if reconstruct else {"train_acc": float(total_correct) / max(1, seen)}
    return {
        "epoch": epoch + 1,
        "lr": lr,
        "loss": float(total_loss) / max(1, seen),
        **accuracy,
        "seconds": elapsed,
        "images_per_s": seen / elapsed if elapsed > 0 else 0.0,
    }


def _augment(
    x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, config: TrainConfig, rng: _Rng
) -> torch.Tensor:
    """Crop (black padding) and flip on raw pixels, normalize, then Cutout, whose zeroed
    patch therefore takes the dataset's mean colour as in the original recipe. Feature
    vectors (N×F) have no spatial layout to crop or flip: they are only normalised."""
    if x.dim() != 4:
        return normalize(x, mean, std)
    x = random_crop(x, config.crop_padding, rng.augment)
    if config.hflip:
        x = random_hflip(x, rng.augment)
    return cutout(normalize(x, mean, std), config.cutout, rng.augment)


STATE_KEYS = ("epoch", "config", "model", "optimizer", "rng", "history")


def _load_state(path: Path, dev: torch.device) -> dict[str, Any]:
    """The resumable state ``last.pt``; a corrupt one is refused with the fix."""
    fix = f"delete {path} or pass --force to start over"
    try:
        state = torch.load(path, map_location=dev, weights_only=True)
    except Exception as exc:  # torch raises many types for a corrupt file
        raise TinyedgeError(f"{path} is not a readable training state "
                            f"({type(exc).__name__}); {fix}") from exc
    if not isinstance(state, dict) or any(k not in state for k in STATE_KEYS):
        raise TinyedgeError(f"{path} lacks the fields of a training state; {fix}")
    if (not isinstance(state["config"], dict) or not isinstance(state["epoch"], int)
            or isinstance(state["epoch"], bool) or state["epoch"] < 0
            or not isinstance(state["history"], list) or not isinstance(state["rng"], dict)):
        raise TinyedgeError(f"{path}: field 'config', 'epoch', 'history' or 'rng' has the "
                            f"wrong type; {fix}")
    return state


def _save_state(
    path: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    rng: _Rng,
    history: list[dict[str, float]],
    epoch: int,
    config: TrainConfig,
) -> None:
    state = {
        "epoch": epoch,
        "config": config.to_dict(),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "rng": rng.state(),
        "history": history,
    }
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
