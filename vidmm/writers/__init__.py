"""Writers: task records as the files people, players and scripts read, chosen by format in one place.

Every writer reads records (the JSON documents of ../shared/CLI.md) and the task that made them, never
the task's internals: ``get_writer("srt").render(task, [record])``. The single-file commands and batch
call the same writers on the same records, so their outputs agree by construction. Adding a format is
one class here.
"""

from __future__ import annotations

import json

from ..errors import UsageError


class Writer:
    format = ""
    #: One file per input (with --output-dir): json, srt, vtt, txt. jsonl and csv hold many records.
    per_file = True

    def render(self, task, records: list[dict]) -> str:
        raise NotImplementedError


class JsonWriter(Writer):
    format = "json"

    def render(self, task, records):
        doc = records[0] if len(records) == 1 else records
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


class JsonlWriter(Writer):
    format = "jsonl"
    per_file = False

    def render(self, task, records):
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


class CsvWriter(Writer):
    """One row per input; ``segments=True``: one per timed segment (shot, timeline segment, line)."""

    format = "csv"
    per_file = False

    def __init__(self, segments: bool = False):
        self.segments = segments

    def render(self, task, records):
        from .table import to_csv

        own = task.csv(records, self.segments) if hasattr(task, "csv") else None
        if own is not None:
            return own
        return to_csv(records, segments=self.segments, timeline=getattr(task, "timeline", None))


class SrtWriter(Writer):
    format = "srt"

    def render(self, task, records):
        from .subtitles import to_srt

        return "\n".join(to_srt(task.cues(r)) for r in records)


class VttWriter(Writer):
    format = "vtt"

    def render(self, task, records):
        from .subtitles import to_vtt

        return "\n".join(to_vtt(task.cues(r), header_note=task.note(r)) for r in records)


class TxtWriter(Writer):
    format = "txt"

    def render(self, task, records):
        return "".join(task.text(r) for r in records)


WRITERS: dict[str, type[Writer]] = {w.format: w for w in (JsonWriter, JsonlWriter, CsvWriter, SrtWriter,
                                                           VttWriter, TxtWriter)}


def get_writer(fmt: str, **options) -> Writer:
    """The writer for ``fmt``; UsageError naming the formats otherwise."""
    if fmt not in WRITERS:
        raise UsageError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(WRITERS)}")
    return WRITERS[fmt](**options)
