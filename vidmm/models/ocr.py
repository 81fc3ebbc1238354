"""Text on pictures: PP-OCRv6 detection + recognition from the ``rapidocr`` wheel, on onnxruntime.

Why ``rapidocr`` (3.x) and not ``rapidocr-onnxruntime``: the older package requires the GUI build
``opencv-python`` (libGL), which must not sit beside vidmm's ``opencv-python-headless``; ``rapidocr`` 3.x
requires the headless build, runs on the onnxruntime vidmm already has, and ships its ONNX models inside
the wheel (``rapidocr/models/``: PP-OCRv6 small detection and recognition, the v2 direction classifier).
docs/ocr.md has the measurements behind the choice. Nothing is downloaded: the model files are passed by
path, and a missing one is ``ModelMissingError`` (exit 4) naming the package to install.

``OcrModel.read(rgb)`` returns the lines of text on one picture, each with its box (normalised x, y, w, h)
and recognition score; lines below ``min_score`` are dropped (scripts the model cannot read, e.g. Korean or
Cyrillic, come out as low-score look-alike characters, docs/ocr.md).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelMissingError

#: Files of the rapidocr wheel this module loads (rapidocr/models/).
DET_FILE = "PP-OCRv6_det_small.onnx"
REC_FILE = "PP-OCRv6_rec_small.onnx"
CLS_FILE = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
NAME = "ppocrv6-small"
#: Lines read with a lower recognition score are left out (the Korean place names of the road sign score
#: 0.64 as Chinese look-alikes; every correct line of the three labelled photos scores >= 0.9).
MIN_SCORE = 0.8
#: Detection works on pictures scaled so their longer side is at most this (small text stays readable:
#: docs/ocr.md measures it).
MAX_SIDE = 1280
INSTALL_HINT = "pip install 'rapidocr>=3.10,<4' (it ships the OCR models; vidmm's install includes it)"


@dataclass(frozen=True)
class TextBox:
    """One line of text on one picture: ``box`` is (x, y, w, h), each a share of the picture's size."""

    text: str
    score: float
    box: tuple[float, float, float, float]


def model_dir() -> Path:
    """rapidocr's models folder, found without importing rapidocr (its import loads its config)."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissingError("the OCR models are not installed (package rapidocr)", hint=INSTALL_HINT)
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    for name in (DET_FILE, REC_FILE, CLS_FILE):
        if not (folder / name).is_file():
            raise ModelMissingError(f"OCR model file {name} is missing from {folder}", hint=INSTALL_HINT)
    return folder


class OcrModel:
    """PP-OCRv6 small through rapidocr's pipeline, with vidmm's thread budget and no downloads."""

    name = NAME

    def __init__(self, min_score: float = MIN_SCORE, max_side: int = MAX_SIDE, threads: int | None = None):
        from ..threads import budget

        folder = model_dir()
        import logging

        from rapidocr import RapidOCR

        n = threads or budget(4)
        self.min_score, self.max_side = float(min_score), int(max_side)
        self._engine = RapidOCR(params={
            "Global.log_level": "error", "Global.use_cls": False, "Global.text_score": 0.3,
            "Det.model_path": str(folder / DET_FILE), "Rec.model_path": str(folder / REC_FILE),
            "Cls.model_path": str(folder / CLS_FILE),
            "Det.limit_type": "max", "Det.limit_side_len": self.max_side,
            "EngineConfig.onnxruntime.intra_op_num_threads": n,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)

    def read(self, rgb: np.ndarray) -> list[TextBox]:
        """The lines of text on an RGB picture, top to bottom, left to right."""
        h, w = rgb.shape[:2]
        # A contiguous BGR copy: rapidocr reads a reversed-stride view as another picture (it found no
        # text at all on 540p frames it reads well once copied).
        out = self._engine(np.ascontiguousarray(rgb[..., ::-1]))
        boxes, texts, scores = getattr(out, "boxes", None), getattr(out, "txts", None), getattr(out, "scores", None)
        if boxes is None or not texts:
            return []
        lines = []
        for quad, text, score in zip(boxes, texts, scores):
            text = " ".join(str(text).split())
            if not text or float(score) < self.min_score:
                continue
            q = np.asarray(quad, dtype=np.float64).reshape(-1, 2)
            x0, y0 = max(0.0, q[:, 0].min()), max(0.0, q[:, 1].min())
            x1, y1 = min(float(w), q[:, 0].max()), min(float(h), q[:, 1].max())
            lines.append(TextBox(text, float(score), (x0 / w, y0 / h, max(0.0, x1 - x0) / w, max(0.0, y1 - y0) / h)))
        return in_reading_order(lines)


def in_reading_order(lines: list) -> list:
    """Top to bottom by row, left to right within a row: a box whose middle is within half a line height
    of a row's middle is on that row. Works on anything with a ``box`` (x, y, w, h)."""
    rows: list[list] = []
    for line in sorted(lines, key=lambda t: t.box[1] + t.box[3] / 2):
        mid = line.box[1] + line.box[3] / 2
        if rows:
            last = rows[-1][-1]
            if abs(mid - (last.box[1] + last.box[3] / 2)) < max(line.box[3], last.box[3]) / 2:
                rows[-1].append(line)
                continue
        rows.append([line])
    return [t for row in rows for t in sorted(row, key=lambda t: t.box[0])]


_LOADED: dict[tuple, OcrModel] = {}


def load_ocr(min_score: float = MIN_SCORE) -> OcrModel:
    """The OCR model, once per process (ModelMissingError, exit 4, without the rapidocr package)."""
    key = (round(float(min_score), 4),)
    if key not in _LOADED:
        _LOADED[key] = OcrModel(min_score=min_score)
    return _LOADED[key]
