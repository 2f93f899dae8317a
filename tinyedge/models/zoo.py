"""The model zoo: which (architecture, width) pairs exist, how to build them, their size.

Two families share one registry: the scaling zoo of SPEC §2 (ScaleCNN and MobileNetV2 at
many widths, for 32×32×3 CIFAR-100 images; what sweeps train) and the MLPerf Tiny reference
models (one published width each, each with its own input shape)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from tinyedge.errors import UnknownModelError
from tinyedge.models.mlperf_tiny import DSCNN, FCAutoencoder, MobileNetV1, ResNet8
from tinyedge.models.mobilenetv2 import MobileNetV2
from tinyedge.models.scalecnn import ScaleCNN

INPUT_SHAPE = (3, 32, 32)  # the scaling zoo's input (C, H, W)
ZOO_CLASSES = 100  # the scaling zoo is defined for CIFAR-100


@dataclass(frozen=True)
class Architecture:
    """One architecture of the zoo: its widths, input and how to build it.

    ``input_shape`` is (C, H, W) for images and feature maps, (F,) for a feature vector;
    ``classes`` is the output count it is listed with (``tinyedge models``) and built with
    when no dataset says otherwise; ``reconstructs`` marks a model whose output has the
    input's size whatever the dataset's classes (an autoencoder)."""

    widths: tuple[float, ...]
    input_shape: tuple[int, ...]
    classes: int
    build: Callable[[float, int], nn.Module]
    family: str  # "scaling" (swept by `tinyedge sweep`) or "mlperf-tiny"
    integer_widths: bool = False
    reconstructs: bool = False

    @property
    def channels(self) -> int:
        """Normalisation channels: C of an image input, 1 for a feature vector."""
        return self.input_shape[0] if len(self.input_shape) == 3 else 1


ARCHITECTURES: dict[str, Architecture] = {
    "scalecnn": Architecture((4, 8, 12, 16, 24, 32, 48, 64), INPUT_SHAPE, ZOO_CLASSES,
                             lambda w, n: ScaleCNN(int(w), num_classes=n), "scaling",
                             integer_widths=True),
    "mobilenetv2": Architecture((0.10, 0.15, 0.25, 0.35, 0.50, 0.75, 1.00, 1.50, 2.00, 3.00),
                                INPUT_SHAPE, ZOO_CLASSES,
                                lambda w, n: MobileNetV2(w, num_classes=n), "scaling"),
    # MLPerf Tiny: width is each model's published scaling knob at its published value.
    "resnet8": Architecture((16,), (3, 32, 32), 10,
                            lambda w, n: ResNet8(int(w), num_classes=n), "mlperf-tiny",
                            integer_widths=True),
    "dscnn": Architecture((64,), (1, 49, 10), 12,
                          lambda w, n: DSCNN(int(w), num_classes=n), "mlperf-tiny",
                          integer_widths=True),
    "mobilenetv1": Architecture((0.25,), (3, 96, 96), 2,
                                lambda w, n: MobileNetV1(w, num_classes=n), "mlperf-tiny"),
    "fcautoencoder": Architecture((128,), (640,), 640,
                                  lambda w, _n: FCAutoencoder(int(w), features=640),
                                  "mlperf-tiny", integer_widths=True, reconstructs=True),
}

# The scaling zoo's widths (what sweeps train on CIFAR-100).
WIDTHS: dict[str, tuple[float, ...]] = {
    arch: a.widths for arch, a in ARCHITECTURES.items() if a.family == "scaling"
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

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The model's input without the batch: (C, H, W), or (F,) for a feature vector."""
        return ARCHITECTURES[self.arch].input_shape

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """One input as the data and the int8 model hold it: (H, W, C), or (F,)."""
        shape = self.input_shape
        return (*shape[1:], shape[0]) if len(shape) == 3 else tuple(shape)

    @property
    def default_classes(self) -> int:
        return ARCHITECTURES[self.arch].classes

    @property
    def reconstructs(self) -> bool:
        """Whether the model outputs a reconstruction of its input (an autoencoder)."""
        return ARCHITECTURES[self.arch].reconstructs

    def outputs(self, num_classes: int) -> int:
        """Output values per input when built for ``num_classes`` classes."""
        return math.prod(self.input_shape) if self.reconstructs else num_classes

    def run_name(self, seed: int) -> str:
        return f"{self.name}-s{seed}"


def format_width(arch: str, width: float) -> str:
    known = ARCHITECTURES.get(arch)
    return str(int(width)) if known is not None and known.integer_widths else f"{width:.2f}"


def _valid_listing() -> str:
    return "; ".join(
        f"{arch}: {', '.join(format_width(arch, w) for w in widths)}"
        for arch, widths in ((a, x.widths) for a, x in ARCHITECTURES.items())
    )


def resolve(arch: str, width: float | str) -> ModelSpec:
    """Validate an (arch, width) pair from user input and return its zoo entry."""
    arch_key = str(arch).lower().replace("-", "").replace("_", "")
    if arch_key not in ARCHITECTURES:
        raise UnknownModelError(
            f"unknown architecture {arch!r}; valid architectures: {', '.join(ARCHITECTURES)}"
        )
    try:
        value = float(width)
    except (TypeError, ValueError):
        value = math.nan
    widths = ARCHITECTURES[arch_key].widths
    for candidate in widths:
        if math.isclose(value, candidate, rel_tol=0, abs_tol=1e-9):
            return ModelSpec(arch_key, candidate)
    valid = ", ".join(format_width(arch_key, w) for w in widths)
    raise UnknownModelError(f"unknown width {width!r} for {arch_key}; valid widths: {valid}")


def all_specs() -> list[ModelSpec]:
    """The scaling zoo (SPEC §2): every width of ScaleCNN and MobileNetV2."""
    return [ModelSpec(arch, w) for arch, widths in WIDTHS.items() for w in widths]


def reference_specs() -> list[ModelSpec]:
    """The MLPerf Tiny reference models, one spec each."""
    return [ModelSpec(arch, w) for arch, a in ARCHITECTURES.items()
            if a.family == "mlperf-tiny" for w in a.widths]


def build_model(spec: ModelSpec, num_classes: int | None = None) -> nn.Module:
    """The model of ``spec`` with ``num_classes`` outputs (default: the zoo's count for it;
    an autoencoder always outputs its input's size). The model's ``input_shape`` attribute
    is the spec's input without the batch."""
    arch = ARCHITECTURES.get(spec.arch)
    if arch is None:
        raise UnknownModelError(f"unknown architecture {spec.arch!r}; valid: {_valid_listing()}")
    model = arch.build(spec.width, arch.classes if num_classes is None else num_classes)
    model.input_shape = arch.input_shape
    return model


def model_input_shape(model: nn.Module) -> tuple[int, ...]:
    """The input (without batch) a zoo model was built for; the scaling zoo's by default."""
    return tuple(getattr(model, "input_shape", INPUT_SHAPE))


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (BatchNorm running statistics are buffers, not parameters)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_macs(model: nn.Module, input_shape: tuple[int, ...] | None = None) -> int:
    """Multiply-accumulates of one forward pass (on ``input_shape``, default the model's
    own), counting conv and linear layers only:
    conv = C_out·H_out·W_out·(C_in/groups)·k_h·k_w, linear = in·out."""
    input_shape = model_input_shape(model) if input_shape is None else input_shape
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


def describe(spec: ModelSpec, num_classes: int | None = None) -> dict[str, object]:
    """Row of ``tinyedge models``: arch, width, input, outputs, params, MACs."""
    model = build_model(spec, num_classes)
    classes = spec.default_classes if num_classes is None else num_classes
    return {
        "arch": spec.arch,
        "width": spec.width,
        "name": spec.name,
        "family": ARCHITECTURES[spec.arch].family,
        "input_shape": list(spec.input_shape),
        "outputs": spec.outputs(classes),
        "params": count_parameters(model),
        "macs": count_macs(model),
    }
