"""On-screen text as a timeline: the lines the text channel read, each distinct line once.

``ocr(path, extractor, model)`` reads the frames through ``extractor.text`` (vidmm.channels_text, cached)
and merges what it read across frames: a line seen on consecutive frames (the same text once spaces,
case and punctuation are ignored, or nearly the same text in an overlapping box) is one entry with the
``start`` of its first frame and the ``end`` of its last, the box and score of its best reading, and the
reading seen most often. A line missed on one frame and read again on the next keeps its entry. Lines
scoring below the model's ``min_score`` are left out (and counted in a note); spaces the recogniser
dropped between English words are put back (vidmm.tasks.ocr_spaces; the reading as read stays in ``raw``).
When two readings are one line is vidmm.text_lines's ``similar``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..channels_text import INTERVAL, TextFrames
from ..text_lines import SIMILAR, match, norm, similar
from .ocr_spaces import restore_spaces

#: A line unseen for more than this many steps has ended (a reading missed on one frame does not end it).
GAP_STEPS = 2


@dataclass
class TextLine:
    """One distinct line of on-screen text: when it is shown, where (normalised x, y, w, h), how sure."""

    text: str
    start: float
    end: float
    box: tuple[float, float, float, float]
    score: float
    frames: int = 1
    readings: Counter = field(default_factory=Counter, repr=False)
    raw: str | None = None  # the reading before spaces were put back, when they were
    order: tuple[int, int] = (0, 0)  # (frame, place in that frame's reading order) where it first appears
    seen: float = 0.0  # the time it was last seen

    def to_dict(self) -> dict:
        d = {"start": round(self.start, 3), "end": round(self.end, 3), "text": self.text,
             "box": [round(float(v), 4) for v in self.box], "score": round(self.score, 3), "frames": self.frames}
        if self.raw is not None:
            d["raw"] = self.raw
        return d


@dataclass
class OcrResult:
    """``vidmm ocr``'s answer for one file."""

    file: str
    kind: str
    duration: float
    model: str
    lines: list[TextLine]
    frames_sampled: int = 0
    frames_read: int = 0
    boxes_recognised: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The lines in reading order: by when they appear, those appearing together top to bottom."""
        return "\n".join(x.text for x in self.lines)  # timeline() orders them so

    def find(self, query: str, threshold: float = SIMILAR) -> list[tuple[float, TextLine]]:
        """(score, line) of the lines matching ``query``, best first."""
        scored = [(match(query, x.text), x) for x in self.lines]
        return sorted([(s, x) for s, x in scored if s >= threshold], key=lambda p: -p[0])

    def to_dict(self) -> dict:
        return {"task": "ocr", "file": self.file, "kind": self.kind, "duration": round(self.duration, 3),
                "model": self.model, "text": self.text, "lines": [x.to_dict() for x in self.lines],
                "frames": {"sampled": self.frames_sampled, "read": self.frames_read,
                           "recognised": self.boxes_recognised}, "notes": list(self.notes)}


def timeline(frames: TextFrames, until: float | None = None, min_score: float = 0.0,
             below: float | None = None) -> list[TextLine]:
    """Distinct lines across frames scoring at least ``min_score`` (and less than ``below``, when given), in
    order of appearance, lines appearing together in the reading order of the frame they appear on (see the
    module doc). A line ends at the first frame read after its last sighting (``step`` after it on the last
    frame), and never after ``until`` (the end of the file or window)."""
    step = frames.step
    times = [float(t) for t in frames.times]
    done: list[TextLine] = []
    active: list[TextLine] = []
    for i, t in enumerate(times):
        still = []
        for line in active:  # lines unseen for too long have ended
            (still if t - line.seen <= GAP_STEPS * step + 1e-6 else done).append(line)
        active = still
        taken: set[int] = set()
        for k, (text, score, box) in enumerate(frames.lines_on(i, min_score)):
            if below is not None and score >= below:
                continue
            key = norm(text)
            best, best_sim = None, 0.0
            for j, line in enumerate(active):
                sim = 0.0 if j in taken else similar(norm(line.text), key, line.box, box)
                if sim > best_sim:
                    best, best_sim = j, sim
            if best is None:
                active.append(TextLine(text, t, t, box, score, 1, Counter({text: 1}), order=(i, k), seen=t))
                taken.add(len(active) - 1)
                continue
            line = active[best]
            taken.add(best)
            line.seen, line.frames = t, line.frames + 1
            line.readings[text] += 1
            if score > line.score:
                line.box, line.score = box, score
            line.text = max(line.readings, key=lambda r: (line.readings[r], len(r)))
    done.extend(active)
    for line in done:
        later = [u for u in times if u > line.seen + 1e-9]
        line.end = later[0] if later else line.seen + step
        if until:
            line.end = max(line.start, min(line.end, until))
        spaced = restore_spaces(line.text)
        if spaced != line.text:
            line.text, line.raw = spaced, line.text
    return sorted(done, key=lambda x: x.order)


def ocr(path: str, extractor, model, interval: float = INTERVAL) -> OcrResult:
    """The text shown in ``path`` (a video or a photo) as a deduplicated timeline."""
    info = extractor.require_video(path)
    frames = extractor.text(path, model, interval=interval)
    until = (extractor.span(path) or (0.0, float(info.duration or 0.0)))[1]
    lines = timeline(frames, until, model.min_score)
    notes = []
    if not lines:
        notes.append("no text found" + ("" if info.kind == "image" else f" on {len(frames.times)} frames"))
    unsure = len(timeline(frames, until, below=model.min_score))
    if unsure:
        notes.append(f"{unsure} line{'s' if unsure > 1 else ''} read with a score below {model.min_score:g} "
                     "left out: text too small or blurred, or in a script the model does not read (it reads "
                     "Chinese and English characters; not Korean, Japanese kana, Cyrillic, Arabic...)")
    return OcrResult(str(path), info.kind, float(info.duration or 0.0), model.name, lines,
                     len(frames.times), int(frames.ran.sum()), frames.recognised, notes)
