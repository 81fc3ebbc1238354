"""The cut decision: which content scores are cuts, and the shots between them.

A cut is a score that is both high in absolute terms and several times its neighbours' (adaptive, so
fast motion is not a cut); a fade through black, a run of near-black frames, starts a shot where the
picture comes back; shots shorter than MIN_SHOT_S are merged into their neighbour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..timecode import Span, Timecode

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


def content_cuts(times: np.ndarray, scores: np.ndarray) -> list[tuple[int, float, float]]:
    """(frame, time, score) of each content cut: a score high in absolute terms and against its neighbours."""
    cuts = []
    n = len(scores)
    for i in range(1, n):
        lo, hi = max(1, i - ADAPTIVE_WINDOW), min(n, i + ADAPTIVE_WINDOW + 1)
        around = [scores[j] for j in range(lo, hi) if j != i and not np.isnan(scores[j])]  # NaN: not decoded
        avg = float(np.mean(around)) if around else 0.0
        if scores[i] >= MIN_SCORE and scores[i] >= ADAPTIVE_RATIO * max(avg, 1.0):
            cuts.append((i, float(times[i]), float(scores[i])))
    return cuts


def cuts_from_scores(times: np.ndarray, scores: np.ndarray, bright: np.ndarray) -> list[tuple[float, float]]:
    """(time, score) of each cut: content cuts plus the ends of fades through black."""
    found = content_cuts(times, scores)
    cuts = [(t, s) for _, t, s in found]
    cut_frames = {i for i, _, _ in found}
    n = len(scores)
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


def shots_from_scores(times: np.ndarray, scores: np.ndarray, bright: np.ndarray,
                      duration: float | None = None) -> list[Shot]:
    """Shots covering the video from 0 to ``duration`` (else one frame past the last), cut where
    ``cuts_from_scores`` says, no shot shorter than MIN_SHOT_S."""
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
