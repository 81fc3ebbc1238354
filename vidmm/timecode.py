"""Time as a value type: seconds since the start of the media, plus the frame index when known."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Timecode:
    """A point in a media file. Ordered and compared by ``seconds``; ``frame`` is informative."""

    seconds: float
    frame: int | None = field(default=None, compare=False)

    def __post_init__(self):
        if not math.isfinite(self.seconds):
            raise ValueError(f"timecode must be finite, got {self.seconds}")

    def __float__(self) -> float:
        return float(self.seconds)

    def __add__(self, other: float) -> Timecode:
        return Timecode(self.seconds + float(other))

    def __sub__(self, other: Timecode | float) -> float:
        return self.seconds - float(other)

    def rounded(self, ndigits: int = 3) -> float:
        return round(self.seconds, ndigits)

    def _hms(self, sep: str) -> str:
        ms_total = int(round(max(self.seconds, 0.0) * 1000))
        h, rem = divmod(ms_total, 3_600_000)
        m, rem = divmod(rem, 60_000)
        s, ms = divmod(rem, 1000)
        return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"

    def srt(self) -> str:
        return self._hms(",")

    def vtt(self) -> str:
        return self._hms(".")

    def __str__(self) -> str:
        return self._hms(".")


@dataclass(frozen=True)
class Span:
    """A time interval [start, end) in seconds."""

    start: Timecode
    end: Timecode

    @classmethod
    def of(cls, start: float, end: float) -> Span:
        return cls(Timecode(float(start)), Timecode(float(end)))

    @property
    def duration(self) -> float:
        return max(self.end.seconds - self.start.seconds, 0.0)

    @property
    def middle(self) -> Timecode:
        return Timecode((self.start.seconds + self.end.seconds) / 2)

    def contains(self, t: Timecode | float) -> bool:
        return self.start.seconds <= float(t) < self.end.seconds

    def to_dict(self) -> dict:
        return {"start": self.start.rounded(), "end": self.end.rounded()}
