"""Part of a file: ``--start``/``--end``. ``Window`` is what the user asked for, ``span_of`` what it means
for one file, and ``clip_shots``/``shots_between`` give the shots of that stretch.

Everything a windowed task reports stays in the file's own clock: a shot found 5 s into a window that
starts at 60 s starts at 65 s.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..errors import DecodeError, InputError
from ..timecode import Span, Timecode
from .sampling import Sampling
from .shot_cuts import Shot, shots_from_scores
from .shot_scores import hsv_frames, scan

#: A window shorter than this is refused (one frame of a 25 fps video is 0.04 s).
MIN_WINDOW_S = 0.05


@dataclass(frozen=True)
class Window:
    """The stretch to analyse, in seconds of the file's clock; ``end=None`` is the end of the file."""

    start: float = 0.0
    end: float | None = None

    @classmethod
    def of(cls, start: float | None, end: float | None) -> Window | None:
        """A Window, or None when the whole file is asked for."""
        if not start and end is None:
            return None
        return cls(float(start or 0.0), None if end is None else float(end))


def span_of(window: Window | None, duration: float, path: str) -> tuple[float, float] | None:
    """``(start, end)`` of ``window`` inside a file of ``duration`` s, or None when it covers the whole file.
    A window that begins at or after the file's end is an InputError naming the file."""
    if window is None:
        return None
    end = duration if window.end is None else min(window.end, duration) if duration > 0 else window.end
    if duration > 0 and window.start >= duration - MIN_WINDOW_S:
        raise InputError(f"--start {window.start:g} s is at or past the end of the file ({duration:.2f} s)",
                         path=path)
    if window.start <= 0 and (duration <= 0 or end >= duration):
        return None
    return (window.start, end)


def span_key(span: tuple[float, float] | None) -> str:
    """The window's part of a cache key ("" for the whole file, so whole-file entries keep their keys)."""
    return "" if span is None else f"{span[0]:.3f}-{span[1]:.3f}"


def clip_shots(shots: list[Shot], span: tuple[float, float]) -> list[Shot]:
    """The shots overlapping ``span``, trimmed to it and numbered from 0 (the first keeps no cut score)."""
    a, b = span
    out: list[Shot] = []
    for s in shots:
        lo, hi = max(s.span.start.seconds, a), min(s.span.end.seconds, b)
        if hi - lo > 1e-3:
            score = s.cut_score if out and lo == s.span.start.seconds else None
            out.append(Shot(len(out), Span(Timecode(lo), Timecode(hi)), score))
    return out or [Shot(0, Span(Timecode(a), Timecode(b)), None)]


def shots_between(path: str | os.PathLike, span: tuple[float, float]) -> list[Shot]:
    """Shots of ``span`` alone, from a decode of that stretch only (a window in a long file costs its own
    length, not the file's). Same scores and cut rule as ``detect_shots``'s full path."""
    a, b = span
    errors: list = []
    part = scan(hsv_frames(path, a, b, errors=errors))
    if not part.times.size:
        why = f": {errors[0]}" if errors else ""
        raise DecodeError(f"no frame could be decoded between {a:g} s and {b:g} s{why}", path=str(path),
                          hint="the file may be damaged there")
    local = shots_from_scores(part.times - a, part.scores, part.bright, b - a)
    return [Shot(s.index, Span(Timecode(s.span.start.seconds + a), Timecode(s.span.end.seconds + a)), s.cut_score)
            for s in local]


class WindowedFeatures:
    """The Extractor's window: ``windowed`` sets it, and the feature methods ask ``span`` which stretch of
    a file to read (``Extractor`` is this class's only user; it is a class of its own to keep
    features.py about features)."""

    window: Window | None = None

    @contextmanager
    def windowed(self, start: float | None = None, end: float | None = None):
        """Within this block every feature comes from [start, end) of each file, times in the file's clock."""
        before, self.window = self.window, Window.of(start, end)
        try:
            yield self
        finally:
            self.window = before

    def span(self, path: str) -> tuple[float, float] | None:
        """``(start, end)`` of the window in ``path``, or None for the whole file (always for a photo)."""
        if self.window is None:
            return None
        info = self.probe(path)
        return None if info.kind == "image" else span_of(self.window, float(info.duration or 0.0), path)

    def sampling(self, path: str, sampling: Sampling | None = None) -> Sampling:
        """``sampling`` (default: ``sampling_for``) with its targets inside the window."""
        return self._in_window(path, sampling) if sampling is not None else self.sampling_for(path)

    def _in_window(self, path: str, sampling: Sampling) -> Sampling:
        """Spread over the window what ``sampling`` spreads over the file: n frames of it, or one every s."""
        span = self.span(path)
        if span is None or sampling.kind not in ("uniform", "every"):
            return sampling
        a, b = span
        n = sampling.n if sampling.kind == "uniform" else max(1, int((b - a) / sampling.seconds + 1e-9))
        return Sampling.per_shot([(a, b)], per_shot=n, mode=sampling.mode)

    def _window_shot_info(self, path: str, span: tuple[float, float]):
        """The window's shots: clipped from the file's when those are cached or the window is most of the
        file, else found in the window alone (cached by window)."""
        duration = float(self.probe(path).duration or 0.0)
        whole = self._shot_info(path, None, cached_only=True)
        if whole is None and span[1] - span[0] >= duration / 2:
            whole = self._shot_info(path, None)
        if whole is None:
            return self._shot_info(path, span)
        from dataclasses import replace

        return replace(whole.within(*span), shots=clip_shots(whole.shots, span))

    def audio_in_window(self, path: str) -> tuple[np.ndarray | None, float]:
        """The window's samples and the file time of the first one (the whole track and 0.0 unwindowed)."""
        samples = self.audio(path)
        span = self.span(path)
        if samples is None or span is None:
            return samples, 0.0
        from .audio import SAMPLE_RATE

        return samples[int(span[0] * SAMPLE_RATE):int(span[1] * SAMPLE_RATE)], span[0]
