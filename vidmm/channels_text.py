"""The on-screen text channel: what the OCR model reads on a file's frames, cached like the other channels.

Tasks reach it through ``extractor.text(path, model)`` (vidmm.features); ``vidmm ocr`` turns it into a
deduplicated timeline (vidmm.tasks.ocr), caption, ask, search and report read it as evidence.

Which frames are read, and how:

* a photo: the picture itself (the detector sees it at up to ``models.ocr.MAX_SIDE``);
* a video: a frame every ``step`` seconds (``interval``, stretched so that at most ``MAX_READS`` frames
  are sampled; the sampling prefers a keyframe near each target, which decodes far less), decoded with its
  short side at ``READ_SIZE``. The detector looks at a copy with a short side of ``LOOK_SIZE`` first and
  runs at ``DET_SIZE`` only on the regions where that copy may show text (vidmm.models.ocr_regions); the
  recogniser runs only on the boxes found, cut from the ``READ_SIZE`` frame. Two savings on top:
  - a frame that shows what the last one read showed takes that frame's lines without running any model:
    its 32x32 grey thumbnail hardly differs on average (``CHANGE``), and either all of it moved a little
    (a slow pan: the same text) or it stood still with no cell changed much (``CHANGE_MAX``: new text on a
    still picture) and no box of text changed (``TEXT_CHANGE``: a clock over a still picture);
  - a box that covers (IoU >= ``SAME_PLACE``) a box of the last frame read, where the picture inside that
    box shows the same strokes as when it was read (``TEXT_CHANGE``, see ``_strokes``), takes its reading
    without running the recogniser: a lower third, a logo or a copyright line that stays; a burned-in
    clock whose seconds change is read again;
* where the text read changes between two frames, the frames every ``1 / 2**REFINE`` of the way between
  them are read too, in one more pass through the file: denser where text comes and goes (slides,
  subtitles), sparse where it stays. Such a frame needs no detector: the boxes of the frames either side
  that do not agree are recognised on it, the others keep their reading.

The result (`TextFrames`) keeps every line scoring at least ``models.ocr.FLOOR``; tasks leave out those below
the model's ``min_score``. It is cached by file content, model, sampling, sizes and window. docs/ocr.md
measures the sizes and what they cost.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from .cache import make_key

TEXT_VERSION = "text-v6"
#: Short side of the video frames decoded, the recogniser's crops come from them (docs/ocr.md).
READ_SIZE = 720
#: Short side of the copy the detector runs on (docs/ocr.md: the detector is most of the cost; at 480 it
#: misses text under about 2 % of the frame's height that it finds at 720).
DET_SIZE = 720
#: Short side of the copy the detector looks at first: it runs at ``DET_SIZE`` only where its map on that
#: copy may show text (vidmm.models.ocr_regions; docs/ocr.md: the same lines, the channel in 0.35-0.7x
#: the time).
LOOK_SIZE = 360
#: Short side the detector sees in ``glance`` (the sampled frames, for caption and search): 35 % less time
#: than at 360 with the same prominent lines on the media clips (docs/ocr.md).
GLANCE_DET_SIZE = 256
#: Seconds between the frames read, and the most frames sampled per file before the step is stretched.
INTERVAL = 1.0
MAX_READS = 120
#: Mean and largest absolute difference (0-255) of 32x32 grey thumbnails under which a frame may show what
#: the last one read showed (the largest: a subtitle appearing on a still picture changes a few cells a
#: lot, 13-47, and the mean by 0.04-1.2). A picture where more than ``MOVING`` of the cells changed by
#: ``STILL`` or more moved (a pan or zoom: 0.12-0.45 of the cells; a subtitle appearing: 0.004-0.023);
#: otherwise it stood still (compression noise: 0-2).
CHANGE = 4.0
CHANGE_MAX = 10.0
STILL = 3.0
MOVING = 0.08
#: A box shows the text it showed when read while no character-sized stretch of its strokes changed by
#: this share (see ``_strokes``; docs/ocr.md: a clock's last digit changing measured 0.38 and more, the same
#: line over a still picture under 0.1, over a moving one 0.1-0.8).
TEXT_CHANGE = 0.2
#: ...compared where the box's strokes match best within this share of its height around it: text that
#: moved a little between two frames read (a pan, a zoom) has not changed.
SHIFT = 0.5
SAME_PLACE = 0.7
#: Where the text read changes, frames every 1/2**REFINE of the step are read too (a change is placed
#: within a quarter of the step).
REFINE = 2


@dataclass
class TextFrames:
    """Lines read per frame: per frame ``times`` (and whether the detector ``ran`` on it), per line the rest."""

    times: np.ndarray  # (N,) seconds
    ran: np.ndarray  # (N,) bool: this frame was read (else it repeats the last frame read)
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
                sampling=extractor.sampling(path), refine=0, look=None)


def text(extractor, path: str, model, interval: float = INTERVAL, size: int = READ_SIZE,
         det_size: int | None = DET_SIZE, sampling=None, refine: int = REFINE,
         look: int | None = LOOK_SIZE) -> TextFrames:
    """The lines of text on the file's frames (cached); see the module doc for which frames are read.
    ``sampling`` replaces the frame every ``interval`` s; ``det_size`` None runs the detector on the frames
    as decoded; ``look`` None runs it on the whole of each frame without looking first."""
    from .media.frames import Sampling
    from .media.window import span_key
    from .models import ocr_regions
    from .models.ocr import FLOOR

    info = extractor.require_video(path)
    photo = info.kind == "image"
    span = extractor.span(path)
    duration = float(info.duration or 0.0) if span is None else span[1] - span[0]
    step = 0.0 if photo else max(float(interval), duration / MAX_READS)
    if not photo:
        sampling = extractor.sampling(path, sampling or Sampling.every(step))
    key = make_key(TEXT_VERSION, extractor.identity(path), model.name, FLOOR, model.max_side,
                   None if photo else (sampling.key(), size, det_size, refine, CHANGE, CHANGE_MAX, STILL, MOVING,
                                       TEXT_CHANGE, SHIFT, round(model.min_score, 4)),
                   None if photo or not look else (look, ocr_regions.LOW, ocr_regions.PAD, ocr_regions.MOST,
                                                   ocr_regions.SPECK, ocr_regions.FLAT),
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
        reader = _Reader(model, det_size, look)
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


_LOOK = object()  # read(): look first


class _Reader:
    """Detection on a ``det_size`` copy, recognition on the frame itself, readings of unchanged boxes kept
    from the last frame read (see the module doc)."""

    def __init__(self, model, det_size: int | None, look: int | None = None):
        self.model, self.det_size, self.look = model, det_size, look
        self.where = None  # the regions looked at on the last frame read (None: the whole frame)
        #: per box of the last frame read: (quad, strokes inside it when it was read, reading)
        self.last: list[tuple[np.ndarray, np.ndarray, tuple[str, float]]] = []
        self.recognised = 0

    def _small(self, image: np.ndarray) -> np.ndarray:
        """The copy of a frame the detector sees (``det_size``)."""
        from .media.frames import scaled_size

        h, w = image.shape[:2]
        if self.det_size:
            sw, sh = scaled_size(w, h, self.det_size)
            if (sw, sh) != (w, h):
                import cv2

                return cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
        return image

    def look_at(self, image: np.ndarray):
        """Where text may be on a frame (``OcrModel.look_at`` on the detector's copy); None: anywhere."""
        return self.model.look_at(self._small(image), self.look) if self.look else None

    def read(self, image: np.ndarray, where=_LOOK) -> list:
        """The lines on a frame; ``where`` is ``look_at``'s answer when the caller has it already. Keeps
        the regions looked at in ``where`` and the boxes read in ``last``."""
        from .models.ocr import boxes_of, in_reading_order

        h, w = image.shape[:2]
        small = self._small(image)
        if self.look:
            self.where = self.look_at(image) if where is _LOOK else where
            quads = self.model.find(small, self.where)
        else:
            self.where = None
            quads = self.model.detect(small)
        quads = quads * np.array([w / small.shape[1], h / small.shape[0]], np.float32)
        kept = [self._same(image, q) for q in quads]
        todo = [i for i, k in enumerate(kept) if k is None]
        for i, r in zip(todo, self.model.recognise(image, quads[todo])):
            kept[i] = (quads[i], _strokes(image, quads[i]), r)
        self.recognised += len(todo)
        self.last = kept
        return in_reading_order(boxes_of(quads, [k[2] for k in kept], w, h))

    def between(self, image: np.ndarray, before: list, after: list) -> tuple[list, list]:
        """The lines of a frame shown between two read frames whose boxes (``last`` entries) are ``before``
        and ``after``: a box at the same place with the same reading on both keeps it; the boxes that differ
        are recognised on this frame, and kept when read with a score of at least the model's
        ``min_score`` (a line already gone reads as noise). (lines, entries for ``last``)."""
        from .models.ocr import boxes_of, in_reading_order
        from .text_lines import norm, similar

        def same(x, y) -> bool:  # one line on both frames (read alike, at about the same place)
            return similar(norm(x[2][0]), norm(y[2][0]), _rect(x[0]), _rect(y[0])) > 0

        agreed = [any(same(x, y) for y in after) for x in before]
        kept = [x for x, ok in zip(before, agreed) if ok]
        changed: list[np.ndarray] = []
        for x in [x for x, ok in zip(before, agreed) if not ok] + [y for y in after
                                                                  if not any(same(y, x) for x in before)]:
            if not any(_iou(x[0], q) >= SAME_PLACE for q in changed):
                changed.append(x[0])
        for q, r in zip(changed, self.model.recognise(image, np.array(changed, np.float32).reshape(-1, 4, 2))):
            if r[0] and r[1] >= self.model.min_score:
                kept.append((q, _strokes(image, q), r))
        self.recognised += len(changed)
        h, w = image.shape[:2]
        quads = np.array([x[0] for x in kept], np.float32).reshape(-1, 4, 2)
        return in_reading_order(boxes_of(quads, [x[2] for x in kept], w, h)), kept

    def _same(self, image: np.ndarray, quad: np.ndarray):
        """The entry of the last frame's box at this place, when the picture there still shows the strokes it
        showed when read (cut at that box, not this frame's, which the detector draws a little differently
        each time; compared where they match best, see ``_changed``)."""
        for entry in self.last:
            if (_iou(quad, entry[0]) >= SAME_PLACE
                    and _changed(entry[1], _strokes(image, entry[0], margin=SHIFT)) < TEXT_CHANGE):
                return entry
        return None


def _strokes(image: np.ndarray, quad: np.ndarray, height: int = 16, margin: float = 0.0) -> np.ndarray:
    """The box cut out of ``image``, grey, ``height`` px high (at most 32x as wide), less its local mean: the
    strokes of its characters, without the picture's slow changes behind them. With ``margin``, that much
    of the box's height more on every side (for ``_changed`` to find where the text moved to)."""
    import cv2

    from .models.ocr import crop

    q = np.asarray(quad, np.float32)
    bw = max(float(np.linalg.norm(q[0] - q[1])), 1.0)
    bh = max(float(np.linalg.norm(q[0] - q[3])), 1.0)
    long_, short = (bh, bw) if bh >= 1.5 * bw else (bw, bh)  # crop() lays a tall box on its side
    w = max(height, min(32 * height, round(height * long_ / short)))
    m = round(margin * height)
    if m:
        u, v = (q[1] - q[0]) / bw, (q[3] - q[0]) / bh  # along and across the line
        d = margin * bh
        q = q + np.array([-u - v, u - v, u + v, -u + v], np.float32) * d
    c = crop(image, q)
    grey = cv2.cvtColor(c, cv2.COLOR_RGB2GRAY) if c.ndim == 3 else c
    grey = cv2.resize(grey, (w + 2 * m, height + 2 * m), interpolation=cv2.INTER_AREA).astype(np.float32)
    return grey - cv2.blur(grey, (5, 5))


def _changed(a: np.ndarray, b: np.ndarray) -> float:
    """The largest change between two ``_strokes`` over any stretch as wide as the box is high (about one
    character), as a share of the strokes there: one digit of a clock changing shows, however long the
    line. ``b`` may be cut with a margin: ``a`` is compared where it matches ``b`` best (text that moved a
    little, in a pan or a zoom, has not changed)."""
    import cv2

    if b.shape[0] > a.shape[0] and b.shape[1] > a.shape[1]:
        fit = cv2.matchTemplate(b, a, cv2.TM_SQDIFF)
        y, x = np.unravel_index(int(np.argmin(fit)), fit.shape)
        b = b[y:y + a.shape[0], x:x + a.shape[1]]
    elif b.shape != a.shape:
        b = cv2.resize(b, a.shape[::-1], interpolation=cv2.INTER_AREA)
    h = a.shape[0]
    diff, ink = np.abs(a - b), (np.abs(a) + np.abs(b)) / 2
    return max(float(diff[:, i:i + h].sum() / (ink[:, i:i + h].sum() + h * h))
               for i in range(0, max(1, a.shape[1] - h // 2), h // 2))


def _within(new, old) -> bool:
    """Every region of ``new`` lies mostly (80 %) inside the regions of ``old`` (``look_at`` answers; None,
    the whole frame, is never within)."""
    if new is None or old is None:
        return False
    for x0, y0, x1, y1 in new:
        area = (x1 - x0) * (y1 - y0)
        inside = sum(max(0, min(x1, u1) - max(x0, u0)) * max(0, min(y1, v1) - max(y0, v0)) for u0, v0, u1, v1 in old)
        if area > 0 and inside < 0.8 * area:
            return False
    return True


def _rect(quad: np.ndarray) -> tuple[float, float, float, float]:
    x0, y0 = float(quad[:, 0].min()), float(quad[:, 1].min())
    return x0, y0, float(quad[:, 0].max()) - x0, float(quad[:, 1].max()) - y0


def _differ(a: list, b: list, min_score: float) -> bool:
    """Two frames' lines (`TextBox`) show other text: a line of one is not a line of the other (read alike
    at about the same place; a misread letter is the same line, another digit is not: vidmm.text_lines)."""
    from .text_lines import norm, similar

    ka = [(norm(t.text), t.box) for t in kept(a, min_score)]
    kb = [(norm(t.text), t.box) for t in kept(b, min_score)]
    return (any(not any(similar(x, y, bx, by) for y, by in kb) for x, bx in ka)
            or any(not any(similar(y, x, by, bx) for x, bx in ka) for y, by in kb))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of the upright rectangles around two quads."""
    from .text_lines import iou

    return iou(_rect(a), _rect(b))


def _read_video(extractor, path, reader: _Reader, sampling, size, refine: int = REFINE):
    """{time: lines} and {time: detector ran} of the sampled frames, then of the midpoints where text changed."""
    from .media.frames import Sampling

    read: dict[float, list] = {}
    ran: dict[float, bool] = {}
    thumbs: dict[float, np.ndarray] = {}
    min_score = reader.model.min_score

    marks: dict[float, list] = {}  # per frame: the boxes of the frame read for it, with their strokes then
    looked: dict[float, list | None] = {}  # per frame read: the regions its detector looked at (None: all)

    def same_as(image: np.ndarray, thumb: np.ndarray, ref: float):
        """(whether the frame shows what frame ``ref`` showed, the regions looked at to tell or ``_LOOK``):
        the picture hardly changed on average, and either it moved a little all over (a slow pan or zoom:
        the same text, moved) or it stood still, with no new place where text may be (new text on a still
        picture) and no line of text changed (a clock)."""
        d = np.abs(thumb - thumbs[ref])
        if float(d.mean()) >= CHANGE:
            return False, _LOOK
        if float((d >= STILL).mean()) > MOVING:
            return True, _LOOK  # the camera moved a little: the same text, moved (in-place changes go unseen)
        where = _LOOK
        if float(d.max()) >= CHANGE_MAX:  # something changed in a still picture: new text?
            where = reader.look_at(image)
            if not _within(where, looked[ref]):
                return False, where
        return all(_changed(strokes, _strokes(image, quad, margin=SHIFT)) < TEXT_CHANGE
                   for quad, strokes, _ in marks[ref]), where

    def take(frames):
        """Read each frame in time order, or give it the lines of the last frame read when it shows the same."""
        last = None
        for f in frames:
            t = f.seconds
            if t in read:
                continue
            thumb = _thumb(f.image)
            same, where = same_as(f.image, thumb, last) if last is not None else (False, _LOOK)
            if same:
                read[t], ran[t], marks[t] = read[last], False, marks[last]
            else:
                read[t], ran[t], last = reader.read(f.image, where), True, t
                marks[t], looked[t] = reader.last, reader.where
            thumbs[t] = thumb

    def between(frames):
        """Read each frame shown where the text changed between the two frames read either side of it: a
        line the two agree on is taken as it is, only the boxes that changed are recognised (no detector:
        what is on a frame between two others is what is on one of them, in the same places)."""
        known = sorted(read)
        for f in frames:
            t = f.seconds
            if t in read:
                continue
            i = bisect.bisect_left(known, t)
            if i == 0 or i == len(known):
                continue
            lines, marks[t] = reader.between(f.image, marks[known[i - 1]], marks[known[i]])
            read[t], ran[t] = lines, True
            known.insert(i, t)

    take(extractor.stream(path, sampling, size=size))
    times = sorted(read)
    gaps = [(a, b) for a, b in zip(times, times[1:]) if b - a > 0.2 and _differ(read[a], read[b], min_score)]
    if refine and gaps:
        # every 1/2**refine of each gap where the text changed, in one pass through the file, in time order
        # (each frame then sits between two frames read). Exact: a keyframe near a point would often be a
        # frame already read, and the change stay unplaced.
        parts = 2 ** refine
        points = [(a + k * (b - a) / parts, (b - a) / parts) for a, b in gaps for k in range(1, parts)]
        between(extractor.stream(path, Sampling.at(points, mode="exact"), size=size))
    return read, ran
