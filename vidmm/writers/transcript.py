"""Transcript output by format name: ``txt``, ``srt``, ``vtt``, ``json`` (one function per format).

Adding a format is one function and one entry in ``FORMATS``; the task code never changes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from .subtitles import LINE_WIDTH, MAX_LINES, Cue, split_by_length, split_long_cue, to_srt, to_vtt

#: A segment longer than this (characters) is cut into several subtitle cues when word times are known.
MAX_CUE_CHARS = LINE_WIDTH * MAX_LINES


def transcript_cues(result) -> list[Cue]:
    """Subtitle cues: one per segment; long segments are cut at word boundaries, timed by the word
    timestamps when known, else in proportion to their length."""
    cues: list[Cue] = []
    for seg in result.segments:
        if len(seg.text) <= MAX_CUE_CHARS:
            cues.append((seg.start, seg.end, seg.text))
        elif seg.words:
            cues.extend(split_long_cue([(w.start, w.end, w.text) for w in seg.words], MAX_CUE_CHARS))
        else:
            cues.extend(split_by_length(seg.start, seg.end, seg.text, MAX_CUE_CHARS))
    return cues


def to_txt(result, **_) -> str:
    """Plain text, one segment a line; nothing at all when nothing was said."""
    return "".join(seg.text + "\n" for seg in result.segments)


def to_json(result, words: bool = False, **_) -> str:
    return json.dumps(result.to_dict(words=words), ensure_ascii=False, indent=2) + "\n"


def _srt(result, **_) -> str:
    return to_srt(transcript_cues(result))


def _vtt(result, **_) -> str:
    note = result.warning or ("; ".join(result.notes) if result.notes else None)
    return to_vtt(transcript_cues(result), header_note=note)


FORMATS: dict[str, Callable[..., str]] = {"txt": to_txt, "srt": _srt, "vtt": _vtt, "json": to_json}


def render_transcript(result, fmt: str, words: bool = False) -> str:
    """The transcript as text in ``fmt`` (one of ``FORMATS``)."""
    try:
        writer = FORMATS[fmt]
    except KeyError:
        from ..errors import UsageError

        raise UsageError(f"unknown transcript format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}") from None
    return writer(result, words=words)


def write_transcript(result, fmt: str, out_dir: str | os.PathLike, stem: str | None = None,
                     words: bool = False) -> Path:
    """Write ``<out_dir>/<stem>.<fmt>`` (stem: the input file's name without extension) and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = stem or (Path(result.file).stem if result.file else "transcript")
    path = out / f"{stem}.{fmt}"
    path.write_text(render_transcript(result, fmt, words=words), encoding="utf-8")
    return path
