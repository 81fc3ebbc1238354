"""Which frames a video gets by default: as many as its content asks for, on keyframes where it can.

One frame per segment, plus one per ``seconds_per_frame`` of a long segment, at most ``max_frames``: a
static one-minute talk gets a handful, an action montage one per shot. Each segment is cut into that many
equal slots, and a slot's frame is its middle:

* a keyframe near the middle (within sampling.py's "near" tolerance: half the slot, at most NEAR_MAX_S)
  stands in for it: it decodes alone, and segmentation has usually decoded it already; so does the
  keyframe before the middle when the picture stands still from it up to the middle (the packets in
  between repeat it): the middle is then that very picture;
* otherwise the middle is decoded (forward from the keyframe before it) as far as a budget of decoded
  frames allows (DECODE_SHARE of the stream, or DECODE_MIN_MPX megapixel-frames when that is more: a
  small video is cheap to decode), the slots that have no keyframe at all first, the shallowest first;
* past the budget a slot takes the keyframe inside it that lies nearest its middle, or is left out (a
  segment always keeps one frame: its middle is then decoded whatever the budget).

Black keyframes (a cut to black) never stand in for a slot. The choice depends only on the segments, the
keyframes and the stream's size, so a file gets the same frames whichever task samples it first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .sampling import NEAR_FRACTION, NEAR_MAX_S, Sampling
from .shot_cuts import BLACK_LEVEL

#: Decoding budget for slot middles between keyframes (see the module doc).
DECODE_SHARE = 0.03
DECODE_MIN_MPX = 150.0


@dataclass(frozen=True)
class StreamCost:
    """What decoding costs in this stream: frame rate, megapixels per frame, frames in all."""

    fps: float
    mpx: float
    frames: int

    def budget(self) -> float:
        """Megapixel-frames the sampling may decode between keyframes."""
        return max(DECODE_SHARE * self.frames * self.mpx, DECODE_MIN_MPX)


def slot_counts(lengths: list[float], per_segment: int, seconds_per_frame: float, max_frames: int) -> list[int]:
    """Frames per segment: one per ``seconds_per_frame``, at least ``per_segment`` (one), trimmed longest
    first (never below one) to ``max_frames`` in all."""
    want = [max(per_segment, round(n / seconds_per_frame)) for n in lengths]
    while sum(want) > max_frames:
        i = int(np.argmax(want))
        if want[i] == 1:
            break
        want[i] -= 1
    return want


@dataclass
class _Slot:
    lo: float
    hi: float
    segment: int
    anchor: float | None = None  # the usable keyframe inside the slot nearest its middle
    near: bool = False  # that keyframe lies within the "near" tolerance of the middle (or shows the middle)
    dark: float | None = None  # a black keyframe whose picture the middle shows (a black stretch)

    @property
    def middle(self) -> float:
        return (self.lo + self.hi) / 2

    @property
    def step(self) -> float:
        return self.hi - self.lo


def content_sampling(segments: list[tuple[float, float]], keys, max_frames: int, per_segment: int = 1,
                     seconds_per_frame: float = 4.0, cost: StreamCost | None = None) -> Sampling:
    """The default sampling of a video with these segments and keyframes (``keys``: segments.ShotInfo's
    ``anchors`` (seconds, sorted), ``bright`` (NaN where unknown) and ``still``); see the module doc.
    Without ``cost`` nothing is decoded between keyframes unless a segment has no frame otherwise."""
    anchors = np.asarray(keys.anchors, dtype=np.float64)
    black = np.asarray(keys.bright) < BLACK_LEVEL
    still = np.asarray(keys.still, dtype=np.float64)
    usable = anchors[~black]
    if len(segments) > max_frames:  # more segments than frames: slots over the whole stretch instead
        segments, counts = [(segments[0][0], segments[-1][1])], [max_frames]
    else:
        counts = slot_counts([b - a for a, b in segments], per_segment, seconds_per_frame, max_frames)
    slots: list[_Slot] = []
    for j, ((a, b), n) in enumerate(zip(segments, counts)):
        step = max(b - a, 1e-3) / n
        for k in range(n):
            slot = _Slot(a + k * step, a + (k + 1) * step, j)
            inside = usable[(usable >= slot.lo - 1e-6) & (usable < slot.hi - 1e-6)]
            if inside.size:
                slot.anchor = float(inside[np.argmin(np.abs(inside - slot.middle))])
                slot.near = abs(slot.anchor - slot.middle) <= min(NEAR_FRACTION * slot.step, NEAR_MAX_S) + 1e-9
            k = int(np.searchsorted(anchors, slot.middle + 1e-6)) - 1
            if not slot.near and k >= 0 and still[k] >= slot.middle:  # the middle shows keyframe k's picture
                if black[k]:
                    slot.dark = float(anchors[k])
                else:
                    slot.anchor, slot.near = float(anchors[k]), True
            slots.append(slot)
    decode = _to_decode(slots, anchors, cost)
    points: list[tuple[float, float]] = []
    for i, s in enumerate(slots):
        if s.anchor is not None and (s.near or i not in decode):
            points.append((s.anchor, s.step))
        elif i in decode:
            points.append((s.middle, s.step))
    have = {slots[i].segment for i, _ in enumerate(slots) if _chosen(slots[i], i, decode)}
    for j in sorted(set(range(len(counts))) - have):  # a segment without a frame: its middle, whatever it costs
        s = min((x for x in slots if x.segment == j), key=lambda x: abs(x.middle - sum(segments[j]) / 2))
        points.append((s.dark if s.dark is not None else s.middle, s.step))  # a black stretch: its keyframe
    return Sampling.at(points, mode="exact")  # keyframes are chosen here: no target moves to another


def _chosen(slot: _Slot, i: int, decode: set[int]) -> bool:
    return slot.anchor is not None or i in decode


def _to_decode(slots: list[_Slot], anchors: np.ndarray, cost: StreamCost | None) -> set[int]:
    """Slots whose middle is decoded: without a near keyframe, as far as the budget goes (module doc)."""
    if cost is None:
        return set()

    def depth(t: float) -> float:  # frames decoded from the keyframe before t
        before = anchors[anchors <= t + 1e-6]
        return (t - (float(before[-1]) if before.size else 0.0)) * cost.fps

    todo = sorted((i for i, s in enumerate(slots) if not s.near and s.dark is None),
                  key=lambda i: (slots[i].anchor is not None, depth(slots[i].middle)))
    left, chosen = cost.budget(), set()
    for i in todo:
        spend = depth(slots[i].middle) * cost.mpx
        if spend <= left:
            chosen.add(i)
            left -= spend
    return chosen
