"""Emotion's vocal evidence: YAMNet's cues per segment mapped to emotions, the speech spans the timeline
snaps to, and prosody (pitch, energy, rate, pauses) over the speech. YAMNet's scores come from the
Extractor's cached sound channel (vidmm.channels); the cue map is a prior (docs/emotion.md)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..models.expression import LABELS

#: Vocal cue -> emotion distribution: a prior, not a learned model (docs/emotion.md).
CUE_EMOTIONS: dict[str, dict[str, float]] = {
    "laughter": {"happy": 1.0},
    "crying": {"sad": 0.9, "fear": 0.1},
    "shouting": {"angry": 0.6, "fear": 0.2, "surprise": 0.2},
    "sigh": {"sad": 0.6, "neutral": 0.4},
    "applause": {"happy": 0.8, "surprise": 0.2},
    "speech": {"neutral": 1.0},
}
#: Plain speech is weak evidence (a calm voice says little about the face's emotion).
SPEECH_NEUTRAL_FACTOR = 0.3
#: A YAMNet window counts as speech above this speech-cue score.
SPEECH_THRESHOLD = 0.5
#: Vocal cues' arousal (laughing, shouting, crying, applause are aroused; speech is neutral).
CUE_AROUSAL = {"laughter": 0.7, "shouting": 0.9, "crying": 0.5, "applause": 0.6, "sigh": -0.3, "speech": 0.0}


def speech_spans_from_cues(times: np.ndarray, speech: np.ndarray, window_s: float, duration: float,
                           threshold: float = SPEECH_THRESHOLD, gap_s: float = 0.3) -> list[tuple[float, float]]:
    """Runs of YAMNet windows whose speech score passes ``threshold``, as (start, end) seconds."""
    spans: list[list[float]] = []
    hop = float(np.median(np.diff(times))) if len(times) > 1 else window_s
    for t, s in zip(times, speech):
        if s < threshold:
            continue
        # A window's speech is credited to its central hop, so adjacent windows do not overlap.
        a = max(0.0, t + (window_s - hop) / 2)
        b = min(duration, a + hop)
        if spans and a - spans[-1][1] <= gap_s:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    return [(a, b) for a, b in spans if b - a > 0]


def cue_means(events, a: float, b: float) -> dict[str, float] | None:
    if events is None or not len(events):
        return None
    mid = events.times + events.window_s / 2
    sel = (mid >= a) & (mid < b)
    if not sel.any():  # a short segment between window centres: take the nearest window
        sel = np.zeros(len(mid), bool)
        sel[int(np.argmin(np.abs(mid - (a + b) / 2)))] = True
    return {k: float(v[sel].mean()) for k, v in events.cues().items()}


def vocal_distribution(cues: dict[str, float]) -> tuple[np.ndarray | None, float, str | None]:
    """Cue scores -> (emotion distribution, strength, strongest affect cue) through CUE_EMOTIONS."""
    mass = np.zeros(len(LABELS))
    best, best_v = None, 0.0
    for cue, dist in CUE_EMOTIONS.items():
        s = cues.get(cue, 0.0)
        if cue == "speech":
            s *= SPEECH_NEUTRAL_FACTOR
        if s < 0.05:
            continue
        for lab, share in dist.items():
            mass[LABELS.index(lab)] += s * share
        if s > best_v:
            best, best_v = cue, s
    total = float(mass.sum())
    if total <= 0:
        return None, 0.0, None
    return mass / total, min(1.0, total), best


def prosody_summary(feats, speech_spans: Sequence[tuple[float, float]], a: float = 0.0,
                    b: float = float("inf")) -> dict[str, float] | None:
    """Pitch level and range, energy, speaking rate and pauses over the speech windows in [a, b)."""
    if feats is None or not len(feats.times) or not speech_spans:
        return None
    mid = feats.times + feats.window_s / 2
    in_speech = np.zeros(len(mid), bool)
    for s0, s1 in speech_spans:
        in_speech |= (mid >= max(s0, a)) & (mid < min(s1, b))
    if not in_speech.any():
        return None
    pitch = feats.column("pitch_hz")[in_speech]
    voiced = feats.column("voiced")[in_speech]
    pv = pitch[pitch > 0]
    out = {
        "pitch_hz": float(np.median(pv)) if pv.size else 0.0,
        # Range in semitones between the 10th and 90th percentile of the windows' median pitch.
        "pitch_range_st": float(12 * np.log2(np.percentile(pv, 90) / np.percentile(pv, 10))) if pv.size > 1 else 0.0,
        "pitch_std_hz": float(np.mean(feats.column("pitch_std")[in_speech])),
        "energy_db": float(np.mean(feats.column("rms_db")[in_speech])),
        "rate_onsets_per_s": float(np.mean(feats.column("onset_rate")[in_speech])),
        "pause_ratio": float(np.mean(voiced < 0.2)),
    }
    return out


def prosody_arousal(p: dict[str, float] | None) -> float | None:
    """A rough arousal hint in [-1, 1] from pitch variability and speaking rate (not an emotion label).

    References: conversational speech has a pitch range of ~4-8 semitones and ~3-5 syllables/s."""
    if not p:
        return None
    x = 0.5 * np.tanh((p["pitch_range_st"] - 6.0) / 3.0) + 0.5 * np.tanh((p["rate_onsets_per_s"] - 4.0) / 2.0)
    return float(np.clip(x, -1, 1))
