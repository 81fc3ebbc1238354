"""Where segments.py puts boundaries, from the anchors (keyframes) and the packets between them.

Per GOP (the packets between two anchors): a cut at the later keyframe when the encoder put it off its
cadence or the picture stood still up to it; a cut where the picture comes back after a black stretch
(a fade through black), unless the black began with a cut; otherwise, when the two keyframes differ, a
cut at the packet that stands out in size, or, when they differ beyond the motion of the calm GOPs
around, a GOP to decode (a ``Doubt``) as far as segments.py's budget allows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .shot_cuts import BLACK_LEVEL, MIN_SCORE
from .shot_scores import content_score

#: Two anchors this unlike (the content score of shots.py) are a boundary candidate ...
CHANGE = MIN_SCORE
#: ... when they also differ this much more than the motion over the GOPs around them (their median).
MOTION_MARGIN = 12.0
#: GOPs on each side that estimate that motion.
MOTION_GOPS = 4
#: A keyframe the encoder put off its regular cadence is a boundary when it differs this much from the one
#: before (encoders put a keyframe at a cut, but also at flashes and fast motion).
OFF_CADENCE_CHANGE = MIN_SCORE
#: An off-cadence keyframe this unlike the one before is a cut without further look; below, it is checked
#: by decoding the GOP before it when the budget allows.
SURE_CHANGE = 2 * MIN_SCORE
#: A still stretch may begin this many packets after a keyframe (the first inter frames refine its quality)
#: and end this many before the next (B-frames shown before it are predicted from it).
STILL_SLACK = 2
#: The first reference frame at most this many packets after a keyframe refines its quality, whatever the
#: picture does: a still stretch is looked for after it.
STILL_FIRST = 8
#: For the sampling, a packet at most this share of the stream's median keyframe changes the picture little.
STILL_KEY_SHARE = 0.01
#: Sizes hide cuts in a stream whose median P-frame is more than this share of the median keyframe (phones,
#: cameras at high bitrates): there a GOP whose keyframes differ beyond the motion around it gets a boundary
#: at its middle when it is not decoded, if it is at most GUESS_MAX_S long.
BUSY_SHARE = 0.3
GUESS_MAX_S = 2.0
#: A packet this many times the median of its kind before it locates a cut inside a GOP ...
SPIKE_RATIO = 4.0
#: ... and at least this many times the median of the frames of its kind after it.
SPIKE_AFTER = 2.0
#: ... and at least this share of the keyframes' size (a cut codes most blocks anew).
SPIKE_KEY_SHARE = 0.15
SPIKE_WINDOW = 8
#: A packet at most QUIET_BASE + QUIET_PER_MB bytes per 16x16 macroblock repeats its reference (a still or
#: black picture); a run of at least QUIET_RUN of them is a still stretch.
QUIET_BASE = 100
QUIET_PER_MB = 0.02
QUIET_RUN = 4
#: Keyframe intervals encoders use by default (x264 and x265: 250 frames): a gap of this many frames is on
#: the cadence even when it occurs once.
USUAL_KEYINT = (250,)


@dataclass
class Cut:
    time: float
    score: float
    how: str  # "keyframe" (off-cadence keyframe), "packet" (size spike), "frame" (refined), "gop" (middle)


@dataclass
class Anchors:
    pos: np.ndarray  # (G,) positions in the packet index
    hsv: list
    bright: np.ndarray
    off: np.ndarray  # (G,) bool: a keyframe off the stream's cadence (the encoder's choice)


def off_cadence(idx, pos: np.ndarray, all_keys: bool) -> np.ndarray:
    """Keyframes the encoder placed off its regular interval (at a change it saw). A stream whose keyframes
    show no regular interval has all of them off-cadence; thinned anchors have none."""
    off = np.zeros(len(pos), dtype=bool)
    if not all_keys or len(pos) < 2:
        return off
    gaps = np.diff(pos)
    keyint = int(gaps.max()) if int(np.sum(gaps >= gaps.max() - 1)) >= 2 or gaps.max() in USUAL_KEYINT else None
    off[1:] = True if keyint is None else gaps < keyint - 1
    return off


def _motion(d: np.ndarray, g: int, calm: np.ndarray) -> float:
    """Median keyframe difference over the calm GOPs around GOP ``g`` (``d[g-1]`` is its own): those with no
    sign of a cut, so a run of cuts does not pass for motion."""
    lo, hi = max(0, g - 1 - MOTION_GOPS), min(len(d), g + MOTION_GOPS)
    near = [d[j] for j in range(lo, hi) if j != g - 1 and calm[j]]
    return float(np.median(near)) if near else 0.0


@dataclass
class Sizes:
    """Per packet: the median size of the SPIKE_WINDOW inter frames of its kind (P or B) before it and after
    it (NaN: fewer than two before it, or none after), for ``_spike``."""

    before: np.ndarray
    after: np.ndarray

    @classmethod
    def of(cls, idx) -> Sizes:
        import warnings

        from numpy.lib.stride_tricks import sliding_window_view

        n, w = len(idx), SPIKE_WINDOW
        before, after = np.full(n, np.nan), np.full(n, np.nan)
        for kind in (~idx.key & ~idx.bidir, idx.bidir & ~idx.key):
            pos = np.flatnonzero(kind)
            if not pos.size:
                continue
            pad = np.full(w, np.nan)
            win = sliding_window_view(np.concatenate([pad, idx.sizes[pos].astype(np.float64), pad]), w)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows: nothing before or after
                b = np.nanmedian(win[: pos.size], axis=1)  # the w packets of this kind before each
                a = np.nanmedian(win[w + 1 : w + 1 + pos.size], axis=1)  # and the w after it
            enough = np.sum(~np.isnan(win[: pos.size]), axis=1) >= 2  # the first frames after the start say nothing
            before[pos] = np.where(enough, b, np.nan)
            after[pos] = a
        return cls(before, after)


def _spike(idx, sizes: Sizes, a: int, b: int, quiet: float) -> int | None:
    """The inter frame in (a, b) that stands out most in size among its kind around it, if one does enough:
    SPIKE_RATIO times those before it, SPIKE_AFTER times those after (unless a still stretch came before:
    the picture coming back is big, and so are the frames of a fade-in after it), and SPIKE_KEY_SHARE of
    the keyframes (a cut codes most blocks anew; a still picture that starts moving does not)."""
    if b - a < 2:
        return None
    key_size = SPIKE_KEY_SHARE * max(float(idx.sizes[a]), float(idx.sizes[b]) if b < len(idx) else 0.0)
    size = idx.sizes[a + 1 : b].astype(np.float64)
    before, after = sizes.before[a + 1 : b], np.nan_to_num(sizes.after[a + 1 : b])
    with np.errstate(invalid="ignore"):
        ratio = size / np.maximum(before, quiet)
        ok = (~idx.key[a + 1 : b] & ~np.isnan(before) & (size >= key_size) & (ratio >= SPIKE_RATIO)
              & ((size >= SPIKE_AFTER * after) | (before <= quiet)))
    if not ok.any():
        return None
    return a + 1 + int(np.argmax(np.where(ok, ratio, -np.inf)))


def _quiet_runs(idx, a: int, b: int, quiet: float) -> list[tuple[int, int]]:
    """Runs of at least QUIET_RUN packets in (a, b) that repeat their reference (a still or black picture),
    as (first, one past the last) positions: a run that lasts up to the keyframe ends at ``b``."""
    runs, start = [], None
    for i in range(a + 1, b + 1):
        small = i < b and idx.sizes[i] <= quiet
        if small and start is None:
            start = i
        elif not small and start is not None:
            if i - start >= QUIET_RUN:
                runs.append((start, i))
            start = None
    return runs


def still_until(idx, pos: np.ndarray, quiet: float) -> list[float]:
    """Per anchor, the time until which the picture after it stands still (packets that repeat their
    reference, or at most STILL_KEY_SHARE of a keyframe, from the first reference frame after it on, which
    refines the keyframe's quality): every frame before then is (nearly) the anchor's own picture. An
    anchor the picture does not stand still after gets its own time."""
    out = []
    ends = [*map(int, pos[1:]), len(idx)]
    keys = idx.sizes[idx.key]
    small = max(quiet, STILL_KEY_SHARE * float(np.median(keys))) if keys.size else quiet
    for a, b in zip(map(int, pos), ends):
        refs = np.flatnonzero(~idx.bidir[a + 1 : min(b, a + 1 + STILL_FIRST)])
        start = a + 2 + int(refs[0]) if refs.size else a + 1
        i = start
        while i < b and idx.sizes[i] <= small:
            i += 1
        if i == start or (i - start < QUIET_RUN and i < b):
            out.append(float(idx.times[a]))
        else:
            out.append(float(idx.times[i]) if i < len(idx) else float(idx.times[-1]) + 1e-3)
    return out


@dataclass
class Doubt:
    """A GOP whose boundary needs decoding to place (or to confirm)."""

    g: int
    kind: str  # "cut": somewhere in the GOP; "spike"/"key": at packet ``at``, to confirm; "returns": from black
    score: float
    at: int | None = None  # the packet a cheap locator points at
    priority: float = 0.0  # refined in this order, within the budget
    guess: bool = True  # unrefined and not located: a boundary at the GOP's middle (else none)

    def unrefined(self, idx, a: int, b: int) -> list[Cut]:
        """What stands without decoding: the located packet (the keyframe), else the GOP's middle."""
        if self.at is not None:
            return [Cut(float(idx.times[self.at]), self.score, "keyframe" if self.kind == "key" else "packet")]
        return [Cut(float((idx.times[a] + idx.times[b]) / 2), self.score, "gop")] if self.guess else []


def decide(idx, anchors: Anchors, quiet: float) -> tuple[list[Cut], list[Doubt]]:  # noqa: C901
    """Boundaries that need no decoding, and the GOPs (index g: between anchors g-1 and g) that do."""
    pos, hsv, bright, off = anchors.pos, anchors.hsv, anchors.bright, anchors.off
    inter = idx.sizes[~idx.key & ~idx.bidir]
    busy = bool(inter.size and float(np.median(inter)) > BUSY_SHARE * float(np.median(idx.sizes[idx.key])))
    n_gops = len(pos) - 1
    d = np.array([content_score(hsv[g - 1], hsv[g]) for g in range(1, len(pos))])
    black = bright < BLACK_LEVEL
    runs = [_quiet_runs(idx, int(pos[g - 1]), int(pos[g]), quiet) for g in range(1, len(pos))]
    sizes = Sizes.of(idx)
    spikes = [_spike(idx, sizes, int(pos[g - 1]), int(pos[g]), quiet) for g in range(1, len(pos))]

    def still_to(g: int) -> bool:
        """The picture stood still from just after keyframe g-1 up to keyframe g: the two keyframes'
        difference is then the score of the change at keyframe g itself."""
        r = runs[g - 1]
        return bool(r) and r[-1][1] >= int(pos[g]) - STILL_SLACK and r[-1][0] <= int(pos[g - 1]) + 1 + STILL_SLACK

    def at_keyframe(g: int) -> bool:
        """A cut at keyframe g: the encoder put it off its cadence at a change, or the picture stood still
        up to it."""
        return bool((off[g] or still_to(g)) and d[g - 1] >= OFF_CADENCE_CHANGE)

    calm = np.array([not (at_keyframe(g) or spikes[g - 1] is not None or black[g] or black[g - 1])
                     for g in range(1, len(pos))], dtype=bool)
    cuts: list[Cut] = []
    doubts: list[Doubt] = []
    # A fade through black starts a shot where the picture comes back, unless the black began with a cut
    # or the clip opens on black (shot_cuts.py).
    black_began_with_cut = bool(black[0])
    for g in range(1, n_gops + 1):
        a, b, score = int(pos[g - 1]), int(pos[g]), float(d[g - 1])
        r = runs[g - 1]
        if black[g - 1] and not black[g]:  # the picture comes back
            up_to_b = bool(r) and r[-1][1] >= b - STILL_SLACK  # black (or still) up to keyframe g
            if (up_to_b or (not r and off[g])) and score >= OFF_CADENCE_CHANGE:  # at keyframe g, at once
                cuts.append(Cut(float(idx.times[b]), score, "keyframe"))
            elif inside := [x for x in r if x[0] > a + 1 + STILL_SLACK and x[1] < b]:
                # after a black stretch that began inside the GOP: where the biggest picture follows a run
                end = max(inside, key=lambda x: idx.sizes[x[1]])[1]
                cuts.append(Cut(float(idx.times[end]), score, "packet"))
            elif not black_began_with_cut:
                at = r[-1][1] if r else spikes[g - 1]
                doubts.append(Doubt(g, "returns", score, at, 2.0 if at is None else 4.0))
            continue
        hard = at_keyframe(g)
        if hard:
            sure = score >= SURE_CHANGE or still_to(g)
            doubts.append(Doubt(g, "key", score, b, 5.0)) if not sure else cuts.append(
                Cut(float(idx.times[b]), score, "keyframe"))
        if black[g] and not black[g - 1]:  # into black: a cut only where the keyframes say so
            black_began_with_cut = hard
        elif not (black[g] or black[g - 1] or hard) and score >= CHANGE:
            if spikes[g - 1] is not None:
                doubts.append(Doubt(g, "spike", score, spikes[g - 1], 3.0))
            elif score >= _motion(d, g, calm) + MOTION_MARGIN:
                # In a busy stream sizes hide cuts; elsewhere a cut with no intra-sized packet is unlikely
                # and is only looked for when the budget allows.
                guess = busy and idx.times[b] - idx.times[a] <= GUESS_MAX_S
                doubts.append(Doubt(g, "cut", score, None, 1.0 - score / 1000, guess))
    return cuts, doubts
