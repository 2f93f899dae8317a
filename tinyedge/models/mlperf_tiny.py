"""The four MLPerf Tiny (v0.5+) inference benchmarks' reference architectures, written here
from their published layer lists (the Keras definitions in github.com/mlcommons/tiny,
``benchmark/training/<task>/`` and ``v0.1/benchmarks/<task>/``), not from downloaded weights:

- image classification: ResNet-8 (``resnet_v1_eembc``) on 32×32×3 CIFAR-10 images;
- keyword spotting: DS-CNN (small) on 49×10×1 MFCC features, 12 classes;
- visual wake words: MobileNetV1 with α = 0.25 on 96×96×3 images, 2 classes;
- anomaly detection: the DCASE 2020 task 2 baseline FC autoencoder on 640 features
  (5 frames × 128 mel bins), reconstructing its input.

As in the Keras references every convolution and dense layer has a bias (also those
followed by BatchNorm), so parameter counts match the published models'.
"""

from __future__ import annotations

from itertools import pairwise

from torch import Tensor, nn


def _conv_bn_relu(in_ch: int, out_ch: int, kernel: int | tuple[int, int], stride: int,
                  padding: int | tuple[int, int], groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(in_ch, out_ch, kernel, stride, padding, groups=groups),
            nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True)]


class _ResidualStack(nn.Module):
    """Two 3×3 conv-BN layers (the first with ``stride``) added to the input, then ReLU; a
    strided 1×1 convolution (no BatchNorm) adapts the input when the shape changes."""

    def __init__(self, in_ch: int, out_ch: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            *_conv_bn_relu(in_ch, out_ch, 3, stride, 1),
            nn.Conv2d(out_ch, out_ch, 3, 1, 1), nn.BatchNorm2d(out_ch))
        self.shortcut = (nn.Identity() if stride == 1 and in_ch == out_ch
                         else nn.Conv2d(in_ch, out_ch, 1, stride, 0))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.shortcut(x) + self.body(x))


class _PooledClassifier(nn.Module):
    """``features``, then global average pooling and a dense layer of ``num_classes``."""

    def __init__(self, features: nn.Module, channels: int, num_classes: int) -> None:
        super().__init__()
        self.features = features
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.pool(self.features(x)).flatten(1))


class ResNet8(_PooledClassifier):
    """ResNet-8 for 32×32×3: a 3×3 stem of ``width`` filters, three residual stacks of
    width, 2·width (stride 2) and 4·width (stride 2) filters, global average pooling and a
    dense classifier. The reference uses width 16."""

    def __init__(self, width: int = 16, num_classes: int = 10, in_channels: int = 3) -> None:
        super().__init__(nn.Sequential(
            *_conv_bn_relu(in_channels, width, 3, 1, 1),
            _ResidualStack(width, width, 1),
            _ResidualStack(width, 2 * width, 2),
            _ResidualStack(2 * width, 4 * width, 2)), 4 * width, num_classes)


class DSCNN(_PooledClassifier):
    """DS-CNN (small) for 49×10×1 MFCC features: a 10×4 stride-2 convolution of ``width``
    filters, four depthwise-separable blocks (3×3 depthwise-BN-ReLU, 1×1 pointwise-BN-ReLU),
    global average pooling over the 25×5 map and a dense classifier. The reference uses
    width 64. (Dropout layers of the reference are identity at inference and omitted.)"""

    def __init__(self, width: int = 64, num_classes: int = 12, in_channels: int = 1) -> None:
        layers = _conv_bn_relu(in_channels, width, (10, 4), 2, (5, 1))
        for _ in range(4):
            layers += _conv_bn_relu(width, width, 3, 1, 1, groups=width)
            layers += _conv_bn_relu(width, width, 1, 1, 0)
        super().__init__(nn.Sequential(*layers), width, num_classes)


# (output channels at α = 1, stride) of MobileNetV1's 13 depthwise-separable layers.
MOBILENETV1_LAYERS: tuple[tuple[int, int], ...] = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
)


class MobileNetV1(_PooledClassifier):
    """MobileNetV1 (Howard et al., 2017) with width multiplier ``alpha``: a 3×3 stride-2
    stem of 32·α filters, 13 depthwise-separable layers (3×3 depthwise-BN-ReLU, 1×1
    pointwise-BN-ReLU), global average pooling and a dense classifier. The visual wake
    words reference uses α = 0.25 on 96×96×3 images and plain ReLU."""

    def __init__(self, alpha: float = 0.25, num_classes: int = 2, in_channels: int = 3) -> None:
        channels = int(32 * alpha)
        layers = _conv_bn_relu(in_channels, channels, 3, 2, 1)
        for out, stride in MOBILENETV1_LAYERS:
            out = int(out * alpha)
            layers += _conv_bn_relu(channels, channels, 3, stride, 1, groups=channels)
            layers += _conv_bn_relu(channels, out, 1, 1, 0)
            channels = out
        super().__init__(nn.Sequential(*layers), channels, num_classes)


class FCAutoencoder(nn.Module):
    """The anomaly detection autoencoder on ``features`` inputs (640: 5 frames of 128 mel
    bins): four dense-BN-ReLU layers of ``width`` units, a bottleneck of 8, four more of
    ``width``, and a dense output of ``features`` values reconstructing the input. The
    reference uses width 128."""

    BOTTLENECK = 8

    def __init__(self, width: int = 128, features: int = 640) -> None:
        super().__init__()
        sizes = [features, width, width, width, width, self.BOTTLENECK,
                 width, width, width, width]
        layers: list[nn.Module] = []
        for a, b in pairwise(sizes):
            layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU(inplace=True)]
        layers.append(nn.Linear(width, features))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)
