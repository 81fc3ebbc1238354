"""What shot detection measures: frames at TINY_WIDTH pixels as HSV, and the content score between two.

The score is the mean absolute difference of hue, saturation and value (PySceneDetect's content score);
``scan`` scores a run of consecutive frames, ``sparse_scores`` the frames the fast path decoded. Which
frames are decoded is shots.py's business, what counts as a cut shot_cuts.py's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..errors import NoVideoStreamError
from .source import open_container

#: Width of the frames the detector looks at.
TINY_WIDTH = 64


def content_score(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute HSV difference of two tiny frames (uint8 or float32), channels averaged."""
    return float(np.abs(np.asarray(b, np.float32) - np.asarray(a, np.float32)).mean(axis=(0, 1)).mean())


def hsv_frames(path: str | os.PathLike, start: float | None = None, stop: float | None = None,
               errors: list | None = None):
    """Yield (time, hsv float32 array) for every frame, at TINY_WIDTH pixels wide.

    With ``start`` (a keyframe's time) the decoder seeks there and frames shown before it are dropped; with
    ``stop`` it ends before the first frame shown at or after ``stop``. A decoding error ends the frames
    (a damaged tail ends the shot list where decoding stops) and is appended to ``errors``."""
    import av
    from av.video.reformatter import VideoReformatter

    reformatter = VideoReformatter()  # one instance keeps its swscale context: 2x faster than frame.reformat
    container = open_container(path)
    with container:
        if not container.streams.video:
            raise NoVideoStreamError("has no video stream", path=str(path))
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"  # frame threads can deadlock beside torch's pool (see pyav_reader.py)
        # Not done, measured on ../shared/media: skipping the loop filter (1.5x cheaper) or B-frames (2-3x)
        # made the hue noise of dark scenes and the sparser frames find false cuts and miss real ones.
        tb = float(stream.time_base)
        t0 = container.start_time / 1_000_000 if container.start_time else 0.0
        rate = float(stream.average_rate or 25)
        tol = 0.25 / rate
        cc = stream.codec_context
        height = tiny_height(cc.width, cc.height)
        try:
            if start:
                container.seek(max(int((start + t0) / tb), 0), stream=stream, backward=True)
            for i, frame in enumerate(container.decode(stream)):
                t = frame.pts * tb - t0 if frame.pts is not None else i / rate
                if start and t < start - tol:
                    continue
                if stop is not None and t >= stop - tol:
                    return
                yield t, tiny_hsv(reformatter, frame, height).astype(np.float32)
        except av.error.FFmpegError as exc:
            if errors is not None:
                errors.append(exc)
            return


def tiny_height(width: int, height: int) -> int:
    return max(2, round(TINY_WIDTH * height / max(width, 1)))


def tiny_hsv(reformatter, frame, height: int) -> np.ndarray:
    """The frame at TINY_WIDTH pixels wide as uint8 HSV: what both paths score."""
    import cv2

    rgb = reformatter.reformat(frame, width=TINY_WIDTH, height=height, format="rgb24", interpolation="AREA")
    return cv2.cvtColor(rgb.to_ndarray(), cv2.COLOR_RGB2HSV)


@dataclass
class Scan:
    """Times, scores and brightness of a run of consecutive frames, with its first and last frame."""

    times: np.ndarray
    scores: np.ndarray
    bright: np.ndarray
    first: np.ndarray | None
    last: np.ndarray | None


def scan(frames) -> Scan:
    times, scores, bright = [], [], []
    first = prev = None
    for t, hsv in frames:
        times.append(t)
        bright.append(float(hsv[..., 2].mean()))
        scores.append(0.0 if prev is None else content_score(prev, hsv))
        first = hsv if first is None else first
        prev = hsv
    return Scan(np.asarray(times, dtype=np.float64), np.asarray(scores), np.asarray(bright), first, prev)


def sparse_scores(hsv: dict[int, np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores (NaN where a frame or the one before it was not decoded) and brightness (NaN: unknown)."""
    scores = np.full(n, np.nan)
    bright = np.full(n, np.nan)
    for i, h in hsv.items():
        bright[i] = float(h[..., 2].astype(np.float32).mean())
        if i == 0:
            scores[i] = 0.0
        elif i - 1 in hsv:
            prev = hsv[i - 1]
            scores[i] = 0.0 if prev is h else content_score(prev, h)
    return scores, bright
