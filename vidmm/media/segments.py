"""Segments from the keyframe sequence: what every visual task calls its shots by default (``--shots fast``).

Exact shot cuts (shots.py) need the frame before each cut, which in a long-GOP export means decoding
most of the file. Segments need only the keyframes, decoded alone (the decoder skips every other frame):

1. anchors: every keyframe (or, where keyframes are denser than ANCHOR_MIN_S, a subset at that spacing),
   as a tiny HSV picture (what shots.py scores) and, when there are few enough, as the frame sampling
   will want (kept, so the sampled frames cost no second decode);
2. a boundary between two anchors when they look unlike each other beyond what the motion of the GOPs
   around them explains (a cut, or a change the encoder saw: an off-cadence keyframe), and where the
   picture comes back after a black stretch (a fade through black) unless the black began with a cut;
3. where in the GOP the boundary lies: at the keyframe when the encoder put one there off its cadence
   (encoders place a keyframe at a cut), at the packet that stands out in size (a cut makes most blocks
   intra-coded; the first picture after a black or still stretch is big), else by decoding that GOP
   and scoring it as shots.py does, as far as a budget of decoded frames allows, else at the GOP's middle.

So a boundary is exact where the encoder marked it and within one GOP otherwise; results say so
(``"cuts": "keyframe"``). ``--shots exact`` runs shots.py instead. Where the packets cannot be trusted
(no keyframe at the start, packets without timestamps) or the clip is short, the exact detector runs
(it is cheap there) and the report says why. ``benchmarks/segments.py`` measures how many exact
cuts the segments find on ../shared/media and on re-encodes of it, and what they cost.
"""

from __future__ import annotations

import logging
import os
from contextlib import closing
from dataclasses import dataclass, field

import numpy as np

from ..timecode import Span, Timecode
from .segment_rules import QUIET_BASE, QUIET_PER_MB, Anchors, Cut, decide, off_cadence, still_until
from .shot_cuts import ADAPTIVE_WINDOW, BLACK_LEVEL, MIN_SHOT_S, Shot, content_cuts
from .shot_scores import TINY_WIDTH, hsv_frames, scan, tiny_height, tiny_hsv

VERSION = "segments-v1"
log = logging.getLogger(__name__)

#: Keyframes closer than this (seconds) are thinned to this spacing (all-intra and very short GOPs).
ANCHOR_MIN_S = 0.5
#: Refinement budget: GOPs are decoded whole, most doubtful first, up to this share of the stream's frames,
#: or REFINE_MIN_MPX megapixel-frames when that is more (a small video is cheap to decode).
REFINE_SHARE = 0.03
REFINE_MIN_MPX = 60.0
#: Clips shorter than this many frames get the exact detector (a full decode is cheap there).
MIN_FRAMES = 150


@dataclass
class SegmentReport:
    """How the segments were found and what they cost."""

    method: str = ""  # "keyframes", or "exact" when the exact detector ran instead (``reason`` says why)
    reason: str = ""
    frames: int = 0  # frames in the stream
    anchors: int = 0  # keyframes looked at
    decoded: int = 0  # frames decoded (anchors + refined GOPs)
    refined: int = 0  # GOPs decoded whole to place a boundary
    refined_spans: list = field(default_factory=list)  # (from, to) seconds of each, for benchmarks/scene.py
    located: dict = field(default_factory=dict)  # how each boundary was placed: keyframe/packet/frame/gop
    #: The anchors' times and brightness (NaN: not known), for the sampling that follows.
    anchor_times: list = field(default_factory=list)
    anchor_bright: list = field(default_factory=list)
    anchor_still: list = field(default_factory=list)  # until when the picture after each stands still
    #: With ``keep``: the anchors as sampled frames (Frame by time) and the times of every keyframe.
    keyframes: dict = field(default_factory=dict)
    keyframe_times: list = field(default_factory=list)

    def summary(self) -> str:
        if self.method != "keyframes":
            return f"exact detector ({self.reason})" if self.reason else "exact detector"
        how = ", ".join(f"{n} at {k}" for k, n in sorted(self.located.items()))
        return (f"keyframes: {self.anchors} anchors, {self.refined} GOPs refined, {self.decoded} of {self.frames} "
                f"frames decoded; boundaries {how or 'none'}")


@dataclass
class ShotInfo:
    """A file's shots, how precise their cuts are, and the keyframes among them: their times, brightness
    (NaN: not known) and until when the picture after each stands still (its own time: not still)."""

    shots: list
    cuts: str  # "keyframe" or "exact"
    anchors: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bright: np.ndarray = field(default_factory=lambda: np.zeros(0))
    still: np.ndarray = field(default_factory=lambda: np.zeros(0))
    found: str = ""  # how they were found (SegmentReport.summary)

    def within(self, a: float, b: float) -> ShotInfo:
        """The anchors in [a, b) only (the shots are the caller's)."""
        m = (self.anchors >= a - 1e-6) & (self.anchors < b)
        return ShotInfo(self.shots, self.cuts, self.anchors[m], self.bright[m], self.still[m], self.found)

    def to_arrays(self) -> tuple[dict, dict]:
        return ({"start": np.array([s.start for s in self.shots], np.float64),
                 "end": np.array([s.end for s in self.shots], np.float64),
                 "score": np.array([np.nan if s.cut_score is None else s.cut_score for s in self.shots], np.float64),
                 "anchors": np.asarray(self.anchors, np.float64), "bright": np.asarray(self.bright, np.float64),
                 "still": np.asarray(self.still, np.float64)},
                {"cuts": self.cuts, "found": self.found})

    @classmethod
    def from_arrays(cls, a: dict, meta: dict) -> ShotInfo:
        shots = [Shot(i, Span(Timecode(float(s)), Timecode(float(e))), None if np.isnan(c) else float(c))
                 for i, (s, e, c) in enumerate(zip(a["start"], a["end"], a["score"]))]
        anchors = a.get("anchors", np.zeros(0))
        return cls(shots, meta.get("cuts", "exact"), anchors, a.get("bright", np.zeros(0)), a.get("still", anchors),
                   meta.get("found", ""))


def keyframe_segments(path: str | os.PathLike, duration: float | None = None, report: SegmentReport | None = None,
                      keep: tuple[int, int] | None = None, budget: float | None = None,
                      span: tuple[float, float] | None = None) -> list[Shot]:
    """Segments covering the video, or the stretch ``span`` of it (see the module doc). ``keep=(size,
    at_most)``: keep the anchors as sampled frames at ``size`` in the report when there are at most
    ``at_most``. ``budget``: share of the frames refinement may decode (default REFINE_SHARE; 0: none)."""
    from .pyav_reader import PyAVReader

    report = report if report is not None else SegmentReport()
    try:
        reader = PyAVReader(path)
    except Exception:  # noqa: BLE001 - the exact detector raises the error users should see
        reader, report.reason = None, "PyAV cannot open the file"
    if reader is not None:
        try:
            cuts = _keyframe_cuts(reader, report, keep, REFINE_SHARE if budget is None else budget, span)
            end = duration or (float(reader.duration) if reader.duration else None)
        finally:
            reader.close()
        if cuts is not None:
            report.method = "keyframes"
            a, b = span or (0.0, end or (report.anchor_times or [0.0])[-1] + 1.0)
            return _shots([c for c in cuts if a < c.time < b], a, b)
    return exact_shots(path, duration, report, span, keep)


def exact_shots(path, duration: float | None = None, report: SegmentReport | None = None,
                span: tuple[float, float] | None = None, keep: tuple[int, int] | None = None) -> list[Shot]:
    """Exact shots (shots.py; for a ``span``, from a decode of it alone) in a SegmentReport, with the
    keyframes' times for the sampling, read from the packets (their brightness is not known)."""
    from .pyav_reader import PyAVReader
    from .shots import ShotReport, detect_shots
    from .window import shots_between

    report = report if report is not None else SegmentReport()
    report.method = "exact"
    if span is None:
        shot_report = ShotReport()
        shots = detect_shots(path, duration, report=shot_report, keep=keep)
        report.decoded += shot_report.decoded
        report.reason = "; ".join(filter(None, [report.reason, shot_report.summary()]))
        report.keyframes, report.keyframe_times = shot_report.keyframes, shot_report.keyframe_times
    else:
        shots = shots_between(path, span)
    report.located = {"frame": len(shots) - 1}
    try:
        reader = PyAVReader(path)
        try:
            keys = np.asarray(reader.keyframe_times(), dtype=np.float64)
            if len(reader.packet_index()):
                reader.note_early_end(float(reader.packet_index().times[-1]))
        finally:
            reader.close()
    except Exception:  # noqa: BLE001 - no keyframes known: the sampling decodes its targets
        keys = np.zeros(0)
    if span is not None:
        keys = keys[(keys >= span[0] - 1e-6) & (keys < span[1])]
    report.anchor_times, report.anchor_bright = [float(t) for t in keys], [float("nan")] * len(keys)
    report.anchor_still = list(report.anchor_times)
    return shots


def _problem(reader, idx) -> str | None:
    keys = np.flatnonzero(idx.key)
    if reader.report.warnings:
        return "the packet index is incomplete"
    if len(idx) < MIN_FRAMES:
        return f"short clip ({len(idx)} frames): exact cuts are cheap"
    if idx.missing_pts:
        return "packets without timestamps"
    if keys.size == 0 or keys[0] != 0:
        return "the stream does not start on a keyframe"
    if np.any(np.diff(idx.times) <= 0):
        return "repeated timestamps"
    return None


def _anchor_positions(idx) -> tuple[np.ndarray, bool]:
    """Positions of the anchors, and whether they are all the keyframes (decoded in one NONKEY pass)."""
    keys = np.flatnonzero(idx.key)
    gaps = np.diff(idx.times[keys])
    if not gaps.size or float(np.median(gaps)) >= ANCHOR_MIN_S:
        return keys, True
    picked = [int(keys[0])]
    for k in keys[1:]:
        if idx.times[k] - idx.times[picked[-1]] >= ANCHOR_MIN_S:
            picked.append(int(k))
    return np.asarray(picked), False


def _one_each(reader, times):
    """The keyframe at each of ``times``, each reached by a seek (thinned anchors)."""
    for t in times:
        with closing(reader.raw_frames(float(t), keyframes_only=True)) as frames:
            yield next(frames, (None, None))


def _tiny_hsv_of(image: np.ndarray) -> np.ndarray:
    """An RGB picture at shot_scores.TINY_WIDTH pixels wide, as uint8 HSV."""
    import cv2

    h, w = image.shape[:2]
    small = cv2.resize(image, (TINY_WIDTH, tiny_height(w, h)), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2HSV)


def _decode_anchors(reader, idx, report: SegmentReport, keep) -> Anchors | None:
    from av.video.reformatter import VideoReformatter

    pos, all_keys = _anchor_positions(idx)
    cc = reader.stream.codec_context
    height = tiny_height(cc.width, cc.height)
    reformatter = VideoReformatter()
    kept = {} if keep is not None and len(pos) <= keep[1] else None
    if kept is None:  # only their tiny pictures are looked at: the deblocking filter can be skipped (10% faster)
        reader.skip_loop_filter()
    tol = 0.25 * float(np.median(np.diff(idx.times)))
    times = idx.times[pos]
    hsv: list = [None] * len(pos)
    frames = reader.raw_frames(float(times[0]), keyframes_only=True) if all_keys else _one_each(reader, times)
    with closing(frames):
        for t, frame in frames:
            if t is not None and t > times[-1] + tol:
                break  # past the window
            if frame is None:
                continue
            report.decoded += 1
            j = int(np.searchsorted(times, t - tol))
            if j >= len(times) or abs(times[j] - t) > tol or hsv[j] is not None:
                continue
            if kept is not None:  # the tiny picture from the kept one: one conversion of the full frame
                kept[float(times[j])] = f = reader.frame_at(frame, float(times[j]), keep[0])
                hsv[j] = _tiny_hsv_of(f.image)
            else:
                hsv[j] = tiny_hsv(reformatter, frame, height)
    if any(h is None for h in hsv):
        report.reason = "some keyframes did not decode"
        return None
    if kept is not None:
        report.keyframes, report.keyframe_times = kept, reader.keyframe_times()
    bright = np.array([float(h[..., 2].mean()) for h in hsv])
    report.anchor_times, report.anchor_bright = [float(t) for t in times], [float(v) for v in bright]
    return Anchors(pos, hsv, bright, off_cadence(idx, pos, all_keys))


def _keyframe_cuts(reader, report: SegmentReport, keep, budget: float, span=None) -> list[Cut] | None:
    """The boundaries, or None (with report.reason) when the exact detector should run instead."""
    idx = reader.packet_index()
    if span is not None:  # the window's packets, from the keyframe before it on
        keys = np.flatnonzero(idx.key)
        first = keys[keys <= np.searchsorted(idx.times, span[0] + 1e-6, side="right") - 1]
        lo = int(first[-1]) if first.size else 0
        after = keys[keys >= np.searchsorted(idx.times, span[1] - 1e-6)]  # and up to the keyframe after it
        hi = int(after[0]) + 1 if after.size else len(idx)
        idx = type(idx)(idx.times[lo:hi], idx.sizes[lo:hi], idx.key[lo:hi], idx.bidir[lo:hi], idx.missing_pts)
    report.frames = len(idx)
    report.reason = _problem(reader, idx) or ""
    if report.reason:
        return None
    if span is None:
        reader.note_early_end(float(idx.times[-1]))  # a truncated file says so (media/health.py)
    anchors = _decode_anchors(reader, idx, report, keep)
    if anchors is None:
        return None
    report.anchors = len(anchors.pos)
    cc = reader.stream.codec_context
    quiet = QUIET_BASE + QUIET_PER_MB * (-(-cc.width // 16) * -(-cc.height // 16))
    report.anchor_still = still_until(idx, anchors.pos, quiet)
    cuts, doubts = decide(idx, anchors, quiet)
    cap = max(budget * len(idx), REFINE_MIN_MPX * 1e6 / max(cc.width * cc.height, 1)) if budget > 0 else 0
    spent = 0
    for doubt in sorted(doubts, key=lambda x: x.priority):
        a = int(anchors.pos[doubt.g - 1])
        # Decoded up to the keyframe (or the spike), plus the frames the cut rule weighs after it.
        stop = min((int(anchors.pos[doubt.g]) if doubt.kind != "spike" else doubt.at) + ADAPTIVE_WINDOW, len(idx) - 1)
        if spent + (stop - a) > cap:
            cuts.extend(doubt.unrefined(idx, a, int(anchors.pos[doubt.g])))
            continue
        spent += stop - a
        report.refined += 1
        cuts.extend(_refine(reader.path, idx, a, stop, doubt.kind, report))
    cuts.sort(key=lambda c: c.time)
    for c in cuts:
        report.located[c.how] = report.located.get(c.how, 0) + 1
    return cuts


def _refine(path, idx, a: int, stop: int, kind: str, report: SegmentReport) -> list[Cut]:
    """The boundary inside the GOP from packet ``a`` up to packet ``stop``, by decoding that stretch: exact
    content cuts (shot_cuts.py's score and rule), or for ``kind="returns"`` the first frame no longer black."""
    step = float(np.median(np.diff(idx.times)))
    tol = 0.25 * step
    t_a = float(idx.times[a])
    t_stop = float(idx.times[min(stop, len(idx) - 1)]) + 0.5 * step
    report.refined_spans.append((t_a, t_stop))
    part = scan(hsv_frames(path, t_a, t_stop))
    report.decoded += len(part.times)
    if len(part.times) < 2:
        return []
    if kind == "key":  # an off-cadence keyframe: a cut when the frame before it differs enough
        found = content_cuts(part.times, part.scores)
        return [Cut(t, s, "frame") for _, t, s in found if t >= float(idx.times[stop - ADAPTIVE_WINDOW]) - tol]
    if kind == "returns":
        lit = np.flatnonzero(part.bright >= BLACK_LEVEL)
        return [Cut(float(part.times[lit[0]]), float(part.scores[lit[0]]), "frame")] if lit.size and lit[0] else []
    return [Cut(t, s, "frame") for _, t, s in content_cuts(part.times, part.scores) if t > t_a + tol]


def _shots(cuts: list[Cut], start: float, end: float) -> list[Shot]:
    """Shots from ``start`` to ``end`` split at the cuts, none shorter than MIN_SHOT_S (as shot_cuts.py)."""
    bounds: list[tuple[float, float | None]] = [(start, None)]
    for c in cuts:
        if c.time - bounds[-1][0] >= MIN_SHOT_S and end - c.time >= MIN_SHOT_S:
            bounds.append((c.time, c.score))
    return [Shot(i, Span(Timecode(t), Timecode(bounds[i + 1][0] if i + 1 < len(bounds) else end)), s)
            for i, (t, s) in enumerate(bounds)]
