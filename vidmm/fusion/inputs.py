"""What a fusion head sees of one clip: frame tokens, audio window tokens, and their masks.

Everything comes from the shared `Extractor` cache (frame embeddings, librosa audio features), so a clip
is decoded and embedded once whatever the number of heads, epochs or commands. A clip without an audio
track has no audio tokens (``audio is None``); the heads mask that modality instead of failing. With
``text=True`` (heads trained with ``vidmm train --text``) the clip also gets transcript tokens
(vidmm.fusion.text: faster-whisper + the backbone's text encoder, cached); no speech -> ``text is None``,
masked the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..media.audio import FEATURES_VERSION

#: At most this many audio tokens per clip (longer clips: windows averaged in equal groups).
MAX_AUDIO_TOKENS = 32
#: At most this many transcript tokens per clip (one per transcript segment; more are averaged in groups).
MAX_TEXT_TOKENS = 16
#: Bumped whenever what a head sees of a clip changes (stored with every head).
INPUTS_VERSION = "fusion-inputs-1"


@dataclass
class ClipInputs:
    """One clip's tokens. ``frames`` (N, D) unit vectors at ``times``; ``audio`` (W, F) or None."""

    frames: np.ndarray
    times: np.ndarray
    audio: np.ndarray | None
    audio_times: np.ndarray | None
    text: np.ndarray | None = None  # (K, D) transcript segment embeddings
    text_times: np.ndarray | None = None  # (K,) segment start times

    @property
    def has_audio(self) -> bool:
        return self.audio is not None and len(self.audio) > 0

    @property
    def has_text(self) -> bool:
        return self.text is not None and len(self.text) > 0


def _group(matrix: np.ndarray, times: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    if len(matrix) <= n:
        return matrix, times
    edges = np.linspace(0, len(matrix), n + 1).astype(int)
    return (np.stack([matrix[a:b].mean(0) for a, b in zip(edges[:-1], edges[1:])]),
            np.array([times[a] for a in edges[:-1]]))


def text_tokens(path: str, extractor, asr_model=None, start: float | None = None,
                end: float | None = None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Transcript tokens of a file (or of the segments overlapping [start, end)), or (None, None)."""
    from .text import text_features

    tf = text_features(path, extractor, asr_model)
    if tf is None:
        return None, None
    keep = np.ones(len(tf), bool)
    if start is not None and end is not None:
        keep = (tf.ends > start) & (tf.starts < max(end, start + 1e-6))
    if not keep.any():
        return None, None
    vec, t = np.asarray(tf.vectors[keep], np.float32), np.asarray(tf.starts[keep], np.float64)
    return _group(vec, t, MAX_TEXT_TOKENS)


def clip_inputs(path: str, extractor, text: bool = False, asr_model=None) -> ClipInputs:
    """The tokens of one file, from the extractor's cache when present (``text``: transcript tokens too)."""
    fe = extractor.frame_embeddings(path)
    af = extractor.audio_features(path)
    audio = audio_t = None
    if af is not None and len(af.matrix):
        audio, audio_t = _group(np.asarray(af.matrix, np.float32), np.asarray(af.times, np.float64),
                                MAX_AUDIO_TOKENS)
    txt, txt_t = text_tokens(path, extractor, asr_model) if text else (None, None)
    return ClipInputs(np.asarray(fe.vectors, np.float32), np.asarray(fe.times, np.float64), audio, audio_t,
                      txt, txt_t)


def feature_versions(extractor, text: bool = False, asr_model=None) -> dict:
    """What a head's inputs depend on besides the backbone (stored in the head's config). A head with the
    text modality also records the text-token version and the speech model its transcripts came from."""
    out = {"inputs": INPUTS_VERSION, "audio": FEATURES_VERSION, "max_frames": extractor.max_frames}
    if text:
        from .text import TEXT_VERSION, speech_model_name

        out |= {"text": TEXT_VERSION, "speech_model": speech_model_name(asr_model)}
    return out
