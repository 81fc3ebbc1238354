"""Facial expression: mini-Xception trained on FER2013 (7 classes), run in PyTorch or onnxruntime.

The network is executed from the framework-neutral export in ../shared/models/fer-mini-xception
(``.json`` layer graph + ``.safetensors`` weights); no Keras needed. Two details matter:

- Padding is TensorFlow "same": when the total padding is odd the extra row/column goes bottom/right,
  and the 3x3 stride-2 max-pools pad with -inf. A symmetric ``MaxPool2d(3, 2, padding=1)`` gives
  different numbers, so padding is applied explicitly before each op.
- Input: grayscale face crop, 64x64, scaled ``x/255*2-1``. Upstream cropped OpenCV Haar boxes, which
  are square and looser than YuNet's, so the crop box size was measured (benchmarks/emotion.py --crops).

Measured 2026-11-23 with YuNet boxes on the 6 labelled photos of ../shared/media (MANIFEST
task=expression: 2 happy, 2 neutral, sad, angry) and 17 frames of birthday.mp4 (a happy face):

    crop (box scale, shape)   photos top-1   mean p(true)   birthday frames "happy"
    1.0 square                6/6            0.90           16/17
    1.1 square (default)      6/6            0.80           17/17
    1.2 square                6/6            0.73           17/17
    1.4 square                3/6            0.55           17/17
    1.0 box shape             6/6            0.79           17/17
    1.2 box shape             4/6            0.69           17/17

So larger, Haar-like crops did not help; a nearly tight square crop does best (chance is 1/7). The set is
tiny: upstream reports ~66 % on FER2013, and "sad" is the weak class (p 0.34 on its photo).
Torch and onnxruntime agree to 5e-7; onnxruntime is ~7x faster per crop (2.5 vs 17.5 ms), so
``backend="auto"`` uses it when the optional .onnx file is present.
"""

from __future__ import annotations

import numpy as np

from vidmm.models import registry
from vidmm.models.mini_xception import LABELS, load_torch_model

INPUT_SIZE = 64
# Box scale around the detector's box before the square crop (measured, see the module docstring).
CROP_ENLARGE = 1.1


class ExpressionModel:
    """``predict(crops)`` on (N, 64, 64) uint8 grayscale crops -> (N, 7) probabilities over LABELS."""

    labels = LABELS

    def __init__(self, backend: str = "auto", models_dir=None):
        if backend == "auto":
            backend = "onnx" if _onnx_available(models_dir) else "torch"
        self.backend = backend
        if backend == "torch":
            import torch

            self._torch = torch
            self.model = load_torch_model(registry.model_path("fer-mini-xception", models_dir).parent)
        elif backend == "onnx":
            import onnxruntime as ort

            from ..threads import budget

            path = registry.model_file("fer-mini-xception", "fer_mini_xception.onnx", models_dir)
            opts = ort.SessionOptions()
            opts.log_severity_level = 3
            opts.intra_op_num_threads = budget(4)
            self.sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        else:
            from vidmm.errors import UsageError

            raise UsageError(f"unknown expression backend {backend!r}", hint="use torch or onnx")

    def predict(self, crops: np.ndarray) -> np.ndarray:
        crops = np.asarray(crops)
        if len(crops) == 0:
            return np.zeros((0, len(LABELS)), np.float32)
        x = (crops.astype(np.float32) / 255.0 * 2.0 - 1.0)[:, None]
        if self.backend == "torch":
            with self._torch.no_grad():
                return self.model(self._torch.from_numpy(x)).numpy()
        return self.sess.run(None, {"input": x})[0]

    def classify(self, image_rgb: np.ndarray, faces, enlarge: float = CROP_ENLARGE) -> np.ndarray:
        """Probabilities for each face (objects with ``.box``) found in an RGB frame."""
        return self.predict(crop_faces(image_rgb, [f.box for f in faces], enlarge))


def _onnx_available(models_dir) -> bool:
    import importlib.util

    from vidmm.errors import ModelMissingError

    if importlib.util.find_spec("onnxruntime") is None:
        return False
    try:
        registry.model_file("fer-mini-xception", "fer_mini_xception.onnx", models_dir)
    except ModelMissingError:
        return False
    return True


def load_expression_model(backend: str = "auto", models_dir=None) -> ExpressionModel:
    """"auto" (onnxruntime when the .onnx file is there, else torch), "torch" or "onnx"."""
    return ExpressionModel(backend, models_dir)


def crop_faces(image_rgb: np.ndarray, boxes, enlarge: float = CROP_ENLARGE, square: bool = True) -> np.ndarray:
    """Grayscale 64x64 crops around (x1, y1, x2, y2) boxes, widened by ``enlarge``; edges are replicated.

    ``square`` uses the longer side for both, as Haar boxes are square; it keeps the face's proportions.
    """
    import cv2

    if len(boxes) == 0:
        return np.zeros((0, INPUT_SIZE, INPUT_SIZE), np.uint8)
    gray = cv2.cvtColor(np.ascontiguousarray(image_rgb), cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    out = []
    for x1, y1, x2, y2 in boxes:
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        bw, bh = (x2 - x1) * enlarge, (y2 - y1) * enlarge
        if square:
            bw = bh = max(bw, bh)
        a, b = int(round(cx - bw / 2)), int(round(cx + bw / 2))
        c, d = int(round(cy - bh / 2)), int(round(cy + bh / 2))
        pad = max(0, -a, -c, b - w, d - h)
        src = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE) if pad else gray
        crop = src[c + pad:d + pad, a + pad:b + pad]
        if crop.size == 0:
            crop = np.zeros((INPUT_SIZE, INPUT_SIZE), np.uint8)
        out.append(cv2.resize(crop, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA))
    return np.stack(out)
