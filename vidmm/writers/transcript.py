"""A transcript result in a format by name: the transcribe task's writers (vidmm.writers) on its document."""

from __future__ import annotations

from .subtitles import Cue


def _task():
    from ..tasks.registry import get_task

    return get_task("transcribe")


def transcript_cues(result) -> list[Cue]:
    """Subtitle cues of a TranscriptResult: one per segment, long ones cut at word boundaries."""
    return _task().cues(result.to_dict(words=True))


def render_transcript(result, fmt: str, words: bool = False) -> str:
    """The transcript as text in ``fmt`` (json, jsonl, csv, srt, vtt, txt); subtitles use word times."""
    from . import get_writer

    return get_writer(fmt).render(_task(), [result.to_dict(words=words or fmt in ("srt", "vtt"))])
