import pytest
import torch

from tinyedge.errors import UnknownModelError
from tinyedge.models import (
    WIDTHS,
    all_specs,
    build_model,
    count_macs,
    count_parameters,
    resolve,
)
from tinyedge.models.mobilenetv2 import make_divisible


def scalecnn_params(c: int, classes: int = 100) -> int:
    """Closed form: 3×3 convs without bias, BatchNorm γ/β, Linear with bias."""
    chans = [3, c, 2 * c, 4 * c, 8 * c]
    convs = sum(9 * chans[i] * chans[i + 1] + 9 * chans[i + 1] ** 2 for i in range(4))
    bns = sum(2 * 2 * chans[i + 1] for i in range(4))
    return convs + bns + 8 * c * classes + classes


def scalecnn_macs(c: int, classes: int = 100) -> int:
    chans, size, total = [3, c, 2 * c, 4 * c, 8 * c], 32, 0
    for i in range(4):
        total += size * size * 9 * (chans[i] * chans[i + 1] + chans[i + 1] ** 2)
        size //= 2
    return total + 8 * c * classes


def test_zoo_has_all_18_configurations():
    specs = all_specs()
    assert len(specs) == 18
    assert [s.width for s in specs if s.arch == "scalecnn"] == [4, 8, 12, 16, 24, 32, 48, 64]
    assert len(WIDTHS["mobilenetv2"]) == 10


def test_anchor_parameter_counts():
    assert count_parameters(build_model(resolve("scalecnn", 4))) == 21_936
    assert count_parameters(build_model(resolve("mobilenetv2", 1.0))) == 2_351_972


@pytest.mark.parametrize("c", WIDTHS["scalecnn"])
def test_scalecnn_counts_match_closed_form(c):
    model = build_model(resolve("scalecnn", c))
    assert count_parameters(model) == scalecnn_params(c)
    assert count_macs(model) == scalecnn_macs(c)


def test_mobilenetv2_macs_anchor_and_channel_rounding():
    # PLATFORM.md's TFLM anchor: MobileNetV2 m=0.35 has 4.86 M MACs.
    assert round(count_macs(build_model(resolve("mobilenetv2", 0.35))) / 1e6, 2) == 4.86
    assert [make_divisible(32 * m) for m in (0.1, 0.35, 1.0)] == [8, 16, 32]
    assert make_divisible(1280 * 1.5) == 1920


def test_mobilenetv2_first_conv_has_stride_1_and_params_grow_with_width():
    model = build_model(resolve("mobilenetv2", 0.5))
    assert model.features[0][0].stride == (1, 1)
    counts = [count_parameters(build_model(resolve("mobilenetv2", m)))
              for m in WIDTHS["mobilenetv2"]]
    assert counts == sorted(counts) and len(set(counts)) == len(counts)


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.name)
def test_forward_shape(spec):
    model = build_model(spec).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 100)
    assert torch.isfinite(out).all()


def test_num_classes_changes_only_the_head():
    spec = resolve("scalecnn", 8)
    diff = count_parameters(build_model(spec)) - count_parameters(build_model(spec, 10))
    assert diff == 64 * 90 + 90


@pytest.mark.parametrize(
    ("arch", "width", "message"),
    [
        ("resnet", 8, "unknown architecture 'resnet'; valid architectures: scalecnn, mobilenetv2"),
        ("scalecnn", 5, "valid widths: 4, 8, 12, 16, 24, 32, 48, 64"),
        ("mobilenetv2", "0.2", "valid widths: 0.10, 0.15, 0.25"),
        ("scalecnn", "big", "unknown width 'big'"),
    ],
)
def test_unknown_arch_or_width_lists_valid_ones(arch, width, message):
    with pytest.raises(UnknownModelError, match=message.replace(".", r"\.").replace("(", r"\(")):
        resolve(arch, width)


def test_width_spellings_resolve_to_one_spec():
    assert resolve("mobilenetv2", "0.1") == resolve("MobileNetV2", "0.10")
    assert resolve("mobilenetv2", 1).name == "mobilenetv2-w1.00"
    assert resolve("scalecnn", "8").run_name(3) == "scalecnn-w8-s3"
