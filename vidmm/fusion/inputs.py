"""What a fusion head sees of one clip: frame tokens, audio window tokens, and their masks.

Everything comes from the shared `Extractor` cache (frame embeddings, librosa audio features), so a clip
is decoded and embedded once whatever the number of heads, epochs or commands. A clip without an audio
track has no audio tokens (``audio is None``); the heads mask that modality instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..media.audio import FEATURES_VERSION

#: At most this many audio tokens per clip (longer clips: windows averaged in equal groups).
MAX_AUDIO_TOKENS = 32
#: Bumped whenever what a head sees of a clip changes (stored with every head).
INPUTS_VERSION = "fusion-inputs-1"


@dataclass
class ClipInputs:
    """One clip's tokens. ``frames`` (N, D) unit vectors at ``times``; ``audio`` (W, F) or None."""

    frames: np.ndarray
    times: np.ndarray
    audio: np.ndarray | None
    audio_times: np.ndarray | None

    @property
    def has_audio(self) -> bool:
        return self.audio is not None and len(self.audio) > 0


def _group(matrix: np.ndarray, times: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    if len(matrix) <= n:
        return matrix, times
    edges = np.linspace(0, len(matrix), n + 1).astype(int)
    return (np.stack([matrix[a:b].mean(0) for a, b in zip(edges[:-1], edges[1:])]),
            np.array([times[a] for a in edges[:-1]]))


def clip_inputs(path: str, extractor) -> ClipInputs:
    """The tokens of one file, from the extractor's cache when present."""
    fe = extractor.frame_embeddings(path)
    af = extractor.audio_features(path)
    audio = audio_t = None
    if af is not None and len(af.matrix):
        audio, audio_t = _group(np.asarray(af.matrix, np.float32), np.asarray(af.times, np.float64),
                                MAX_AUDIO_TOKENS)
    return ClipInputs(np.asarray(fe.vectors, np.float32), np.asarray(fe.times, np.float64), audio, audio_t)


def feature_versions(extractor) -> dict:
    """What a head's inputs depend on besides the backbone (stored in the head's config)."""
    return {"inputs": INPUTS_VERSION, "audio": FEATURES_VERSION, "max_frames": extractor.max_frames}
