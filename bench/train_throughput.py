"""Training throughput (images/s per epoch) of ScaleCNN c=8 and MobileNetV2 m=0.35.

Runs the real training loop (augmentation, SGD, epoch checkpoints) on CIFAR-shaped
synthetic data with 100 classes, and writes the figures to bench/results/.

    .venv/bin/python bench/train_throughput.py [--device cpu|cuda] [--images 2560]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
from pathlib import Path

import torch

from tinyedge.data.synthetic import make_synthetic_dataset
from tinyedge.fileio import software_versions, write_json_atomic
from tinyedge.train import TrainConfig, train

MODELS = (("scalecnn", 8), ("mobilenetv2", 0.35))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--images", type=int, default=2560, help="training images per epoch")
    parser.add_argument("--epochs", type=int, default=3, help="epochs (the first is warm-up)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()

    per_class = max(1, args.images // 100)
    dataset = make_synthetic_dataset(num_classes=100, train_per_class=per_class,
                                     test_per_class=1)
    rows = []
    for arch, width in MODELS:
        config = TrainConfig(arch=arch, width=width, dataset="synthetic", epochs=args.epochs)
        with tempfile.TemporaryDirectory() as tmp:
            result = train(config, dataset, tmp, device=args.device)
        steady = [h["images_per_s"] for h in result.history[1:]] or [
            result.history[0]["images_per_s"]]
        row = {
            "model": f"{arch}-w{width}",
            "device": args.device,
            "images_per_epoch": len(dataset.train_labels),
            "images_per_s": sum(steady) / len(steady),
            "per_epoch_images_per_s": [h["images_per_s"] for h in result.history],
        }
        row["paper_200_epochs_minutes"] = 200 * 50_000 / row["images_per_s"] / 60
        rows.append(row)
        print(f"{row['model']:<20} {args.device:<5} {row['images_per_s']:>10.0f} images/s   "
              f"200 CIFAR-100 epochs ≈ {row['paper_200_epochs_minutes']:.0f} min")
    device_name = (torch.cuda.get_device_name() if args.device == "cuda"
                   else platform.processor() or platform.machine())
    out = args.out / f"train_throughput_{args.device}.json"
    write_json_atomic(out, {"device_name": device_name, "threads": torch.get_num_threads(),
                            "versions": software_versions(), "results": rows})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
