"""``shots``: the segments every visual task works on (what they call shots), listed directly.

By default they come from the keyframe sequence (vidmm/media/segments.py: exact where the encoder marked
a cut, else within one GOP); ``--shots exact`` finds every cut at its frame (vidmm/media/shots.py). The
record says which (``cuts``) and how they were found (``found``). ``--format csv`` writes PySceneDetect's
scene list columns (as ``scenedetect list-scenes`` does), one row per segment, after the file and task
columns every vidmm CSV leads with.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import time

from ..base import ShotOptions, Task

#: The columns of PySceneDetect's scene list CSV (frames counted from 1, end frame inclusive).
CSV_COLUMNS = ("Scene Number", "Start Frame", "Start Timecode", "Start Time (seconds)", "End Frame",
               "End Timecode", "End Time (seconds)", "Length (frames)", "Length (timecode)", "Length (seconds)")


@dataclasses.dataclass
class ShotsResult:
    file: str
    duration: float | None
    fps: float | None
    cuts: str  # "keyframe" or "exact"
    found: str | None  # how (segments.py's summary; kept with the shots in the cache)
    shots: list
    elapsed_s: float = 0.0

    def to_dict(self) -> dict:
        from ... import __version__

        def frame(t: float) -> int | None:
            return None if not self.fps else int(round(t * self.fps))

        segments = [{**s.to_dict(), "start_frame": frame(s.start), "end_frame": frame(s.end)} for s in self.shots]
        d = {"vidmm": __version__, "task": "shots", "file": self.file,
             "duration": None if self.duration is None else round(self.duration, 3),
             "fps": None if self.fps is None else round(self.fps, 3), "cuts": self.cuts}
        if self.found:
            d["found"] = self.found
        d.update(segments=segments, elapsed_s=round(self.elapsed_s, 4))
        return d


class ShotsTask(Task):
    """The video's segments (shots): from the keyframes by default, every cut at its frame with --shots exact."""

    name = "shots"
    summary = "The video's shots (segments): from the keyframes by default, or exact cuts; CSV as PySceneDetect."
    Options = ShotOptions
    kinds = frozenset({"video"})
    formats = ("json", "jsonl", "csv", "srt", "vtt", "txt")
    timeline = "segments"
    uses_backbone = False
    loads_models = False

    def run(self, path, extractor, state, opts, progress=None):
        start = time.perf_counter()
        info = extractor.require_video(path)
        found = extractor.shot_info(path)
        fps = info.video.fps if info.video is not None else None
        return ShotsResult(str(path), info.duration, fps, found.cuts, found.found or None, found.shots,
                           time.perf_counter() - start)

    def segment_text(self, segment: dict) -> str:
        score = segment.get("cut_score")
        return f"shot {segment.get('shot', 0) + 1}" + (f" (cut score {score:g})" if score is not None else "")

    def csv(self, records: list[dict], segments: bool = False) -> str:
        """PySceneDetect's scene list, one row per segment, after the file and task columns every vidmm CSV
        leads with; a file that failed gets one row with its error."""
        errors = any("error" in r for r in records)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["file", "task", *CSV_COLUMNS, *(["error"] if errors else [])])
        for rec in records:
            lead = [rec.get("file"), self.name]
            if "error" in rec:
                w.writerow(lead + [""] * len(CSV_COLUMNS) + [rec["error"].get("message", "")])
                continue
            for i, s in enumerate(rec.get("segments") or []):
                a, b = float(s["start"]), float(s["end"])
                fa, fb = s.get("start_frame"), s.get("end_frame")
                n = None if fa is None or fb is None else fb - fa
                row = [i + 1, "" if fa is None else fa + 1, _timecode(a), f"{a:.3f}", "" if fb is None else fb,
                       _timecode(b), f"{b:.3f}", "" if n is None else n, _timecode(b - a), f"{b - a:.3f}"]
                w.writerow(lead + row + ([""] if errors else []))
        return buf.getvalue()


def _timecode(seconds: float) -> str:
    from ...timecode import Timecode

    return str(Timecode(max(seconds, 0.0)))


def register_tasks(register) -> None:
    register(ShotsTask)
