"""The model zoo: which (architecture, width) pairs exist, how to build them, their size."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from tinyedge.errors import UnknownModelError
from tinyedge.models.mobilenetv2 import MobileNetV2
from tinyedge.models.scalecnn import ScaleCNN

INPUT_SHAPE = (3, 32, 32)
ZOO_CLASSES = 100  # the zoo is defined for CIFAR-100

WIDTHS: dict[str, tuple[float, ...]] = {
    "scalecnn": (4, 8, 12, 16, 24, 32, 48, 64),
    "mobilenetv2": (0.10, 0.15, 0.25, 0.35, 0.50, 0.75, 1.00, 1.50, 2.00, 3.00),
}


@dataclass(frozen=True)
class ModelSpec:
    """One zoo configuration, e.g. ``ModelSpec("scalecnn", 8)``."""

    arch: str
    width: float

    @property
    def width_label(self) -> str:
        """Width as written on the command line and in folder names: 8, 0.35, 1.00."""
        return format_width(self.arch, self.width)

    @property
    def name(self) -> str:
        return f"{self.arch}-w{self.width_label}"

    def run_name(self, seed: int) -> str:
        return f"{self.name}-s{seed}"


def format_width(arch: str, width: float) -> str:
    return str(int(width)) if arch == "scalecnn" else f"{width:.2f}"


def _valid_listing() -> str:
    return "; ".join(
        f"{arch}: {', '.join(format_width(arch, w) for w in widths)}"
        for arch, widths in WIDTHS.items()
    )


def resolve(arch: str, width: float | str) -> ModelSpec:
    """Validate an (arch, width) pair from user input and return its zoo entry."""
    arch_key = str(arch).lower().replace("-", "").replace("_", "")
    if arch_key not in WIDTHS:
        raise UnknownModelError(
            f"unknown architecture {arch!r}; valid architectures: {', '.join(WIDTHS)}"
        )
    try:
        value = float(width)
    except (TypeError, ValueError):
        value = math.nan
    for candidate in WIDTHS[arch_key]:
        if math.isclose(value, candidate, rel_tol=0, abs_tol=1e-9):
            return ModelSpec(arch_key, candidate)
    valid = ", ".join(format_width(arch_key, w) for w in WIDTHS[arch_key])
    raise UnknownModelError(f"unknown width {width!r} for {arch_key}; valid widths: {valid}")


def all_specs() -> list[ModelSpec]:
    return [ModelSpec(arch, w) for arch, widths in WIDTHS.items() for w in widths]


def build_model(spec: ModelSpec, num_classes: int = ZOO_CLASSES) -> nn.Module:
    if spec.arch == "scalecnn":
        return ScaleCNN(int(spec.width), num_classes=num_classes)
    if spec.arch == "mobilenetv2":
        return MobileNetV2(spec.width, num_classes=num_classes)
    raise UnknownModelError(f"unknown architecture {spec.arch!r}; valid: {_valid_listing()}")


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (BatchNorm running statistics are buffers, not parameters)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_macs(model: nn.Module, input_shape: tuple[int, ...] = INPUT_SHAPE) -> int:
    """Multiply-accumulates of one forward pass, counting conv and linear layers only:
    conv = C_out·H_out·W_out·(C_in/groups)·k_h·k_w, linear = in·out."""
    total = 0

    def conv_hook(module: nn.Conv2d, _inputs, output: torch.Tensor) -> None:
        nonlocal total
        kh, kw = module.kernel_size
        per_output = (module.in_channels // module.groups) * kh * kw
        total += output[0].numel() * per_output

    def linear_hook(module: nn.Linear, _inputs, output: torch.Tensor) -> None:
        nonlocal total
        total += module.in_features * module.out_features * (output.numel() // output.shape[-1])

    hooks = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            hooks.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            hooks.append(module.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_shape))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return total


def describe(spec: ModelSpec, num_classes: int = ZOO_CLASSES) -> dict[str, object]:
    """Row of ``tinyedge models``: arch, width, params, MACs."""
    model = build_model(spec, num_classes)
    return {
        "arch": spec.arch,
        "width": spec.width,
        "name": spec.name,
        "params": count_parameters(model),
        "macs": count_macs(model),
    }
