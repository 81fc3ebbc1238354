"""Shot boundaries from tiny decoded frames: which frames to decode and score, and ``detect_shots``.

What is measured (tiny HSV frames, the content score) is in shot_scores.py, what counts as a cut in
shot_cuts.py; ``benchmarks/decode.py`` compares this detector with PySceneDetect on ../shared/media.

Two paths give the same cuts (tests/test_shots.py checks it on every clip):
- full: every frame is decoded (a cut can fall anywhere);
- fast: the packets are read without decoding, and cut candidates come from them: keyframes off the
  stream's regular cadence (encoders put one at a cut), P/B-frames much bigger than their neighbours (a
  cut makes most blocks intra-coded) or than a still/black stretch before them, and regular keyframes that
  look unlike the previous one. Only the frames around candidates are decoded at full density (with the
  same score), non-reference frames are skipped on the way there, a GOP of tiny packets is a still
  picture (copies of its keyframe), and a decoded stretch that ends dark grows until it does not (fades
  through black). In a busy stream (inter frames nearly keyframe-sized, as phones and cameras record at
  high resolution) sizes show no cut: there a GOP is decoded whole when its two keyframes differ by more
  than a cut could leave them apart given the motion of the GOPs around it. Where packets cannot be
  trusted (all-intra codecs, decode-order timestamps) or the candidates would need most frames decoded
  anyway (long GOPs that end at cuts, busy streams with long GOPs), the full path runs. ``ShotReport`` and the debug
  log of this module say which path ran and why.
Known blind spots of the fast path: a dip to near-black (not black) inside one GOP of a stream with
weighted prediction shows in no packet size; in a busy stream, a cut away and back inside one GOP (both
keyframes from the same shot) is not looked for.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import DecodeError
from .shot_cuts import ADAPTIVE_WINDOW, BLACK_LEVEL, MIN_SCORE, Shot, shots_from_scores
from .shot_scores import Scan, content_score, hsv_frames, scan, sparse_scores, tiny_height, tiny_hsv

VERSION = "shots-v3"
log = logging.getLogger(__name__)


def content_scores(path: str | os.PathLike, method: str = "full", report: ShotReport | None = None,
                   keep: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame times, content scores (vs the previous frame) and brightness.

    ``method="full"`` decodes every frame. ``"fast"`` finds cut candidates in the packets and decodes only
    around them (scores are NaN where frames were not decoded), falling back to the full decode when the
    packets cannot be trusted. ``"auto"`` (the default of detect_shots) is ``"fast"`` except on short clips
    and where the candidates would need most frames decoded anyway. ``report`` says which path ran.
    ``keep=(size, at_most)``: the fast path also keeps its decoded keyframes at ``size`` in the report
    (when there are at most ``at_most`` of them), for the sampling that follows.
    """
    if method not in METHODS:
        raise ValueError(f"shot detection method must be one of {METHODS}, not {method!r}")
    report = report if report is not None else ShotReport()
    if method != "full":
        fast = _fast_scores(path, report, budget=method == "auto", keep=keep)
        if fast is not None and (method == "fast" or report.frames >= MIN_FAST_FRAMES):
            return fast
        if fast is not None:
            report.reason = f"short clip ({report.frames} frames): a full decode is cheap"
    report.method = "full"
    parts = _full_scores_in_parallel(path, report)
    if parts is None:
        parts = [scan(hsv_frames(path))]
    times = np.concatenate([p.times for p in parts])
    if not times.size:
        raise DecodeError("no frame could be decoded", path=str(path), hint="the file may be damaged")
    for a, b in zip(parts, parts[1:]):  # each part scored its first frame against nothing: score the seams
        b.scores[0] = content_score(a.last, b.first)
    report.frames = report.decoded = len(times)
    return times, np.concatenate([p.scores for p in parts]), np.concatenate([p.bright for p in parts])


#: The full decode is split at keyframes into one part per thread of the budget (vidmm/threads.py) on
#: streams of at least this many frames: each part is decoded by its own single-threaded decoder (PyAV
#: releases the GIL while decoding): 1.2-2x faster on 2 cores (1.4x on a 60 s 1080p x264 clip). FFmpeg's own frame threads are not used
#: (they can deadlock beside torch's pool, see pyav_reader.py), and slice threads do nothing for most streams.
PARALLEL_MIN_FRAMES = 300


def _full_scores_in_parallel(path, report: ShotReport) -> list[Scan] | None:
    """The full decode in parts run side by side, or None where one sequential pass is the safe way:
    a thread budget of 1, a short clip, a packet index that cannot be trusted to split at, or parts that
    do not tile the stream exactly (a decoding error, frames missing at a seam)."""
    from concurrent.futures import ThreadPoolExecutor

    from ..threads import budget
    from .pyav_reader import PyAVReader

    n_parts = budget()
    if n_parts < 2:
        return None
    try:
        reader = PyAVReader(path)
    except Exception:  # noqa: BLE001 - the sequential pass raises the error users should see
        return None
    try:
        idx = reader.packet_index()
        trusted = not reader.report.warnings and not idx.missing_pts and len(idx) >= PARALLEL_MIN_FRAMES
    finally:
        reader.close()
    keys = np.flatnonzero(idx.key) if trusted else np.array([], dtype=int)
    if keys.size < 2 or keys[0] != 0 or np.any(np.diff(idx.times) <= 0):
        return None
    # Split at the keyframes nearest to equal shares of the frames.
    splits = sorted({int(keys[np.argmin(np.abs(keys - len(idx) * i / n_parts))]) for i in range(1, n_parts)} - {0})
    if not splits:
        return None
    bounds = [None, *(float(idx.times[i]) for i in splits), None]
    errors: list = []
    with ThreadPoolExecutor(len(bounds) - 1, thread_name_prefix="vidmm-shots") as pool:
        parts = list(pool.map(lambda ab: scan(hsv_frames(path, ab[0], ab[1], errors)), zip(bounds, bounds[1:])))
    expected = np.diff([0, *splits, len(idx)])
    if errors or [len(p.times) for p in parts] != list(expected):
        log.debug("shots of %s: parts did not tile the stream (%s frames, expected %s); decoding in one pass",
                  path, [len(p.times) for p in parts], list(expected))
        return None
    return parts


# -- fast path: cut candidates from the packets, decoding only around them -----------------------------
#: A P- or B-frame this many times the median size of its kind nearby is a cut candidate: a cut makes
#: most macroblocks intra-coded, so the first frame of the new shot is big.
SPIKE_RATIO = 2.0
#: A P- or B-frame at least this share of the stream's median keyframe is a candidate too.
KEY_SHARE = 0.4
#: Sizes are not trusted when the median P-frame is more than this share of the median keyframe (a busy,
#: low-bitrate stream codes much of every frame as intra: a cut does not stand out).
BUSY_SHARE = 0.3
#: GOPs on each side whose keyframe differences estimate the motion over a GOP, in a busy stream.
BUSY_GOPS = 4
#: Frames of the same kind on each side for that median.
SPIKE_WINDOW = 8
#: A packet at most QUIET_BASE + QUIET_PER_MB bytes per 16x16 macroblock repeats its reference (skipped
#: blocks only). A GOP of such packets is a still picture: its frames are copies of its keyframe.
QUIET_BASE = 16
QUIET_PER_MB = 0.02
#: A spike must also be this many times the quiet size (a still scene's packets jitter in size).
SPIKE_FLOOR = 4.0
#: A keyframe on the stream's regular cadence is a candidate when it differs this much from the previous
#: keyframe (an off-cadence keyframe always is: encoders put one at a cut).
KEY_DIFF = MIN_SCORE / 3
#: A decoded stretch that ends on a frame this dark is extended until it is not (fades through black).
DARK_LEVEL = 3 * BLACK_LEVEL
#: The fast path gives up (full decode instead) when the candidates would need more than this share of
#: the frames decoded, and is not tried on clips shorter than MIN_FAST_FRAMES (a full decode is cheap).
MAX_FAST_SHARE = 0.6
MIN_FAST_FRAMES = 150
METHODS = ("auto", "fast", "full")


@dataclass
class ShotReport:
    """How the shots were found: the path taken and what it cost."""

    method: str = ""  # "fast" (packets + decoding around candidates) or "full" (every frame decoded)
    reason: str = ""  # why the full path ran, when it did
    frames: int = 0  # frames in the stream
    decoded: int = 0  # frames decoded
    candidates: int = 0  # cut candidates found in the packets
    #: With ``keep`` (detect_shots), the keyframes the fast path decoded, as sampled frames would show them
    #: (Frame by time), and the times of every keyframe: a sampling that lands on keyframes needs no decode.
    keyframes: dict = field(default_factory=dict)
    keyframe_times: list = field(default_factory=list)

    def summary(self) -> str:
        if self.method == "fast":
            return (f"fast: {self.candidates} candidates from packets, {self.decoded} of {self.frames} frames "
                    "decoded")
        return f"full decode ({self.reason})" if self.reason else "full decode"


def _fast_scores(path, report: ShotReport, budget: bool = True, keep: tuple[int, int] | None = None):
    """content_scores from the compressed domain, or None (with report.reason) when it cannot be trusted."""
    from .pyav_reader import PyAVReader

    try:
        reader = PyAVReader(path)
    except Exception:  # noqa: BLE001 - the full path raises the error users should see
        report.reason = "PyAV cannot open the file"
        return None
    try:
        return _fast_scores_with(reader, report, budget, keep)
    finally:
        reader.close()


def _fast_scores_with(reader, report: ShotReport, budget: bool,  # noqa: C901 - plan, then decode
                      keep: tuple[int, int] | None = None):
    """Candidates from packet sizes and keyframes, then exact scores around them (see the module doc)."""
    from contextlib import closing

    from av.video.reformatter import VideoReformatter

    idx = reader.packet_index()
    n = len(idx)
    report.frames = n
    keys = np.flatnonzero(idx.key)
    problem = None
    if reader.report.warnings:
        problem = "the packet index is incomplete"
    elif n < 4 * (ADAPTIVE_WINDOW + 2):
        problem = "too few frames"
    elif idx.missing_pts:
        problem = "packets without timestamps"
    elif keys.size == 0 or keys[0] != 0:
        problem = "the stream does not start on a keyframe"
    elif keys.size > 0.5 * n:
        problem = "all-intra stream: keyframes say nothing about cuts"
    elif np.any(np.diff(idx.times) <= 0):
        problem = "repeated timestamps"
    if problem:
        report.reason = problem
        return None
    cc = reader.stream.codec_context
    n_mb = -(-cc.width // 16) * -(-cc.height // 16)
    quiet = QUIET_BASE + QUIET_PER_MB * n_mb
    height = tiny_height(cc.width, cc.height)
    reformatter = VideoReformatter()
    tol = 0.25 * float(np.median(np.diff(idx.times)))
    hsv: dict[int, np.ndarray] = {}
    decoded = 0

    def locate(t: float) -> int | None:
        i = int(np.searchsorted(idx.times, t - tol))
        return i if i < n and abs(idx.times[i] - t) <= tol else None

    need = np.zeros(n, dtype=bool)
    before, after = ADAPTIVE_WINDOW + 1, ADAPTIVE_WINDOW

    def want(lo: int, hi: int) -> None:
        need[max(lo, 0) : min(hi, n - 1) + 1] = True

    def key_before(i: int) -> int:
        return int(keys[np.searchsorted(keys, i, side="right") - 1])

    def plan(todo: np.ndarray) -> tuple[list[list[tuple[int, int]]], float]:
        """Decoding passes (runs of wanted frames reached from one seek) and their cost in frames: wanted
        frames count 1, reference frames on the way 1, skipped B-frames on the way 1/2 (some are references)."""
        edges = np.flatnonzero(np.diff(np.concatenate([[0], todo.astype(np.int8), [0]])))
        passes: list[list[tuple[int, int]]] = []
        for a, b in zip(edges[::2], edges[1::2] - 1):
            if passes and key_before(a) <= passes[-1][-1][1]:
                passes[-1].append((int(a), int(b)))
            else:
                passes.append([(int(a), int(b))])
        cost = 0.0
        for p in passes:
            span = np.arange(key_before(p[0][0]), p[-1][1] + 1)
            inside, bidir = todo[span], idx.bidir[span]
            cost += inside.sum() + np.sum(~inside & ~bidir) + 0.5 * np.sum(~inside & bidir)
        return passes, cost

    # 1. candidates from the packets alone: keyframes off the regular cadence, and size spikes
    key_size = float(np.median(idx.sizes[keys]))
    inter = idx.sizes[~idx.key & ~idx.bidir]
    # A busy stream (inter frames nearly as big as keyframes) hides its cuts from the packet sizes: its
    # candidates come from the keyframes alone (step 2), whole GOPs at a time.
    busy = bool(inter.size and float(np.median(inter)) > BUSY_SHARE * key_size)
    candidates = 0
    gaps = np.diff(keys)
    keyint = int(gaps.max()) if gaps.size and int(np.sum(gaps >= gaps.max() - 1)) >= 2 else None
    regular = np.zeros(len(keys), dtype=bool)
    for g in range(1, len(keys)):
        regular[g] = keyint is not None and keys[g] - keys[g - 1] >= keyint - 1
        if not regular[g] and not busy:  # a busy stream's keyframes are all weighed alike, in step 2
            want(int(keys[g]) - before, int(keys[g]) + after)
            candidates += 1
            log.debug("candidate keyframe %.3f (off cadence)", idx.times[keys[g]])
    refs = np.flatnonzero(~idx.bidir)  # I and P frames, display order
    for kind in () if busy else (~idx.key & ~idx.bidir, idx.bidir):
        pos = np.flatnonzero(kind)
        sizes = idx.sizes[pos].astype(np.float64)
        for j, i in enumerate(pos):
            prev, nxt = sizes[max(0, j - SPIKE_WINDOW) : j], sizes[j + 1 : j + 1 + SPIKE_WINDOW]
            before_med = float(np.median(prev)) if prev.size else 0.0
            after_med = float(np.median(nxt)) if nxt.size else 0.0
            # A spike stands above both sides; after a still (or black) stretch, above the stretch is enough:
            # the picture coming back from black is big, and so are the frames of the fade-in after it.
            tall = sizes[j] >= SPIKE_RATIO * max(before_med, 1.0) and (
                sizes[j] >= SPIKE_RATIO * after_med or before_med <= quiet
            )
            # In a busy stream inter frames are big too and a cut stands out less: a frame as big as a good
            # part of the keyframes around it is a candidate whatever its neighbours.
            tall = tall or sizes[j] >= KEY_SHARE * key_size
            if tall and sizes[j] >= SPIKE_FLOOR * quiet:
                r = np.searchsorted(refs, i) - 1  # the cut lies after the reference frame shown before i
                want((int(refs[r]) if r >= 0 else i) - before, i + after)
                candidates += 1
                log.debug("candidate spike %.3f: %d bytes", idx.times[i], sizes[j])
    report.candidates = candidates

    def over_budget(cost: float) -> bool:
        if budget and decoded + cost > MAX_FAST_SHARE * n:
            report.reason = f"the cut candidates would need {(decoded + cost) / n:.0%} of the frames decoded"
            report.decoded = decoded
            return True
        return False

    if over_budget(plan(need)[1] + len(keys)):  # hopeless before decoding anything
        return None

    # 2. every keyframe, decoded alone (the decoder skips the rest), kept for sampling when asked
    kept = {} if keep is not None and len(keys) <= keep[1] else None
    with closing(reader.raw_frames(0.0, keyframes_only=True)) as frames:
        for t, frame in frames:
            decoded += 1
            i = locate(t)
            if i is not None and idx.key[i]:
                hsv[i] = tiny_hsv(reformatter, frame, height)
                if kept is not None:
                    kept[t] = reader.frame_at(frame, t, keep[0])
    if any(int(k) not in hsv for k in keys):
        report.reason = "some keyframes did not decode"
        return None
    if kept is not None and len(kept) == len(keys):
        report.keyframes, report.keyframe_times = kept, reader.keyframe_times()
    # A GOP of quiet packets is a still picture: copies of its keyframe, no decoding.
    bounds = [*map(int, keys), n]
    for g in range(len(keys)):
        a, b = bounds[g], bounds[g + 1]
        if b - a > 1 and bool(np.all(idx.sizes[a + 1 : b] <= quiet)):
            for i in range(a + 1, b):
                hsv[i] = hsv[a]
    # A keyframe on the cadence is a candidate when it looks unlike the one before.
    diffs = np.array([content_score(hsv[int(keys[g - 1])], hsv[int(keys[g])]) for g in range(1, len(keys))])
    for g in range(1, len(keys)):
        k, kp = int(keys[g]), int(keys[g - 1])
        if busy:
            # Sizes showed nothing, so any cut between two keyframes must show in how unlike they are. By
            # the triangle inequality a cut scoring MIN_SCORE between them leaves them at least MIN_SCORE
            # minus the motion on either side apart; the motion over a GOP is estimated from the GOPs around.
            near_gops = np.delete(diffs[max(0, g - 1 - BUSY_GOPS) : g + BUSY_GOPS], min(g - 1, BUSY_GOPS))
            motion = float(np.median(near_gops)) if near_gops.size else 0.0
            if diffs[g - 1] >= max(KEY_DIFF, MIN_SCORE - motion):
                want(kp - before, k + after)  # the cut can be anywhere in the GOP: decode all of it
                report.candidates += 1
                log.debug("candidate GOP %.3f-%.3f (busy stream, keyframes unlike)", idx.times[kp], idx.times[k])
        elif regular[g] and diffs[g - 1] >= KEY_DIFF:
            want(k - before, k + after)
            report.candidates += 1
            log.debug("candidate keyframe %.3f (regular, unlike the one before)", idx.times[k])

    # 3. decode what is wanted; stretches that end dark (a fade through black) and cuts grow their context
    while True:
        have = np.zeros(n, dtype=bool)
        have[list(hsv)] = True
        scores, bright = sparse_scores(hsv, n)
        for i in np.flatnonzero(scores >= MIN_SCORE):
            want(i - before, i + after)
        edges = np.flatnonzero(np.diff(np.concatenate([[0], have.astype(np.int8), [0]])))
        for a, b in zip(edges[::2], edges[1::2] - 1):
            if a > 0 and bright[a] < DARK_LEVEL:
                want(key_before(a - 1), a - 1)
            if b < n - 1 and bright[b] < DARK_LEVEL:
                nxt = keys[keys > b + 1]
                want(b + 1, int(nxt[0]) + after if nxt.size else n - 1)
        todo = need & ~have
        if not todo.any():
            break
        passes, cost = plan(todo)
        if over_budget(cost):
            return None
        for p in passes:
            ranges = [(idx.times[a] - tol, idx.times[b] + tol) for a, b in p]
            last = idx.times[p[-1][1]] - tol
            with closing(reader.raw_frames(float(idx.times[p[0][0]]), wanted=ranges)) as frames:
                shown = -np.inf
                for t, frame in frames:
                    decoded += 1
                    if t < shown - tol:  # AVI: packet times in decode order, frame times guessed
                        report.reason = "frame times are not in display order"
                        report.decoded = decoded
                        return None
                    shown = t
                    i = locate(t)
                    if i is not None and need[i] and i not in hsv:
                        hsv[i] = tiny_hsv(reformatter, frame, height)
                    if t >= last:
                        break
        if not (todo & np.isin(np.arange(n), list(hsv))).any():
            report.reason = "frames around the candidates did not decode"
            report.decoded = decoded
            return None
    report.decoded = decoded
    report.method = "fast"
    scores, bright = sparse_scores(hsv, n)
    return idx.times.copy(), scores, bright


def detect_shots(path: str | os.PathLike, duration: float | None = None, method: str = "auto",
                 report: ShotReport | None = None, keep: tuple[int, int] | None = None) -> list[Shot]:
    """Shots of the video as time spans covering it from start to end (see content_scores for ``method``
    and ``keep``, shot_cuts.py for the cut decision)."""
    report = report if report is not None else ShotReport()
    times, scores, bright = content_scores(path, method, report, keep)
    log.debug("shots of %s: %s", path, report.summary())
    return shots_from_scores(times, scores, bright, duration)
