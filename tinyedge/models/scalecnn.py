"""ScaleCNN(c): a plain VGG-style CNN whose width scales with one number c (SPEC §2)."""

from __future__ import annotations

from torch import Tensor, nn


def _conv_bn_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class ScaleCNN(nn.Module):
    """Four blocks with channels [c, 2c, 4c, 8c]; each block is two 3×3 conv-BN-ReLU layers
    followed by 2×2 max-pooling; then global average pooling and Linear(8c → classes)."""

    def __init__(self, width: int, num_classes: int = 100, in_channels: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for multiplier in (1, 2, 4, 8):
            out = width * multiplier
            layers += _conv_bn_relu(channels, out) + _conv_bn_relu(out, out)
            layers.append(nn.MaxPool2d(2))
            channels = out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.pool(self.features(x)).flatten(1))
