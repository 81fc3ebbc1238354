"""What is said, as evidence for ``vidmm search --speech``: clips and audio files whose speech matches the query.

Every video with an audio track and every audio file of the folder is transcribed once (the extractor's
transcript channel, cached per file content, in any language, with the English translation of speech in
other languages), and the English of each segment is embedded with the backbone's text encoder (cached
per file). A query is compared with the segments: a file's speech score is its best segment's cosine, and
that segment is a moment. The text encoder (MiniLM for the default backbone) knows English only, which is
why speech in other languages is matched through its translation.

A file's score is the larger of its picture score and ``SPEECH_WEIGHT`` times its speech score, and only
speech scoring at least ``SPEECH_MIN`` counts. Measured with ``python benchmarks/search_speech.py`` (21
queries over 19 files of ../shared/media and one synthetic Spanish reading; docs/search.md): speech that says
what a query asks, in other words, scored 0.51-0.84 (Chinese and Spanish through their translation);
speech not about it at most 0.36, once 0.46; picture scores of the best clip 0.1-0.43.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..cache import make_key
from ..errors import VidmmError

SPEECH_VERSION = "search-speech-v1"
#: Speech scores (text-to-text cosines) run higher than picture scores (text-to-frames): weighted so, the
#: weakest speech match measured (0.51 -> 0.31) still beats the best picture score of a speech query
#: (0.29), and no speech unrelated to a picture query outranks the clip described.
SPEECH_WEIGHT = 0.6
#: Below this cosine the speech is not about the query and is left out.
SPEECH_MIN = 0.4


@dataclass
class SpeechMatch:
    """A file's best-matching transcript segment."""

    file: str  # relative to the folder
    start: float
    end: float
    score: float  # cosine of the query with the segment's English
    text: str
    language: str | None
    english: str

    @property
    def weighted(self) -> float:
        return SPEECH_WEIGHT * self.score

    def to_dict(self) -> dict:
        d = {"start": round(self.start, 3), "end": round(self.end, 3), "score": round(self.score, 4),
             "text": self.text, "language": self.language}
        if self.english != self.text:
            d["translation"] = self.english
        return d


def _segments(path: str, extractor, speech_model) -> tuple[dict, dict] | None:
    """The file's transcript segments and their English's unit vectors (cached), or None without speech."""
    bb = extractor.backbone
    key = make_key(SPEECH_VERSION, extractor.identity(path), speech_model.path, bb.fingerprint)
    hit = extractor.cache.get("search-speech", key)
    if hit is not None:
        return hit
    tr = extractor.transcript(path, speech_model, translate=True)
    segs = tr.segments if tr is not None else []
    english = [s.english.strip() for s in segs]
    vectors = bb.encode_texts(english) if segs else np.zeros((0, bb.dim), np.float32)
    arrays = {"starts": np.array([s.start for s in segs], np.float64),
              "ends": np.array([s.end for s in segs], np.float64), "vectors": np.asarray(vectors, np.float32)}
    meta = {"texts": [s.text for s in segs], "english": english, "languages": [s.language for s in segs]}
    extractor.cache.put("search-speech", key, arrays, meta)
    return arrays, meta


def speech_matches(folder: Path, files: list[str], query: str, extractor, speech_model,
                   progress=None) -> dict[str, SpeechMatch]:
    """The best segment of each file (relative paths under ``folder``) whose speech matches ``query``."""
    qvec = np.asarray(extractor.backbone.encode_texts([query])[0], np.float32)
    out: dict[str, SpeechMatch] = {}
    for i, rel in enumerate(files):
        if progress is not None:
            progress(i, len(files), rel)
        path = str(folder / rel)
        try:
            if not extractor.probe(path).has_audio:
                continue
            arrays, meta = _segments(path, extractor, speech_model)
        except VidmmError:  # unreadable: the picture index says why, or the file is skipped
            continue
        if not len(arrays["starts"]):
            continue
        sims = arrays["vectors"] @ qvec
        k = int(np.argmax(sims))
        if sims[k] >= SPEECH_MIN:
            out[rel] = SpeechMatch(rel, float(arrays["starts"][k]), float(arrays["ends"][k]), float(sims[k]),
                                   meta["texts"][k], meta["languages"][k], meta["english"][k])
    return out


def fuse(hits: list, moments: list, matches: dict[str, SpeechMatch], durations: dict[str, float | None],
         top_k: int) -> tuple[list, list]:
    """Picture hits (all clips, search.ClipHit) and moments with the speech matches folded in: a file scores
    the larger of its picture score and its weighted speech score, its matching segment becomes its first
    moment when it scores higher than its shots, and audio files join the ranking through their speech."""
    from .search import ClipHit, Moment

    by_file = {h.file: h for h in hits}
    for rel, m in matches.items():
        moment = Moment(rel, m.start, m.end, m.weighted)
        hit = by_file.get(rel)
        if hit is None:
            hit = by_file[rel] = ClipHit(rel, m.weighted, durations.get(rel), [])
        hit.speech = m.to_dict()
        hit.score = max(hit.score, m.weighted)
        hit.moments = sorted([moment, *hit.moments], key=lambda x: -x.score)[: max(len(hit.moments), 1)]
        moments = [*moments, moment]
    ranked = sorted(by_file.values(), key=lambda h: -h.score)[:top_k]
    return ranked, sorted(moments, key=lambda x: -x.score)[:top_k]
