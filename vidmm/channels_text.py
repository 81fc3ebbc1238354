"""The on-screen text channel: what the OCR model reads on a file's frames, cached like the other channels.

Tasks reach it through ``extractor.text(path, model)`` (vidmm.features); ``vidmm ocr`` turns it into a
deduplicated timeline (vidmm.tasks.ocr), caption, ask, search and report read it as evidence.

Which frames are read:

* a photo: the picture itself, at up to ``models.ocr.MAX_SIDE``;
* a video: a frame every ``step`` seconds (``interval``, stretched so that at most ``MAX_READS`` frames are
  read), decoded with its short side at ``OCR_SIZE``. A frame that hardly differs from the last one read
  (``CHANGE``, on a 32x32 grey thumbnail) takes that frame's lines without running the model; the detector
  runs on the others and recognition only where it found text;
* where the text changes between two frames read, the frame halfway between them is read too, ``REFINE``
  times over (denser where text comes and goes, as on slides; sparse where it stays).

The result (``TextFrames``) is cached by file content, model, sampling, size and window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cache import make_key

TEXT_VERSION = "text-v1"
#: Short side of the video frames read. 360 px already reads Big Buck Bunny's title and testvideo's
#: copyright line; 480 keeps smaller text (docs/ocr.md).
OCR_SIZE = 480
#: Seconds between the frames read, and the most frames read per file before the step is stretched.
INTERVAL = 1.0
MAX_READS = 40
#: Mean absolute difference (0-255) of 32x32 grey thumbnails under which a frame shows what the last one
#: read showed.
CHANGE = 4.0
#: Rounds of halving the step where the text read changes.
REFINE = 2


@dataclass
class TextFrames:
    """Lines read per frame: per frame ``times`` (and whether the model ``ran`` on it), per line the rest."""

    times: np.ndarray  # (N,) seconds
    ran: np.ndarray  # (N,) bool: the model read this frame (else it repeats the last frame read)
    frame: np.ndarray  # (K,) the frame each line is on
    boxes: np.ndarray  # (K, 4) x, y, w, h as shares of the frame
    scores: np.ndarray  # (K,)
    texts: list[str] = field(default_factory=list)
    step: float = 0.0  # seconds a frame stands for (0 for a photo)
    duration: float = 0.0

    def lines_on(self, i: int) -> list[tuple[str, float, tuple]]:
        return [(self.texts[k], float(self.scores[k]), tuple(float(v) for v in self.boxes[k]))
                for k in np.flatnonzero(self.frame == i)]


def _thumb(image: np.ndarray) -> np.ndarray:
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)


def _norm(lines) -> frozenset:
    return frozenset("".join(t.text.lower().split()) for t in lines)


def text(extractor, path: str, model, interval: float = INTERVAL, size: int = OCR_SIZE) -> TextFrames:
    """The lines of text on the file's frames (cached); see the module doc for which frames are read."""
    from .media.frames import Sampling
    from .media.window import span_key

    info = extractor.require_video(path)
    photo = info.kind == "image"
    span = extractor.span(path)
    duration = float(info.duration or 0.0) if span is None else span[1] - span[0]
    step = 0.0 if photo else max(float(interval), duration / MAX_READS)
    sampling = None if photo else extractor.sampling(path, Sampling.every(step))
    key = make_key(TEXT_VERSION, extractor.identity(path), model.name, model.min_score, model.max_side,
                   None if photo else (sampling.key(), size, REFINE, CHANGE), *filter(None, [span_key(span)]))
    hit = extractor.cache.get("text", key)
    if hit is not None:
        a, meta = hit
        return TextFrames(a["times"], a["ran"].astype(bool), a["frame"], a["boxes"], a["scores"],
                          list(meta["texts"]), float(meta["step"]), float(meta["duration"]))
    if photo:
        frames = extractor.frames(path, size=None)
        read = {0.0: model.read(frames[0].image)}
        ran = {0.0: True}
    else:
        read, ran = _read_video(extractor, path, model, sampling, size, step)
    times = sorted(read)
    frame, boxes, scores, texts = [], [], [], []
    for i, t in enumerate(times):
        for line in read[t]:
            frame.append(i)
            boxes.append(line.box)
            scores.append(line.score)
            texts.append(line.text)
    out = TextFrames(np.array(times, np.float64), np.array([ran[t] for t in times], bool),
                     np.array(frame, np.int64), np.array(boxes, np.float32).reshape(-1, 4),
                     np.array(scores, np.float32), texts, step, duration)
    extractor.cache.put("text", key, {"times": out.times, "ran": out.ran.astype(np.uint8), "frame": out.frame,
                                      "boxes": out.boxes, "scores": out.scores},
                        {"texts": texts, "step": step, "duration": duration})
    return out


def _read_video(extractor, path, model, sampling, size, step):
    """{time: lines} and {time: model ran} of the sampled frames, then of the midpoints where text changed."""
    from .media.frames import Sampling

    read: dict[float, list] = {}
    ran: dict[float, bool] = {}
    thumbs: dict[float, np.ndarray] = {}

    def take(frames, sequential: bool):
        """Read each frame, or give it the lines of the frame it shows again: the last frame the model
        ran on (in time order), or for a midpoint the nearest frame already seen."""
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
                read[t], ran[t], last = model.read(f.image), True, t
            thumbs[t] = thumb

    take(extractor.frames(path, sampling, size=size), True)
    for _ in range(REFINE):
        times = sorted(read)
        gaps = [(a, b) for a, b in zip(times, times[1:]) if _norm(read[a]) != _norm(read[b]) and b - a > 0.2]
        if not gaps:
            break
        take(extractor.frames(path, Sampling.per_shot(gaps, per_shot=1), size=size), False)
    return read, ran
