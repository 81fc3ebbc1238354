"""English beside the original: Whisper's translate task on the segments that are not in English.

Each such segment is decoded again from its own stretch of audio (``clip_timestamps``: one clip per
segment, with its language given), so a translation belongs to exactly one segment and keeps its times.
That costs one encoder pass per segment translated; English segments cost nothing (they are their own
translation). Whisper base translates the gist, not every word; the translation is evidence for tasks that
match text in English (ask, search: the text encoder, MiniLM, knows English only) and a reading aid.
"""

from __future__ import annotations

import numpy as np

from ..languages import join_text
from .transcript import TranscriptSegment

#: Audio added before and after a segment's times (Whisper's times can clip a word's edges).
PAD_S = 0.2


def needs_translation(segments: list[TranscriptSegment]) -> list[TranscriptSegment]:
    return [s for s in segments if s.language not in (None, "en") and s.translation is None]


def translate_segments(model, audio: np.ndarray, segments: list[TranscriptSegment], beam_size: int = 5,
                       sr: int = 16_000, decode_options: dict | None = None) -> int:
    """Set ``translation`` on each segment of ``segments`` not in English and not translated yet. ``audio``:
    the mono track the segments were decoded from (times in its clock). Returns how many were translated."""
    todo = needs_translation(segments)
    end = len(audio) / sr
    for lang in dict.fromkeys(s.language for s in todo):
        segs = sorted((s for s in todo if s.language == lang), key=lambda s: s.start)
        clips: list[float] = []
        for i, s in enumerate(segs):
            a = max(s.start - PAD_S, clips[-1] if clips else 0.0, 0.0)
            b = min(s.end + PAD_S, segs[i + 1].start if i + 1 < len(segs) else end, end)
            clips += [a, max(b, a + 0.1)]
        out, _ = model.whisper.transcribe(
            np.ascontiguousarray(audio, dtype=np.float32), language=lang, task="translate", beam_size=beam_size,
            condition_on_previous_text=False, vad_filter=False, clip_timestamps=clips, without_timestamps=True,
            **(decode_options or {}))
        texts: list[list[str]] = [[] for _ in segs]
        bounds = np.array(clips[1::2])
        for o in out:
            k = min(int(np.searchsorted(bounds, (o.start + o.end) / 2)), len(segs) - 1)
            texts[k].append(o.text)
        for s, t in zip(segs, texts):
            s.translation = join_text(t, "en")
    return len(todo)
