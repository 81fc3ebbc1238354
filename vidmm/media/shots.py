"""Shot boundaries from tiny decoded frames.

Every frame is decoded (a cut can fall anywhere) and
converted straight to a 64-pixel-wide image in the decoder's reformatter, so the cost is a cheap decode. The score between consecutive frames is the mean
absolute difference of hue, saturation and value (PySceneDetect's content score); a cut is a score that
is both high in absolute terms and several times its neighbours' (adaptive, so fast motion is not a
cut), and a fade through black is a run of near-black frames. ``benchmarks/decode.py`` compares this
detector with PySceneDetect on the clips in ../shared/media.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..errors import DecodeError, NoVideoStreamError
from ..timecode import Span, Timecode
from .source import open_container

#: Width of the frames the detector looks at.
TINY_WIDTH = 64
#: Minimum absolute content score for a cut (PySceneDetect's ContentDetector default is 27 on full frames).
MIN_SCORE = 27.0
#: A cut's score must be this many times the average score of the frames around it.
ADAPTIVE_RATIO = 3.0
#: Frames on each side used for the adaptive average.
ADAPTIVE_WINDOW = 2
#: Shots shorter than this (seconds) are merged into their neighbour.
MIN_SHOT_S = 0.5
#: Mean brightness (0-255) under which a frame counts as black, for fades.
BLACK_LEVEL = 16
VERSION = "shots-v3"


@dataclass
class Shot:
    index: int
    span: Span
    cut_score: float | None  # the score of the cut that opened the shot (None for the first shot)

    @property
    def start(self) -> float:
        return self.span.start.seconds

    @property
    def end(self) -> float:
        return self.span.end.seconds

    def to_dict(self) -> dict:
        d = {"shot": self.index, **self.span.to_dict()}
        if self.cut_score is not None:
            d["cut_score"] = round(self.cut_score, 2)
        return d


def _hsv_frames(path: str | os.PathLike):
    """Yield (time, hsv float32 array) for every frame, at TINY_WIDTH pixels wide."""
    import av
    import cv2
    from av.video.reformatter import VideoReformatter

    reformatter = VideoReformatter()  # one instance keeps its swscale context: 2x faster than frame.reformat
    container = open_container(path)
    with container:
        if not container.streams.video:
            raise NoVideoStreamError("has no video stream", path=str(path))
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"  # frame threads can deadlock beside torch's pool (see frames.py)
        # Not done, measured on ../shared/media: skipping the loop filter (1.5x cheaper) or B-frames (2-3x)
        # made the hue noise of dark scenes and the sparser frames find false cuts and miss real ones.
        tb = float(stream.time_base)
        start = container.start_time
        t0 = start / 1_000_000 if start else 0.0
        cc = stream.codec_context
        height = max(2, round(TINY_WIDTH * cc.height / max(cc.width, 1)))
        try:
            for i, frame in enumerate(container.decode(stream)):
                t = frame.pts * tb - t0 if frame.pts is not None else i / float(stream.average_rate or 25)
                rgb = reformatter.reformat(frame, width=TINY_WIDTH, height=height, format="rgb24", interpolation="AREA")
                yield t, cv2.cvtColor(rgb.to_ndarray(), cv2.COLOR_RGB2HSV).astype(np.float32)
        except av.error.FFmpegError:
            return  # a damaged tail ends the shot list where decoding stops


def content_scores(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame times, content scores (vs the previous frame) and brightness."""
    times, scores, bright = [], [], []
    prev = None
    for t, hsv in _hsv_frames(path):
        times.append(t)
        bright.append(float(hsv[..., 2].mean()))
        scores.append(0.0 if prev is None else float(np.abs(hsv - prev).mean(axis=(0, 1)).mean()))
        prev = hsv
    if not times:
        raise DecodeError("no frame could be decoded", path=str(path), hint="the file may be damaged")
    return np.asarray(times), np.asarray(scores), np.asarray(bright)


def cuts_from_scores(times: np.ndarray, scores: np.ndarray, bright: np.ndarray) -> list[tuple[float, float]]:
    """(time, score) of each cut: content cuts plus the ends of fades through black."""
    cuts = []
    cut_frames = set()
    n = len(scores)
    for i in range(1, n):
        lo, hi = max(1, i - ADAPTIVE_WINDOW), min(n, i + ADAPTIVE_WINDOW + 1)
        around = [scores[j] for j in range(lo, hi) if j != i]
        avg = float(np.mean(around)) if around else 0.0
        if scores[i] >= MIN_SCORE and scores[i] >= ADAPTIVE_RATIO * max(avg, 1.0):
            cuts.append((float(times[i]), float(scores[i])))
            cut_frames.add(i)
    # A fade through black starts a shot where the picture comes back, unless the black began with a
    # cut (then that cut already opened the shot) or the clip itself opens on black.
    black = bright < BLACK_LEVEL
    run_start = 0 if black[0] else None
    for i in range(1, n):
        if black[i] and not black[i - 1]:
            run_start = i
        elif black[i - 1] and not black[i]:
            if run_start not in (None, 0) and not cut_frames & {run_start - 1, run_start, run_start + 1}:
                cuts.append((float(times[i]), float(scores[i])))
            run_start = None
    cuts.sort()
    return cuts


def detect_shots(path: str | os.PathLike, duration: float | None = None) -> list[Shot]:
    """Shots of the video as time spans covering it from start to end."""
    times, scores, bright = content_scores(path)
    end = duration if duration else float(times[-1] + (times[-1] - times[-2] if len(times) > 1 else 0.04))
    bounds = [(0.0, None)]
    for t, s in cuts_from_scores(times, scores, bright):
        if t - bounds[-1][0] >= MIN_SHOT_S and end - t >= MIN_SHOT_S:
            bounds.append((t, s))
    shots = []
    for i, (t, s) in enumerate(bounds):
        stop = bounds[i + 1][0] if i + 1 < len(bounds) else end
        shots.append(Shot(i, Span(Timecode(t), Timecode(stop)), s))
    return shots
