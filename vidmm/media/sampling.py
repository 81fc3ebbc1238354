"""What to sample and what comes out: ``Sampling`` (which frames), ``Frame`` (one sampled picture),
``SampleReport`` (what decoding cost), and the small rules both readers share (scaling, keyframe snapping).

Readers live in pyav_reader.py and opencv_reader.py; frames.py's ``sample_frames`` joins them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..timecode import Span, Timecode

#: How precisely sampled frames match their target times.
#: "exact": the frame shown at the target. "near" (default): the nearest keyframe when it lies within
#: NEAR_FRACTION of the spacing between targets and at most NEAR_MAX_S away (one decoded frame instead of
#: a run from the keyframe before), else the exact frame. "keyframe": the nearest keyframe, however far.
MODES = ("exact", "near", "keyframe")
NEAR_FRACTION = 0.5
NEAR_MAX_S = 1.0
_MODE_SUFFIX = {"exact": "x", "near": "", "keyframe": "k"}


@dataclass(frozen=True)
class Sampling:
    """Which frames to take. Build with the class methods; ``key()`` names it in cache keys."""

    kind: str
    n: int | None = None
    seconds: float | None = None
    spans: tuple[tuple[float, float], ...] = ()
    n_per_shot: int = 3
    counts: tuple[int, ...] = ()  # per_shot: frames in each span (overrides n_per_shot)
    mode: str = "near"
    points: tuple[tuple[float, float], ...] = ()  # at: (target time, spacing) pairs

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"sampling mode must be one of {MODES}, not {self.mode!r}")

    @classmethod
    def uniform(cls, n: int, mode: str = "near") -> Sampling:
        """``n`` frames, one in the middle of each of ``n`` equal parts of the video."""
        if n < 1:
            raise ValueError("uniform sampling needs n >= 1")
        return cls("uniform", n=int(n), mode=mode)

    @classmethod
    def every(cls, seconds: float, mode: str = "near") -> Sampling:
        """A frame every ``seconds``, from the start."""
        if not seconds > 0:
            raise ValueError("sampling interval must be > 0 seconds")
        return cls("every", seconds=float(seconds), mode=mode)

    @classmethod
    def keyframes(cls, max_n: int | None = None) -> Sampling:
        """Only keyframes (all of them, or ``max_n`` spread evenly): the cheapest sampling."""
        return cls("keyframes", n=max_n, mode="keyframe")

    @classmethod
    def per_shot(
        cls,
        spans: Sequence[Span | tuple[float, float]],
        per_shot: int | Sequence[int] = 3,
        mode: str = "near",
    ) -> Sampling:
        """``per_shot`` frames spread inside each span: one count for all, or one count per span."""
        pairs = tuple(
            (float(s.start), float(s.end)) if isinstance(s, Span) else (float(s[0]), float(s[1])) for s in spans
        )
        if isinstance(per_shot, int):
            return cls("per_shot", spans=pairs, n_per_shot=max(1, per_shot), mode=mode)
        counts = tuple(max(1, int(c)) for c in per_shot)
        if len(counts) != len(pairs):
            raise ValueError("per_shot needs one count per span")
        return cls("per_shot", spans=pairs, counts=counts, mode=mode)

    @classmethod
    def at(cls, points: Sequence[tuple[float, float]], mode: str = "near") -> Sampling:
        """Frames at the given (time, spacing) targets: chosen by the caller, e.g. on keyframes (the
        spacing bounds how far "near" may move a target to a keyframe)."""
        pairs = tuple(sorted((float(t), float(step)) for t, step in points))
        if not pairs:
            raise ValueError("sampling at times needs at least one time")
        return cls("at", points=pairs, mode=mode)

    def key(self) -> str:
        """A stable short text naming this sampling, for cache keys."""
        m = _MODE_SUFFIX[self.mode]
        if self.kind == "at":
            return f"at{m}[{','.join(f'{t:.3f}/{s:.2f}' for t, s in self.points)}]"
        if self.kind == "uniform":
            return f"uniform{self.n}{m}"
        if self.kind == "every":
            return f"every{self.seconds:g}{m}"
        if self.kind == "keyframes":
            return f"keyframes{self.n or ''}"
        spans = ",".join(f"{a:.3f}-{b:.3f}" for a, b in self.spans)
        counts = "/".join(map(str, self.counts)) if self.counts else str(self.n_per_shot)
        return f"pershot{counts}{m}[{spans}]"

    def windows(self, duration: float) -> list[tuple[float, float]]:
        """(target time, spacing to the neighbouring targets) in seconds, sorted by time."""
        duration = max(float(duration), 0.0)
        if self.kind == "uniform":
            step = duration / self.n
            return [((i + 0.5) * step, step) for i in range(self.n)]
        if self.kind == "every":
            count = max(1, int(math.floor(duration / self.seconds - 1e-9)) + 1)
            return [(i * self.seconds, self.seconds) for i in range(count)]
        if self.kind == "per_shot":
            out = []
            counts = self.counts or (self.n_per_shot,) * len(self.spans)
            for (a, b), k in zip(self.spans, counts):
                step = max(b - a, 0.0) / k
                out.extend((a + (i + 0.5) * step, step) for i in range(k))
            return sorted(out)
        if self.kind == "at":
            return list(self.points)
        return []

    def targets(self, duration: float) -> list[float]:
        """Target times in seconds, sorted. Empty for keyframe sampling (the stream decides)."""
        return [t for t, _ in self.windows(duration)]


@dataclass
class Frame:
    image: np.ndarray  # (H, W, 3) uint8 RGB, display orientation
    time: Timecode
    index: int | None = None  # frame number in the stream when known
    key: bool = False  # a keyframe

    @property
    def seconds(self) -> float:
        return self.time.seconds


@dataclass
class SampleReport:
    """What happened while sampling: the backend used, frames decoded, problems met."""

    backend: str = ""
    decoded: int = 0
    seeks: int = 0
    warnings: list[str] = field(default_factory=list)
    truncated_at: float | None = None  # seconds where the video data stops short of the header's duration


def scaled_size(width: int, height: int, size: int | None) -> tuple[int, int]:
    """Scale so the shorter side is ``size`` (never upscale), keeping the aspect ratio; even-free."""
    if not size or min(width, height) <= size:
        return width, height
    scale = size / min(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def downscale(frame: Frame, size: int) -> Frame:
    """``frame`` with its shorter side scaled down to ``size`` (area filter; never upscales)."""
    h, w = frame.image.shape[:2]
    sw, sh = scaled_size(w, h, size)
    if (sw, sh) == (w, h):
        return frame
    import cv2

    image = cv2.resize(frame.image, (sw, sh), interpolation=cv2.INTER_AREA)
    return Frame(image, frame.time, frame.index, frame.key)


def _nearest(times: list[float], t: float) -> int:
    import bisect

    i = bisect.bisect_left(times, t)
    return min((j for j in (i - 1, i) if 0 <= j < len(times)), key=lambda j: abs(times[j] - t))


def snap_target(keys: list[float], t: float, step: float, mode: str) -> float:
    """Where a target (time ``t``, ``step`` from its neighbours) lands under ``mode`` (see MODES): the
    nearest of the keyframe times ``keys`` where the mode allows, else ``t`` itself."""
    if mode == "exact" or not keys:
        return t
    k = keys[_nearest(keys, t)]
    return k if mode == "keyframe" or abs(k - t) <= min(NEAR_FRACTION * step, NEAR_MAX_S) + 1e-9 else t
