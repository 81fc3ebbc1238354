"""Face detection (YuNet through OpenCV, UltraFace through onnxruntime) and an IoU tracker.

Both detectors share one call, ``detector.detect(image_rgb) -> list[Face]`` with boxes in pixels of
the given image, so tasks pick one by name (``load_detector("yunet")``).

Why YuNet is the default (measured 2026-11-23 on 2 shared cores, frames sampled every 0.5 s at 360 px
short side from short_hamilton_clip.mp4, birthday.mp4 and mmaction2_test.avi, plus the 7 single-face
photos; "visible" faces counted by eye per frame, 87 in all):

    detector            frames/s   visible faces found   extra detections
    yunet               24-57      87/87                 20 (blurry audience faces, checked by eye)
    ultraface-rfb-320   24-29      86/87                  1
    ultraface-slim-320  23-31      85/87                  6

(the speed range is two runs with other jobs on the machine). YuNet is as fast or faster, finds the
small and dim faces UltraFace misses, gives five landmarks, and needs no runtime beyond OpenCV.
Frame size: YuNet found the same 80/80 video faces at 360, 288 and 240 px short side (23, 36 and
50 frames/s), so the emotion task detects at 240 px (``benchmarks/emotion.py`` reruns all of this).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vidmm.models import registry

DEFAULT_DETECTOR = "yunet"
DETECTORS = ("yunet", "ultraface-rfb-320", "ultraface-slim-320")


@dataclass
class Face:
    """One detected face. ``box`` is (x1, y1, x2, y2) in pixels; ``landmarks`` (5, 2) when the detector
    gives them: right eye, left eye, nose tip, right and left mouth corner (subject's view)."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: np.ndarray | None = None
    track: int | None = None

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    def to_dict(self) -> dict:
        d = {"box": [round(float(v), 1) for v in self.box], "score": round(float(self.score), 3)}
        if self.landmarks is not None:
            d["landmarks"] = np.round(self.landmarks, 1).tolist()
        if self.track is not None:
            d["track"] = self.track
        return d


def _threads() -> int:
    from ..threads import budget

    return budget(4)


class YuNetDetector:
    """OpenCV's cv2.FaceDetectorYN; works best on faces of ~10-300 px, so large frames are downscaled."""

    name = "yunet"

    def __init__(self, models_dir=None, score_threshold: float = 0.6, nms_threshold: float = 0.3,
                 max_side: int = 1280):
        import cv2

        self._cv2 = cv2
        try:  # OpenCV 5 warns once that its new graph engine ignores the target: not actionable here
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        except AttributeError:
            pass
        path = registry.model_path("yunet", models_dir)
        self.det = cv2.FaceDetectorYN.create(str(path), "", (320, 320), score_threshold, nms_threshold, 5000)
        self.max_side = max_side
        self._size: tuple[int, int] | None = None

    def detect(self, image_rgb: np.ndarray) -> list[Face]:
        cv2 = self._cv2
        scale = min(1.0, self.max_side / max(image_rgb.shape[:2]))
        img = cv2.resize(image_rgb, None, fx=scale, fy=scale) if scale < 1 else image_rgb
        bgr = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)  # 10x faster than a reversed-channel copy
        size = (bgr.shape[1], bgr.shape[0])
        if size != self._size:
            self.det.setInputSize(size)
            self._size = size
        _, rows = self.det.detect(bgr)
        faces = []
        for r in [] if rows is None else rows:
            x, y, w, h = (float(v) / scale for v in r[:4])
            marks = (r[4:14].reshape(5, 2) / scale).astype(np.float32)
            faces.append(Face((x, y, x + w, y + h), float(r[14]), marks))
        return faces


class UltraFaceDetector:
    """Ultra-Light-Fast RFB-320 / slim-320 (onnxruntime); boxes are decoded inside the graph."""

    def __init__(self, name: str = "ultraface-rfb-320", models_dir=None, threshold: float = 0.7,
                 nms_iou: float = 0.3):
        import onnxruntime as ort

        self.name = name
        opts = ort.SessionOptions()
        opts.log_severity_level = 3  # the graphs list weights as inputs: silence one warning per weight
        opts.intra_op_num_threads = _threads()
        self.sess = ort.InferenceSession(str(registry.model_path(name, models_dir)), opts,
                                         providers=["CPUExecutionProvider"])
        self.threshold, self.nms_iou = threshold, nms_iou

    def detect(self, image_rgb: np.ndarray) -> list[Face]:
        import cv2

        h, w = image_rgb.shape[:2]
        x = (cv2.resize(image_rgb, (320, 240)).astype(np.float32) - 127.0) / 128.0
        scores, boxes = self.sess.run(None, {"input": x.transpose(2, 0, 1)[None]})
        p = scores[0, :, 1]
        keep = p > self.threshold
        b, s = boxes[0][keep], p[keep]
        scale = np.array([w, h, w, h], np.float32)
        return [Face(tuple(float(v) for v in np.clip(b[i], 0, 1) * scale), float(s[i]))
                for i in nms(b, s, self.nms_iou)]


def load_detector(name: str = DEFAULT_DETECTOR, models_dir=None):
    """A face detector by name: "yunet" (default), "ultraface-rfb-320" or "ultraface-slim-320"."""
    if name == "yunet":
        return YuNetDetector(models_dir)
    if name in ("ultraface-rfb-320", "ultraface-slim-320", "ultraface"):
        return UltraFaceDetector("ultraface-rfb-320" if name == "ultraface" else name, models_dir)
    from vidmm.errors import UsageError

    raise UsageError(f"unknown face detector {name!r}", hint=f"choose one of {', '.join(DETECTORS)}")


# ---------------------------------------------------------------------------------------------


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    """Hard NMS; indices of kept boxes, best first."""
    order = list(np.argsort(scores)[::-1])
    keep = []
    while order:
        i = order.pop(0)
        keep.append(int(i))
        order = [j for j in order if iou(boxes[i], boxes[j]) <= iou_threshold]
    return keep


@dataclass
class _Track:
    id: int
    box: tuple[float, float, float, float]
    last_seen: int
    hits: int = 1


@dataclass
class IoUTracker:
    """Greedy IoU matching of each frame's faces to the tracks seen recently.

    Frames are sampled sparsely (a few per second), so faces move between samples: the threshold is
    low and a track survives ``max_gap`` sampled frames without a match (a blink of the detector, a
    cut-away and back). A shot cut can be signalled with ``reset()``.
    """

    iou_threshold: float = 0.2
    max_gap: int = 3
    _tracks: list[_Track] = field(default_factory=list)
    _next: int = 1
    _step: int = 0

    def reset(self) -> None:
        self._tracks = []

    def update(self, faces: list[Face]) -> list[Face]:
        """Sets ``face.track`` on each face (new ids for unmatched faces) and returns the faces."""
        self._step += 1
        self._tracks = [t for t in self._tracks if self._step - t.last_seen <= self.max_gap + 1]
        pairs = sorted(((iou(t.box, f.box), ti, fi) for ti, t in enumerate(self._tracks)
                        for fi, f in enumerate(faces)), reverse=True)
        used_t, used_f = set(), set()
        for score, ti, fi in pairs:
            if score < self.iou_threshold:
                break
            if ti in used_t or fi in used_f:
                continue
            used_t.add(ti)
            used_f.add(fi)
            t = self._tracks[ti]
            t.box, t.last_seen, t.hits = faces[fi].box, self._step, t.hits + 1
            faces[fi].track = t.id
        for fi, f in enumerate(faces):
            if fi not in used_f:
                self._tracks.append(_Track(self._next, f.box, self._step))
                f.track = self._next
                self._next += 1
        return faces
