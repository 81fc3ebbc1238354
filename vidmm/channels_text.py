"""The on-screen text channel: what the OCR model reads on a file's frames, cached like the other channels.

Tasks reach it through ``extractor.text(path, model)`` (vidmm.features); ``vidmm ocr`` turns it into a
deduplicated timeline (vidmm.tasks.ocr), caption, ask, search and report read it as evidence.

Which frames are read, and how:

* a photo: the picture itself (the detector sees it at up to ``models.ocr.MAX_SIDE``);
* a video: a frame every ``step`` seconds (``interval``, stretched so that at most ``MAX_READS`` frames
  are sampled; the sampling prefers a keyframe near each target, which decodes far less), decoded with its
  short side at ``READ_SIZE``. The detector runs on a copy scaled to ``DET_SIZE``, the recogniser only on
  the boxes it found, cut from the sharper ``READ_SIZE`` frame. Two savings on top:
  - a frame that hardly differs from the last one read (``CHANGE``, 32x32 grey thumbnails) takes that
    frame's lines without running any model;
  - a box that covers (IoU >= ``SAME_PLACE``) a box of the last frame read, with a crop that hardly differs
    from that box's crop, takes its reading without running the recogniser (a lower third or a logo that
    stays while the picture around it moves);
* where the text read changes between two frames, the frame halfway between them is read too, ``REFINE``
  times over: denser where text comes and goes (slides, subtitles), sparse where it stays.

The result (`TextFrames`) keeps every line scoring at least ``models.ocr.FLOOR``; tasks leave out those below
the model's ``min_score``. It is cached by file content, model, sampling, sizes and window. docs/ocr.md
measures the sizes and what they cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cache import make_key

TEXT_VERSION = "text-v5"
#: Short side of the video frames decoded, the recogniser's crops come from them (docs/ocr.md).
READ_SIZE = 720
#: Short side of the copy the detector runs on (docs/ocr.md: the detector is most of the cost; at 480 it
#: misses text under about 2 % of the frame's height that it finds at 720).
DET_SIZE = 720
#: Short side the detector sees in ``glance`` (the sampled frames, for caption and search): 35 % less time
#: than at 360 with the same prominent lines on the media clips (docs/ocr.md).
GLANCE_DET_SIZE = 256
#: Seconds between the frames read, and the most frames sampled per file before the step is stretched.
INTERVAL = 1.0
MAX_READS = 120
#: Mean absolute difference (0-255) of 32x32 grey thumbnails under which a frame shows what the last one
#: read showed; and of 16x64 crops under which a box shows what the same box showed.
CHANGE = 4.0
CROP_CHANGE = 6.0
SAME_PLACE = 0.7
#: Rounds of halving the step where the text read changes.
REFINE = 2


@dataclass
class TextFrames:
    """Lines read per frame: per frame ``times`` (and whether the detector ``ran`` on it), per line the rest."""

    times: np.ndarray  # (N,) seconds
    ran: np.ndarray  # (N,) bool: the detector ran on this frame (else it repeats the last frame read)
    frame: np.ndarray  # (K,) the frame each line is on
    boxes: np.ndarray  # (K, 4) x, y, w, h as shares of the frame
    scores: np.ndarray  # (K,)
    texts: list[str] = field(default_factory=list)
    step: float = 0.0  # seconds a frame stands for (0 for a photo)
    duration: float = 0.0
    recognised: int = 0  # boxes the recogniser ran on (the others took an earlier frame's reading)

    def lines_on(self, i: int, min_score: float = 0.0) -> list[tuple[str, float, tuple]]:
        """(text, score, box) of the lines on frame ``i`` scoring at least ``min_score`` (see ``kept``)."""
        on = [(self.texts[k], float(self.scores[k]), tuple(float(v) for v in self.boxes[k]))
              for k in np.flatnonzero(self.frame == i)]
        return kept(on, min_score)


def kept(lines: list, min_score: float) -> list:
    """The lines (anything with ``text`` and ``score``, or (text, score, ...) tuples) scoring at least
    ``min_score``, less a lone character: one sign on a frame with no other text is the detector taking a
    wheel for a "Q" or a window for a "日" (measured on street footage, docs/ocr.md); beside other text it
    stays (the "W" and "E" of a street sign)."""
    def text_score(x):
        return (x[0], x[1]) if isinstance(x, tuple) else (x.text, x.score)

    sure = [x for x in lines if text_score(x)[1] >= min_score]
    if any(len(text_score(x)[0].strip()) > 1 for x in sure):
        return sure
    return [x for x in sure if len(text_score(x)[0].strip()) > 1]


def _thumb(image: np.ndarray, size=(32, 32)) -> np.ndarray:
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def _norm(lines, min_score: float) -> frozenset:
    return frozenset("".join(t.text.lower().split()) for t in kept(lines, min_score))


def glance(extractor, path: str, model) -> TextFrames:
    """The text on the frames every visual task samples anyway (the extractor's default sampling, decoded
    once at ``features.DECODE_SIZE`` for the backbone and faces): no decode of its own, the detector on each
    frame unless it shows what the last one read showed, no refinement. Caption and search quote and match
    prominent text from it at a small share of ``text``'s cost; ``vidmm ocr`` and questions about text read
    the dense channel (docs/ocr.md compares them). The detector sees the frames at ``GLANCE_DET_SIZE``:
    prominent type is large (caption quotes lines at least 0.7 as tall as the tallest), and the recogniser
    still reads each box from the decoded frame."""
    from .features import DECODE_SIZE

    if extractor.require_video(path).kind == "image":
        return text(extractor, path, model)
    return text(extractor, path, model, size=DECODE_SIZE, det_size=GLANCE_DET_SIZE,
                sampling=extractor.sampling(path), refine=0)


def text(extractor, path: str, model, interval: float = INTERVAL, size: int = READ_SIZE,
         det_size: int | None = DET_SIZE, sampling=None, refine: int = REFINE) -> TextFrames:
    """The lines of text on the file's frames (cached); see the module doc for which frames are read.
    ``sampling`` replaces the frame every ``interval`` s; ``det_size`` None runs the detector on the frames
    as decoded."""
    from .media.frames import Sampling
    from .media.window import span_key
    from .models.ocr import FLOOR

    info = extractor.require_video(path)
    photo = info.kind == "image"
    span = extractor.span(path)
    duration = float(info.duration or 0.0) if span is None else span[1] - span[0]
    step = 0.0 if photo else max(float(interval), duration / MAX_READS)
    if not photo:
        sampling = extractor.sampling(path, sampling or Sampling.every(step))
    key = make_key(TEXT_VERSION, extractor.identity(path), model.name, FLOOR, model.max_side,
                   None if photo else (sampling.key(), size, det_size, refine, CHANGE, CROP_CHANGE,
                                       round(model.min_score, 4)),
                   *filter(None, [span_key(span)]))
    hit = extractor.cache.get("text", key)
    if hit is not None:
        a, meta = hit
        return TextFrames(a["times"], a["ran"].astype(bool), a["frame"], a["boxes"], a["scores"],
                          list(meta["texts"]), float(meta["step"]), float(meta["duration"]),
                          int(meta.get("recognised", 0)))
    if photo:
        reader = _Reader(model, None)
        read = {0.0: reader.read(extractor.frames(path, size=None)[0].image)}
        ran = {0.0: True}
    else:
        reader = _Reader(model, det_size)
        read, ran = _read_video(extractor, path, reader, sampling, size, refine)
    times = sorted(read)
    if sampling is not None and sampling.kind != "every" and times:
        step = duration / len(times)  # what a frame of an uneven sampling stands for, on average
    frame, boxes, scores, texts = [], [], [], []
    for i, t in enumerate(times):
        for line in read[t]:
            frame.append(i)
            boxes.append(line.box)
            scores.append(line.score)
            texts.append(line.text)
    out = TextFrames(np.array(times, np.float64), np.array([ran[t] for t in times], bool),
                     np.array(frame, np.int64), np.array(boxes, np.float32).reshape(-1, 4),
                     np.array(scores, np.float32), texts, step, duration, reader.recognised)
    extractor.cache.put("text", key, {"times": out.times, "ran": out.ran.astype(np.uint8), "frame": out.frame,
                                      "boxes": out.boxes, "scores": out.scores},
                        {"texts": texts, "step": step, "duration": duration, "recognised": reader.recognised})
    return out


class _Reader:
    """Detection on a ``det_size`` copy, recognition on the frame itself, readings of unchanged boxes kept
    from the last frame read (see the module doc)."""

    def __init__(self, model, det_size: int | None):
        self.model, self.det_size = model, det_size
        self.last: list[tuple[np.ndarray, np.ndarray, tuple[str, float]]] = []  # (quad, crop thumb, reading)
        self.recognised = 0

    def read(self, image: np.ndarray) -> list:
        from .media.frames import scaled_size
        from .models.ocr import boxes_of, crop, in_reading_order

        h, w = image.shape[:2]
        small = image
        if self.det_size:
            sw, sh = scaled_size(w, h, self.det_size)
            if (sw, sh) != (w, h):
                import cv2

                small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
        quads = self.model.detect(small) * np.array([w / small.shape[1], h / small.shape[0]], np.float32)
        thumbs = [_thumb(crop(image, q), (64, 16)) for q in quads]
        readings: list[tuple[str, float] | None] = [self._same(q, t) for q, t in zip(quads, thumbs)]
        todo = [i for i, r in enumerate(readings) if r is None]
        for i, r in zip(todo, self.model.recognise(image, quads[todo])):
            readings[i] = r
        self.recognised += len(todo)
        self.last = list(zip(quads, thumbs, readings))
        return in_reading_order(boxes_of(quads, readings, w, h))

    def _same(self, quad: np.ndarray, thumb: np.ndarray) -> tuple[str, float] | None:
        for q, t, reading in self.last:
            if _iou(quad, q) >= SAME_PLACE and float(np.abs(thumb - t).mean()) < CROP_CHANGE:
                return reading
        return None


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of the upright rectangles around two quads."""
    ax0, ay0, ax1, ay1 = a[:, 0].min(), a[:, 1].min(), a[:, 0].max(), a[:, 1].max()
    bx0, by0, bx1, by1 = b[:, 0].min(), b[:, 1].min(), b[:, 0].max(), b[:, 1].max()
    inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return float(inter / union) if union > 0 else 0.0


def _read_video(extractor, path, reader: _Reader, sampling, size, refine: int = REFINE):
    """{time: lines} and {time: detector ran} of the sampled frames, then of the midpoints where text changed."""
    from .media.frames import Sampling

    read: dict[float, list] = {}
    ran: dict[float, bool] = {}
    thumbs: dict[float, np.ndarray] = {}
    min_score = reader.model.min_score

    def take(frames, sequential: bool):
        """Read each frame, or give it the lines of the frame it shows again: the last frame read (in time
        order), or for a midpoint the nearest frame already seen."""
        last = None
        for f in frames:
            t = f.seconds
            if t in read:
                continue
            thumb = _thumb(f.image)
            ref = last if sequential else (min(thumbs, key=lambda u: abs(u - t)) if thumbs else None)
            if ref is not None and float(np.abs(thumb - thumbs[ref]).mean()) < CHANGE:
                read[t], ran[t] = read[ref], False
            else:
                read[t], ran[t], last = reader.read(f.image), True, t
            thumbs[t] = thumb

    take(extractor.frames(path, sampling, size=size), True)
    for _ in range(refine):
        times = sorted(read)
        gaps = [(a, b) for a, b in zip(times, times[1:])
                if _norm(read[a], min_score) != _norm(read[b], min_score) and b - a > 0.2]
        if not gaps:
            break
        # exact: a keyframe near the midpoint would often be a frame already read, and the change stay unplaced
        take(extractor.frames(path, Sampling.per_shot(gaps, per_shot=1, mode="exact"), size=size), False)
    return read, ran
