"""A compact VGG-style CNN for 48-64 px grayscale faces.

Four stages of two 3x3 conv-BN-ReLU layers, each stage halving the resolution, then global
average pooling, dropout and one linear layer. Global pooling keeps the network valid for any
input size, so the same design serves the 48 / 64 px study. VGG-style nets are the FER+ paper's
choice (Barsoum et al. 2016: VGG13, ~85% on FER+ Test); plain 3x3 convolutions are also what the
CPU kernels run fastest, in training and in onnxruntime.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from moodtune.training.nets import register


def _conv_bn(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class CompactCNN(nn.Module):
    def __init__(
        self,
        num_classes: int = 8,
        widths: Sequence[int] = (32, 64, 128, 256),
        in_channels: int = 1,
        dropout: float = 0.3,
        convs_per_stage: int = 2,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = in_channels
        for i, w in enumerate(widths):
            for _ in range(convs_per_stage):
                layers += _conv_bn(cin, w)
                cin = w
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.features(x)).flatten(1)
        return self.head(self.dropout(x))


@register("cnn")
def cnn(
    num_classes: int = 8, widths: Sequence[int] = (32, 64, 128, 256), dropout: float = 0.3, **_: object
) -> nn.Module:
    return CompactCNN(num_classes=num_classes, widths=widths, dropout=dropout)


@register("cnn-wide")
def cnn_wide(num_classes: int = 8, dropout: float = 0.4, **_: object) -> nn.Module:
    return CompactCNN(num_classes=num_classes, widths=(64, 128, 256, 512), dropout=dropout)
