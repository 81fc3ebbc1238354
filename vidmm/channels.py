"""Evidence channels every task may use: faces (and their expressions), sounds and speech of one file.

Each channel is computed once per file and kept in the extractor's on-disk cache, keyed by the file's
content, the model and the sampling, so caption, ask, emotion and report on one clip run each model once.
Tasks reach them through the `Extractor` (``extractor.faces(...)``, ``.sounds(...)``, ``.transcript(...)``);
none runs a model along a path of its own.

* faces: detections on the sampled frames, at one resolution (``FACE_SIZE``), with the expression
  probabilities of each face when an expression model is given;
* sounds: YAMNet scores per 0.975 s window;
* transcript: the speech (vidmm.tasks.transcribe, which caches itself).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cache import make_key
from .models.audio_events import AudioEvents
from .models.mini_xception import LABELS as EXPRESSIONS

FACES_VERSION = "faces-v2"
SOUNDS_VERSION = "yamnet-v1"
TRANSCRIPT_WINDOW_VERSION = "window-v1"  # with transcribe.TRANSCRIBE_VERSION
#: Short side of the frames faces are found in. YuNet found the same 80 of 80 visible video faces at 360,
#: 288 and 240 px, at 23, 36 and 50 frames/s (``python benchmarks/emotion.py``), so 240 for every task.
FACE_SIZE = 240
#: Faces smaller than this share of the frame height are background (audience) faces: they count for
#: "a group of people" but not as the clip's subject.
MAIN_FACE_MIN_HEIGHT = 0.08


@dataclass
class FaceFrames:
    """The faces found on each sampled frame: per frame ``times``/``heights``, per face the rest."""

    times: np.ndarray  # (N,) seconds of the sampled frames
    heights: np.ndarray  # (N,) frame height in pixels
    frame: np.ndarray  # (K,) the frame each face is on
    boxes: np.ndarray  # (K, 4) x1, y1, x2, y2 in pixels of the FACE_SIZE frame
    scores: np.ndarray  # (K,) detection scores
    probs: np.ndarray | None = None  # (K, 7) expression probabilities, when an expression model ran

    @property
    def total(self) -> np.ndarray:
        """Faces per frame."""
        return np.bincount(self.frame, minlength=len(self.times)).astype(np.int32)

    @property
    def main(self) -> np.ndarray:
        """Faces per frame at least MAIN_FACE_MIN_HEIGHT of the frame tall."""
        tall = (self.boxes[:, 3] - self.boxes[:, 1]) >= MAIN_FACE_MIN_HEIGHT * self.heights[self.frame] \
            if len(self.frame) else np.zeros(0, bool)
        return np.bincount(self.frame[tall], minlength=len(self.times)).astype(np.int32)

    def faces_on(self, i: int) -> np.ndarray:
        """Indices of the faces on frame ``i``."""
        return np.flatnonzero(self.frame == i)

    def in_range(self, a: float, b: float) -> np.ndarray:
        """Frames in [a, b); the frame nearest the middle when none is (a shot shorter than the spacing)."""
        m = (self.times >= a) & (self.times < max(b, a + 1e-6))
        if not m.any() and len(self.times):
            m = np.zeros(len(self.times), bool)
            m[int(np.argmin(np.abs(self.times - (a + b) / 2)))] = True
        return m


def faces(extractor, path: str, detector, sampling=None, expression=None) -> FaceFrames:
    """Faces on the sampled frames (default: the extractor's sampling, so they match the embeddings)."""
    sampling = extractor.sampling(path, sampling)
    key = make_key(FACES_VERSION, extractor.identity(path), getattr(detector, "name", "det"),
                   _model_id(expression), sampling.key(), FACE_SIZE)
    hit = extractor.cache.get("faces", key)
    if hit is not None:
        a = hit[0]
        return FaceFrames(a["times"], a["heights"], a["frame"], a["boxes"], a["scores"],
                          a["probs"] if "probs" in a else None)
    frames = extractor.frames(path, sampling, size=FACE_SIZE)
    times, heights, frame, boxes, scores, probs = [], [], [], [], [], []
    for i, f in enumerate(frames):
        found = detector.detect(f.image)
        times.append(f.seconds)
        heights.append(f.image.shape[0])
        for face in found:
            frame.append(i)
            boxes.append(face.box)
            scores.append(face.score)
        if expression is not None and found:
            probs.extend(expression.classify(f.image, found))
    out = FaceFrames(np.array(times, np.float64), np.array(heights, np.int32), np.array(frame, np.int64),
                     np.array(boxes, np.float32).reshape(-1, 4), np.array(scores, np.float32),
                     None if expression is None else np.array(probs, np.float32).reshape(len(frame), len(EXPRESSIONS)))
    arrays = {"times": out.times, "heights": out.heights, "frame": out.frame, "boxes": out.boxes,
              "scores": out.scores}
    if out.probs is not None:
        arrays["probs"] = out.probs
    extractor.cache.put("faces", key, arrays)
    return out


def _model_id(model) -> str | None:
    """A model's part of a cache key: None without one, else its name (or class and backend), so faces found
    with expressions and without them are kept apart."""
    if model is None:
        return None
    return getattr(model, "name", None) or f"{type(model).__name__}-{getattr(model, 'backend', '')}"


class Sounds(AudioEvents):
    """YAMNet scores per window, with the mean over a time range."""

    def mean(self, a: float, b: float) -> np.ndarray:
        """Mean score per class over the windows overlapping [a, b) (the nearest window when none does)."""
        if not len(self.times):
            return np.zeros(len(self.class_names), np.float32)
        m = (self.times + self.window_s > a) & (self.times < b)
        if not m.any():
            m = np.zeros(len(self.times), bool)
            m[int(np.argmin(np.abs(self.times - a)))] = True
        return self.scores[m].mean(axis=0)


def sounds(extractor, path: str, yamnet) -> Sounds | None:
    """YAMNet scores of the file's audio (cached), None without an audio track."""
    if not extractor.probe(path).has_audio:
        return None
    from .media.window import span_key

    key = make_key(SOUNDS_VERSION, extractor.identity(path), *filter(None, [span_key(extractor.span(path))]))
    hit = extractor.cache.get("sounds", key)
    if hit is not None:
        return Sounds(hit[0]["scores"].astype(np.float32), hit[0]["times"], list(yamnet.class_names))
    samples, offset = extractor.audio_in_window(path)
    if samples is None:
        return None
    ev = yamnet.events(samples)
    times = ev.times + offset  # in the file's clock
    scores = ev.scores.astype(np.float16)  # as the cache keeps them, so a re-run gives the same answer
    extractor.cache.put("sounds", key, {"times": times, "scores": scores})
    return Sounds(scores.astype(np.float32), times, list(ev.class_names), ev.window_s)


def transcript(extractor, path: str, speech_model, **options):
    """The file's transcript (cached by tasks/transcribe), or None without an audio track. In a window
    (``--start``/``--end``) only the window's audio is transcribed, with times in the file's clock."""
    if speech_model is None or not extractor.probe(path).has_audio:
        return None
    from .tasks.transcribe import TRANSCRIBE_VERSION, transcribe

    cache = extractor.cache if getattr(extractor.cache, "enabled", False) else None
    span = extractor.span(path)
    if span is None:
        return transcribe(path, speech_model, cache=cache, **options)
    from .media.window import span_key
    from .tasks.transcript import TranscriptResult

    progress = options.pop("progress", None)
    key = make_key(TRANSCRIPT_WINDOW_VERSION, TRANSCRIBE_VERSION, extractor.identity(path), span_key(span),
                   getattr(speech_model, "path", speech_model), sorted(options.items()))
    hit = extractor.cache.get("transcript", key)
    if hit is not None:
        return TranscriptResult.from_record(hit[1])
    samples, offset = extractor.audio_in_window(path)
    result = transcribe(samples, speech_model, progress=progress, **options)
    result.file = str(path)
    record = shift_times(result.to_record(), offset)
    record["duration"] = float(extractor.probe(path).duration or result.duration + offset)
    extractor.cache.put("transcript", key, {}, record)
    return TranscriptResult.from_record(record)


def shift_times(record, offset: float):
    """A record with every ``start``/``end`` (and ``speech`` pair) moved by ``offset`` seconds."""
    if isinstance(record, dict):
        return {k: (v + offset if k in ("start", "end") and isinstance(v, int | float) else
                    [[a + offset, b + offset] for a, b in v] if k == "speech" else shift_times(v, offset))
                for k, v in record.items()}
    if isinstance(record, list):
        return [shift_times(x, offset) for x in record]
    return record
