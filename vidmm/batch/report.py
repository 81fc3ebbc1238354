"""What ``vidmm report`` shows for each video: task records (read from batch logs, or computed) + thumbnails.

Results come from ``--from`` JSONL logs first (matched by content identity, else by path), and only the
missing tasks are run, each with one in-process batch ``Worker`` (models loaded once for all videos).
Thumbnails: one frame from the middle of each shot (at most ``MAX_THUMBS``, spread evenly), small JPEGs.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..threads import budget
from .log import record_key
from .worker import Worker, identity_of

MAX_THUMBS = 24
#: A clip with fewer shots still gets this many thumbnails (shots split evenly), so one glance shows it.
MIN_THUMBS = 6
THUMB_HEIGHT = 112
REPORT_TASKS = ("info", "scene", "emotion", "transcribe", "ocr")


@dataclass
class VideoReport:
    file: str
    identity: str | None
    results: dict[str, dict] = field(default_factory=dict)  # task -> record (maybe an error record)
    thumbs: list[tuple[float, float, str]] = field(default_factory=list)  # (start, end, data: URI)

    @property
    def failed(self) -> bool:
        info = self.results.get("info")
        return info is not None and "error" in info


def load_records(paths: list[str | os.PathLike]) -> list[dict]:
    """Records of batch logs (torn lines ignored; a log is read, never repaired, here)."""
    out = []
    for p in paths:
        for line in Path(p).read_bytes().splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                out.append(rec)
    return out


def _index(records: list[dict]) -> dict[tuple[str, str], dict]:
    """(identity or path key, task) -> the best record: a result beats an error, later beats earlier."""
    idx: dict[tuple[str, str], dict] = {}
    for r in records:
        k = (record_key(r)[0], str(r.get("task")))
        if k not in idx or "error" in idx[k] or "error" not in r:
            idx[k] = r
        pk = ("path:" + os.path.abspath(str(r.get("file"))), str(r.get("task")))
        if pk not in idx or "error" in idx[pk] or "error" not in r:
            idx[pk] = r
    return idx


def thumbnails(path: str, extractor, spans: list[tuple[float, float]], duration: float | None) -> list:
    import cv2

    from ..media.frames import Sampling

    if not spans:
        spans = [(0.0, float(duration or 0.0))]
    total = sum(b - a for a, b in spans)
    if len(spans) < MIN_THUMBS and total > 0:
        split = []
        for a, b in spans:
            k = max(1, round(MIN_THUMBS * (b - a) / total))
            split += [(a + (b - a) * i / k, a + (b - a) * (i + 1) / k) for i in range(k)]
        spans = split
    if len(spans) > MAX_THUMBS:
        step = len(spans) / MAX_THUMBS
        spans = [spans[int(i * step)] for i in range(MAX_THUMBS)]
    frames = extractor.frames(path, Sampling.per_shot(spans, per_shot=1), size=THUMB_HEIGHT)
    out = []
    for (a, b), f in zip(spans, frames):
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(f.image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 78])
        if ok:
            out.append((a, b, "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")))
    return out


class Collector:
    """Gathers reports; runs a task only for the videos no log had it for."""

    def __init__(self, tasks: tuple[str, ...] = REPORT_TASKS, options: dict | None = None,
                 records: list[dict] | None = None, run_missing: bool = True, threads: int | None = None):
        self.tasks = tasks
        self.options = options or {}
        self.index = _index(records or [])
        self.run_missing = run_missing
        self.threads = threads or budget()
        self.workers: dict[str, Worker] = {}
        self._extractor = None

    def worker(self, task: str) -> Worker:
        """One Worker per task, all sharing one Extractor (one probe, audio load, shot detection per file)."""
        if task not in self.workers:
            from ..tasks.registry import get_task

            known = get_task(task).option_names()  # the page's options, each task given its own
            options = {k: v for k, v in self.options.items() if k in known}
            self.workers[task] = Worker(task, options, self.threads, extractor=self.extractor)
        return self.workers[task]

    @property
    def extractor(self):
        if self._extractor is None:
            from ..cache import Cache
            from ..features import Extractor

            self._extractor = Extractor(cache=Cache(enabled=not self.options.get("no_cache")),
                                        max_frames=int(self.options.get("max_frames") or 32))
        return self._extractor

    def collect(self, path: str, progress=None) -> VideoReport:
        ident = identity_of(path)
        rep = VideoReport(path, ident)
        for task in self.tasks:
            rec = self.index.get((ident, task)) if ident else None
            rec = rec or self.index.get(("path:" + os.path.abspath(path), task))
            if rec is None and self.run_missing:
                if progress is not None:
                    progress(path, task)
                rec = self.worker(task).run(path, ident)
            if rec is not None:
                rep.results[task] = rec
            if task == "info" and rec is not None and "error" in rec:
                break  # unreadable: the other tasks would fail the same way
        if not rep.failed and os.path.isfile(path):
            scene = rep.results.get("scene") or {}
            spans = [(s["start"], s["end"]) for s in scene.get("segments") or []]
            if not spans and "error" not in (rep.results.get("info") or {}):
                try:
                    spans = [(s.start, s.end) for s in self.extractor.shots(path)]
                except Exception:  # noqa: BLE001 - no shots: one thumbnail for the whole clip
                    spans = []
            duration = (rep.results.get("info") or {}).get("duration") or scene.get("duration")
            try:
                rep.thumbs = thumbnails(path, self.extractor, spans, duration)
            except Exception:  # noqa: BLE001 - an audio file or undecodable video: the page says so
                rep.thumbs = []
        return rep
