"""Text on pictures: PP-OCRv6 detection + recognition from the ``rapidocr`` wheel, on onnxruntime.

Why ``rapidocr`` (3.x) and not ``rapidocr-onnxruntime``: the older package requires the GUI build
``opencv-python`` (libGL), which must not sit beside vidmm's ``opencv-python-headless``; ``rapidocr`` 3.x
requires the headless build, runs on the onnxruntime vidmm already has, and ships its ONNX models inside
the wheel (``rapidocr/models/``: PP-OCRv6 small detection and recognition, the v2 direction classifier,
which vidmm does not use). docs/ocr.md has the measurements behind the choice. Nothing is downloaded: the
model files are passed by path, and a missing one is ``ModelMissingError`` (exit 4) naming the package.

vidmm runs the two networks on its own onnxruntime sessions, with the pre- and post-processing of
vidmm.models.ocr_decode (rapidocr's own pipeline is not imported: its import costs half a second). The
steps are separate, so the text channel (vidmm.channels_text) can look for text on a small copy of a
frame first, run the detector at full size only there, recognise only the boxes found, and skip the
recogniser for a box that shows what it showed on the last frame:

* ``detect(rgb)``: quadrilaterals around lines of text, in the picture's pixels;
* ``look_at(rgb, look)``: where text may be, from the detector on a ``look`` px copy; ``find(rgb, where)``:
  the quadrilaterals found there at full size;
* ``recognise(rgb, quads)``: (text, score) per box;
* ``read(rgb)``: detect and recognise, as `TextBox` lines in reading order.

Lines scoring below ``FLOOR`` are never kept; those below ``min_score`` (default ``MIN_SCORE``) are left
out of results by the tasks. The recogniser knows Chinese and English characters: text in other scripts
(Korean, Cyrillic, Arabic...) comes out as look-alike characters with low scores and is left out.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelMissingError
from .ocr_decode import ctc_text, db_boxes, normalised, rec_batches

#: Files of the rapidocr wheel this module loads (rapidocr/models/).
DET_FILE = "PP-OCRv6_det_small.onnx"
REC_FILE = "PP-OCRv6_rec_small.onnx"
NAME = "ppocrv6-small"
#: Lines read with a lower recognition score are left out of results (the Korean place names of the road
#: sign read as Chinese look-alikes at 0.24 or not at all; every correct line of the three labelled photos
#: scores >= 0.92: docs/ocr.md).
MIN_SCORE = 0.8
#: Lines below this score are not kept in the cache (``--min-score`` may go down to it). 0: every box the
#: recogniser read something in is kept, so a task can say how many it left out.
FLOOR = 0.0
#: A box larger than this share of the picture is not a line of text (see ``boxes_of``).
MAX_AREA = 0.6
#: Photos are detected scaled so their longer side is at most this (the receipt photo, 1200 px high with
#: 40 lines, reads whole: docs/ocr.md).
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
    for name in (DET_FILE, REC_FILE):
        if not (folder / name).is_file():
            raise ModelMissingError(f"OCR model file {name} is missing from {folder}", hint=INSTALL_HINT)
    return folder


class OcrModel:
    """PP-OCRv6 small detection and recognition, with vidmm's thread budget and no downloads."""

    name = NAME

    def __init__(self, min_score: float = MIN_SCORE, max_side: int = MAX_SIDE, threads: int | None = None):
        import onnxruntime as ort

        from ..threads import budget

        folder = model_dir()
        self.min_score, self.max_side = float(min_score), int(max_side)
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.intra_op_num_threads = threads or budget(4)
        opts.inter_op_num_threads = 1
        opts.enable_cpu_mem_arena = False  # inputs change size with every picture and line (as rapidocr)
        # Idle pool threads sleep instead of spinning: between two runs the same process decodes video, and
        # spinning threads took its cores (docs/ocr.md: the text channel 20 % faster, 27 % less CPU).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._det = ort.InferenceSession(str(folder / DET_FILE), opts, providers=["CPUExecutionProvider"])
        self._rec = ort.InferenceSession(str(folder / REC_FILE), opts, providers=["CPUExecutionProvider"])
        meta = self._rec.get_modelmeta().custom_metadata_map
        if "character" not in meta:
            raise ModelMissingError(f"OCR model file {REC_FILE} in {folder} carries no character list",
                                    hint=INSTALL_HINT)
        # index 0 is CTC's blank; the space is the last class
        self._characters = ["", *meta["character"].splitlines(), " "]

    def detect(self, rgb: np.ndarray) -> np.ndarray:
        """(N, 4, 2) float32 corners of the lines of text found, in ``rgb``'s pixels (the picture scaled so
        its longer side is at most ``max_side``)."""
        bgr = _bgr(rgb)
        h, w = bgr.shape[:2]
        r = min(1.0, self.max_side / max(h, w))
        return self._boxes(self._map(bgr, (w * r, h * r)), w, h)

    def look_at(self, rgb: np.ndarray, look: int) -> list[tuple[int, int, int, int]] | None:
        """Where text may be: rectangles (x0, y0, x1, y1) of ``rgb`` from the detector's map on a copy with
        a short side of ``look`` px (vidmm.models.ocr_regions); None when the whole picture is to be read
        (most of it may be text, or it is hardly larger than the copy)."""
        import cv2

        from .ocr_regions import regions

        h, w = rgb.shape[:2]
        if min(h, w) < 1.5 * look:  # looking first would cost more than it saves
            return None
        r = look / min(h, w)
        sw, sh = (max(32, int(round(v / 32)) * 32) for v in (w * r, h * r))
        small = _bgr(cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA))
        return regions(self._map(small, (sw, sh))[0, 0], w, h, cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))

    def find(self, rgb: np.ndarray, where: list[tuple[int, int, int, int]] | None) -> np.ndarray:
        """``detect``'s boxes, the detector run at full size only on the rectangles ``where`` (``look_at``;
        None: on the whole picture). Small text is found as on the whole picture, at a fraction of the cost
        on a frame where text is a line or two."""
        h, w = rgb.shape[:2]
        if where is None:
            return self._boxes(self._map(_bgr(rgb), (w, h)), w, h)
        found = [np.zeros((0, 4, 2), np.float32)]
        for x0, y0, x1, y1 in where:
            part = _padded(_bgr(rgb[y0:y1, x0:x1]))  # at full size: a resize to fit 32 would shrink small text
            ph, pw = part.shape[:2]
            found.append(self._boxes(self._map(part, (pw, ph)), pw, ph) + np.array([x0, y0], np.float32))
        return np.concatenate(found)

    def _map(self, bgr: np.ndarray, size: tuple[float, float]) -> np.ndarray:
        """The detector's text probability map (1, 1, H, W) of ``bgr`` scaled to about ``size`` (w, h), each
        side rounded to a multiple of 32 as the network needs, bilinear as rapidocr scales."""
        import cv2

        w, h = (max(32, int(round(v / 32)) * 32) for v in size)
        if (w, h) != bgr.shape[1::-1]:
            bgr = cv2.resize(bgr, (w, h), interpolation=cv2.INTER_LINEAR)
        return self._det.run(None, {self._det.get_inputs()[0].name: normalised(bgr)})[0]

    def _boxes(self, prob: np.ndarray, width: int, height: int) -> np.ndarray:
        """(N, 4, 2) float32 quads from a probability map, in pixels of a ``width`` x ``height`` picture."""
        return db_boxes(prob[0, 0], width, height)

    def recognise(self, rgb: np.ndarray, quads: np.ndarray) -> list[tuple[str, float]]:
        """(text, score) of each box of ``quads`` on ``rgb`` (spaces collapsed; "" where nothing was read)."""
        if not len(quads):
            return []
        crops = [_bgr(crop(rgb, q)) for q in quads]
        out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        name = self._rec.get_inputs()[0].name
        for idx, batch in rec_batches(crops):
            for k, (text, score) in zip(idx, ctc_text(self._rec.run(None, {name: batch})[0], self._characters)):
                out[k] = (" ".join(text.split()), score)
        return out

    def read(self, rgb: np.ndarray) -> list[TextBox]:
        """The lines of text on an RGB picture scoring at least ``FLOOR``, in reading order."""
        quads = self.detect(rgb)
        return in_reading_order(boxes_of(quads, self.recognise(rgb, quads), rgb.shape[1], rgb.shape[0]))


def _bgr(rgb: np.ndarray) -> np.ndarray:
    # A contiguous BGR copy: the models were trained on BGR, and a reversed-stride view is read as another
    # picture (no text at all on 540p frames that read well once copied).
    return np.ascontiguousarray(rgb[..., ::-1])


def _padded(bgr: np.ndarray) -> np.ndarray:
    """``bgr`` with black added right and below up to sides that are multiples of 32."""
    import cv2

    h, w = bgr.shape[:2]
    if h % 32 == 0 and w % 32 == 0:
        return bgr
    return cv2.copyMakeBorder(bgr, 0, -h % 32, 0, -w % 32, cv2.BORDER_CONSTANT, value=0)


def crop(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The box ``quad`` cut out of ``image`` and straightened; a tall one is turned to lie flat (rapidocr's
    own rule: vertical lines are read turned by 90 degrees)."""
    import cv2

    q = np.asarray(quad, np.float32)
    w = int(max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[2] - q[3]), 1))
    h = int(max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2]), 1))
    m = cv2.getPerspectiveTransform(q, np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32))
    out = cv2.warpPerspective(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    return np.rot90(out) if h >= 1.5 * w else out


def boxes_of(quads: np.ndarray, read: list[tuple[str, float]], width: int, height: int) -> list[TextBox]:
    """`TextBox` lines (boxes as shares of ``width`` x ``height``) of the readings scoring at least FLOOR. A box
    covering more than ``MAX_AREA`` of the picture is the detector firing on the whole frame (a fade, a
    flash), never a line of text: left out."""
    lines = []
    for q, (text, score) in zip(quads, read):
        if not text or score < FLOOR:
            continue
        x0, y0 = max(0.0, float(q[:, 0].min())), max(0.0, float(q[:, 1].min()))
        x1, y1 = min(float(width), float(q[:, 0].max())), min(float(height), float(q[:, 1].max()))
        if (x1 - x0) * (y1 - y0) > MAX_AREA * width * height:
            continue
        lines.append(TextBox(text, float(score), (x0 / width, y0 / height, max(0.0, x1 - x0) / width,
                                                  max(0.0, y1 - y0) / height)))
    return lines


def in_reading_order(lines: list) -> list:
    """Top to bottom by row, left to right within a row. A line joins the row above when their vertical
    extents overlap by at least half the shorter one and neither is more than twice as tall as the other
    (a tall box, e.g. a line of text set vertically, makes a row of its own instead of gluing rows together).
    Works on anything with a ``box`` (x, y, w, h)."""
    rows: list[list] = []
    for line in sorted(lines, key=lambda t: t.box[1] + t.box[3] / 2):
        _, y, _, h = line.box
        for row in reversed(rows[-3:]):  # the few rows just above are the only candidates
            ry = min(t.box[1] for t in row)
            rh = max(t.box[1] + t.box[3] for t in row) - ry
            overlap = min(y + h, ry + rh) - max(y, ry)
            if overlap >= 0.5 * min(h, rh) and max(h, rh) <= 2 * min(h, rh):
                row.append(line)
                break
        else:
            rows.append([line])
    rows.sort(key=lambda row: min(t.box[1] + t.box[3] / 2 for t in row))
    return [t for row in rows for t in sorted(row, key=lambda t: t.box[0])]


_LOADED: dict[tuple, OcrModel] = {}


def load_ocr(min_score: float = MIN_SCORE) -> OcrModel:
    """The OCR model, once per process (ModelMissingError, exit 4, without the rapidocr package)."""
    key = (round(float(min_score), 4),)
    if key not in _LOADED:
        _LOADED[key] = OcrModel(min_score=min_score)
    return _LOADED[key]
