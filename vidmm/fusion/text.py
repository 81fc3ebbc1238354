"""The transcript as a fusion modality: what is said, embedded with the backbone's text encoder.

    audio track -> faster-whisper transcript (vidmm.tasks.transcribe, VAD-gated, cached as "transcript")
        -> one unit vector per transcript segment's English (its text, or its translation when it is in
           another language: the text encoders are English-only) (backbone.encode_texts) at its start time
        -> cached as "text" (key: file identity, backbone, transcript version, speech model, TEXT_VERSION)

A file without an audio track, or whose audio holds no speech (the VAD gate answers in milliseconds),
has no text tokens: the heads mask the modality exactly as they mask a missing audio track. The text
encoder is the backbone's own, so the tokens live in the same space as the frame embeddings and the label
texts (for the default backbone: MiniLM mapped into the visual space).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Bumped whenever what a text token is changes (stored with every head that reads text).
TEXT_VERSION = "text-1"


@dataclass
class TextFeatures:
    """Transcript segments: ``starts``/``ends`` (K,) seconds, ``vectors`` (K, D) unit vectors, ``texts``."""

    starts: np.ndarray
    ends: np.ndarray
    vectors: np.ndarray
    texts: list[str]

    def __len__(self) -> int:
        return len(self.starts)


def speech_model_name(asr_model=None) -> str:
    """The speech model a head's text tokens come from (stored in its config), e.g. ``whisper-tiny.en``."""
    from ..models.speech import load_speech_model

    return load_speech_model(asr_model).name


def text_features(path: str, extractor, asr_model=None) -> TextFeatures | None:
    """The transcript tokens of one file (cached), or None when it has no audio track or no speech."""
    if not extractor.probe(path).has_audio:
        return None
    from ..cache import make_key
    from ..models.speech import load_speech_model
    from ..tasks.transcribe import TRANSCRIBE_VERSION, transcribe

    model = load_speech_model(asr_model)
    bb = extractor.backbone
    cache = extractor.cache
    key = make_key(TEXT_VERSION, extractor.identity(path), bb.fingerprint, TRANSCRIBE_VERSION, model.path,
                   model.compute_type)
    hit = cache.get("text", key)
    if hit is not None:
        arrays, meta = hit
        feats = TextFeatures(arrays["starts"], arrays["ends"], arrays["vectors"], list(meta.get("texts", [])))
    else:
        result = transcribe(path, model, cache=cache if cache.enabled else None, translate=True)
        segs = [s for s in result.segments if s.english.strip()]
        texts = [s.english.strip() for s in segs]
        vectors = bb.encode_texts(texts) if texts else np.zeros((0, bb.dim), np.float32)
        feats = TextFeatures(np.array([s.start for s in segs], np.float64), np.array([s.end for s in segs], np.float64),
                             np.asarray(vectors, np.float32), texts)
        cache.put("text", key, {"starts": feats.starts, "ends": feats.ends, "vectors": feats.vectors},
                  {"texts": texts, "model": model.name})
    return feats if len(feats) else None
