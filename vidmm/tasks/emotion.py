"""Emotion in a clip from faces and voice, fused late, as a timeline.

Pipeline (one way, each step a module):

    sampled frames -> faces and their expressions (the Extractor's face channel: YuNet, IoU tracks,
        mini-Xception FER2013 7 classes)
    audio -> YAMNet windows (the Extractor's sound channel) -> vocal cues
        -> prosody on speech windows (Extractor.audio_features: librosa pitch, energy, onsets, pauses)
    -> segments (fixed windows whose edges snap to speech spans) -> per-segment fusion -> overall

Per segment and modality: visual evidence is the faces' expression probabilities weighted by detection
score and size, with strength = the share of sampled frames showing a face; vocal evidence maps affect
cues to emotions (``CUE_EMOTIONS``), strength = the cue mass. Late fusion:
``p = normalise(w_v * e_v * p_v + w_a * e_a * p_a)`` with ``FUSION_WEIGHTS``. A photo is one frame (faces
only); an audio file has the voice only; with neither, the answer is "no evidence" (label None), never an
invented label. A trained head (``head=``) replaces all of this: tasks/emotion_head.py. Where the weights
come from and how well it does on the labelled media: docs/emotion.md.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..models.expression import LABELS
from .emotion_result import EmotionResult, EmotionSegment, Evidence, FaceObservation, FaceTrack, _get

FUSION_WEIGHTS = {"visual": 0.60, "vocal": 0.44}
#: Vocal cue -> emotion distribution (a prior; see the module docstring).
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
#: Russell's circumplex: (valence, arousal) in [-1, 1] for each FER class.
CIRCUMPLEX = {
    "angry": (-0.6, 0.7), "disgust": (-0.7, 0.3), "fear": (-0.6, 0.6), "happy": (0.8, 0.5),
    "sad": (-0.7, -0.4), "surprise": (0.2, 0.8), "neutral": (0.0, -0.2),
}
#: Vocal cues' arousal (laughing, shouting, crying, applause are aroused; speech is neutral).
CUE_AROUSAL = {"laughter": 0.7, "shouting": 0.9, "crying": 0.5, "applause": 0.6, "sigh": -0.3, "speech": 0.0}
DEFAULT_FPS = 2.0
DEFAULT_MAX_FRAMES = 60
DEFAULT_SEGMENT_S = 3.0
MIN_SEGMENT_S = 0.5


# ---------------------------------------------------------------------------------------------
# Models


@dataclass
class EmotionModels:
    """The three models the task needs, loaded once (and shared by all files of a run)."""

    detector: Any
    expression: Any
    yamnet: Any

    @classmethod
    def load(cls, models_dir=None, detector: str = "yunet", expression_backend: str = "auto") -> EmotionModels:
        from ..models.audio_events import load_yamnet
        from ..models.expression import load_expression_model
        from ..models.faces import load_detector

        return cls(load_detector(detector, models_dir), load_expression_model(expression_backend, models_dir),
                   load_yamnet(models_dir))

    def names(self) -> dict[str, str]:
        return {"face_detector": getattr(self.detector, "name", "?"),
                "expression": f"fer-mini-xception ({getattr(self.expression, 'backend', '?')})",
                "audio_events": "yamnet", "prosody": "librosa", "fusion": "late (measured weights)"}


# ---------------------------------------------------------------------------------------------
# Steps


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


def make_segments(duration: float, speech: Sequence[tuple[float, float]],
                  segment_s: float = DEFAULT_SEGMENT_S) -> list[tuple[float, float, bool]]:
    """Fixed windows of about ``segment_s`` whose edges snap to speech spans: (start, end, is_speech)."""
    if duration <= 0:
        return []
    edges = sorted({0.0, duration, *(min(max(x, 0.0), duration) for s in speech for x in s)})
    out: list[tuple[float, float, bool]] = []
    for a, b in zip(edges[:-1], edges[1:]):
        if b - a <= 1e-6:
            continue
        is_speech = any(s0 - 1e-6 <= a and b <= s1 + 1e-6 for s0, s1 in speech)
        n = max(1, int(round((b - a) / segment_s)))
        for i in range(n):
            out.append((a + (b - a) * i / n, a + (b - a) * (i + 1) / n, is_speech))
    merged: list[tuple[float, float, bool]] = []
    for seg in out:  # fold slivers into the segment before (or after, for the first)
        if merged and seg[1] - seg[0] < MIN_SEGMENT_S:
            a, _, sp = merged[-1]
            merged[-1] = (a, seg[1], sp or seg[2])
        elif merged and merged[-1][1] - merged[-1][0] < MIN_SEGMENT_S:
            a, _, sp = merged[-1]
            merged[-1] = (a, seg[1], sp or seg[2])
        else:
            merged.append(seg)
    return merged


def _face_weight(score: float, box) -> float:
    height = box[3] - box[1]
    return float(score) * min(1.0, max(height, 0.0) / 48.0)


def analyze_faces(path: str, extractor, sampling, models: EmotionModels
                  ) -> tuple[list[FaceObservation], list[float], list[int]]:
    """Faces and expression probabilities on each sampled frame (the extractor's cached face channel),
    with IoU track ids. Returns (observations, frame times, faces per frame)."""
    from ..models.faces import Face, IoUTracker

    found = extractor.faces(path, models.detector, sampling, models.expression)
    tracker = IoUTracker()
    obs: list[FaceObservation] = []
    counts = []
    for i, t in enumerate(found.times):
        idx = found.faces_on(i)
        faces = tracker.update([Face(tuple(float(v) for v in found.boxes[k]), float(found.scores[k])) for k in idx])
        for k, f in zip(idx, faces):
            obs.append(FaceObservation(float(t), int(f.track), f.box, f.score,
                                       np.asarray(found.probs[k], np.float64)))
        counts.append(len(faces))
    return obs, [float(t) for t in found.times], counts


def _tracks(obs: list[FaceObservation], min_frames: int = 2) -> tuple[list[FaceTrack], dict[int, int]]:
    """Tracks seen in at least ``min_frames`` frames (all tracks if none is), renumbered 1, 2, ... by first
    appearance. Returns the tracks and the map old id -> new id."""
    by: dict[int, list[FaceObservation]] = {}
    for o in obs:
        by.setdefault(o.track, []).append(o)
    keep = [k for k, v in by.items() if len(v) >= min_frames] or list(by)
    keep.sort(key=lambda k: by[k][0].time)
    renum = {k: i + 1 for i, k in enumerate(keep)}
    tracks = []
    for k in keep:
        v = by[k]
        w = np.array([_face_weight(o.score, o.box) for o in v]) + 1e-9
        p = (np.stack([o.probs for o in v]) * w[:, None]).sum(0) / w.sum()
        tracks.append(FaceTrack(renum[k], v[0].time, v[-1].time, len(v), p))
    return tracks, renum


def _visual_evidence(obs, frame_times, frame_counts, a: float, b: float, renum) -> tuple[Evidence | None, list[int]]:
    in_seg = [i for i, t in enumerate(frame_times) if a <= t < b]
    if not in_seg:
        return None, []
    with_face = sum(1 for i in in_seg if frame_counts[i] > 0)
    seg_obs = [o for o in obs if a <= o.time < b]
    if not seg_obs:
        return Evidence(None, 0.0, detail={"frames": len(in_seg), "frames_with_faces": 0}), []
    w = np.array([_face_weight(o.score, o.box) for o in seg_obs]) + 1e-9
    p = (np.stack([o.probs for o in seg_obs]) * w[:, None]).sum(0) / w.sum()
    faces = sorted({renum[o.track] for o in seg_obs if o.track in renum})
    return Evidence(p, with_face / len(in_seg), detail={"frames": len(in_seg), "frames_with_faces": with_face}), faces


def _cue_means(events, a: float, b: float) -> dict[str, float] | None:
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


def _prosody_arousal(p: dict[str, float] | None) -> float | None:
    """A rough arousal hint in [-1, 1] from pitch variability and speaking rate (not an emotion label).

    References: conversational speech has a pitch range of ~4-8 semitones and ~3-5 syllables/s."""
    if not p:
        return None
    x = 0.5 * np.tanh((p["pitch_range_st"] - 6.0) / 3.0) + 0.5 * np.tanh((p["rate_onsets_per_s"] - 4.0) / 2.0)
    return float(np.clip(x, -1, 1))


# ---------------------------------------------------------------------------------------------


def analyze(path: str, extractor, models: EmotionModels, *, fps: float = DEFAULT_FPS,
            max_frames: int = DEFAULT_MAX_FRAMES, segment_s: float = DEFAULT_SEGMENT_S,
            weights: dict[str, float] | None = None, transcript: Sequence | None = None,
            head=None) -> EmotionResult:
    """Emotion of one file. ``extractor`` (vidmm.features.Extractor) gives frames, audio and prosody
    features; ``models`` the detector, expression and YAMNet models. ``transcript``: optional segments
    with start/end/text (from vidmm.tasks.transcribe) shown beside the segments they overlap.

    ``head``: a trained fusion head (`vidmm.fusion.TrainedHead`, task emotion or custom) replaces faces,
    cues and the fixed late fusion: see `analyze_with_head` (``models`` is then not used)."""
    from ..media.frames import Sampling

    if head is not None:
        from .emotion_head import analyze_with_head

        return analyze_with_head(path, extractor, head, segment_s=segment_s, transcript=transcript)
    t0 = time.perf_counter()
    weights = weights or FUSION_WEIGHTS
    info = extractor.probe(path)
    duration = float(info.duration or 0.0)
    notes: list[str] = []
    modalities: dict[str, str] = {}

    # Faces
    obs, frame_times, frame_counts = [], [], []
    if info.has_video:  # a photo is one frame
        n = int(np.clip(round(duration * fps), 1, max_frames)) if duration > 0 and info.kind != "image" else 1
        obs, frame_times, frame_counts = analyze_faces(path, extractor, Sampling.uniform(n), models)
        modalities["visual"] = "present" if obs else f"absent: no face in {len(frame_times)} sampled frames"
    else:
        modalities["visual"] = "absent: no video"
    tracks, renum = _tracks(obs)

    # Voice
    samples = extractor.audio(path) if info.has_audio else None
    events, feats, speech = None, None, []
    if samples is not None and len(samples) > 0:
        events = extractor.sounds(path, models.yamnet)  # YAMNet per window, cached
        speech = speech_spans_from_cues(events.times, events.cues()["speech"], events.window_s,
                                        duration or len(samples) / 16000)
        feats = extractor.audio_features(path) if speech else None
        modalities["vocal"] = "present"
        if duration <= 0:
            duration = len(samples) / 16000
    else:
        modalities["vocal"] = "absent: no audio track" if samples is None else "absent: empty audio"

    # Segments and fusion
    segs: list[EmotionSegment] = []
    for a, b, is_speech in make_segments(duration, speech, segment_s):
        visual, faces = _visual_evidence(obs, frame_times, frame_counts, a, b, renum)
        vocal = None
        cue_means = _cue_means(events, a, b)
        if cue_means is not None:
            p_a, e_a, cue = vocal_distribution(cue_means)
            top_cue = max(cue_means, key=cue_means.get)
            detail: dict[str, Any] = {"cue": cue, "top_cue": top_cue,
                                      "cues": {k: round(v, 3) for k, v in cue_means.items() if v >= 0.05}}
            if is_speech:
                detail["prosody"] = {k: round(v, 3) for k, v in (prosody_summary(feats, speech, a, b) or {}).items()}
            vocal = Evidence(p_a, e_a, detail=detail)
        parts = {}
        if visual is not None and visual.probs is not None and visual.strength > 0:
            parts["visual"] = (weights["visual"] * visual.strength, visual.probs)
        if vocal is not None and vocal.probs is not None and vocal.strength > 0:
            parts["vocal"] = (weights["vocal"] * vocal.strength, vocal.probs)
        total_w = sum(w for w, _ in parts.values())
        label, score, probs = None, 0.0, None
        if total_w > 0:
            probs = sum(w * p for w, p in parts.values()) / total_w
            available = sum(weights[n] for n, ev in (("visual", visual), ("vocal", vocal)) if ev is not None)
            label, score = LABELS[int(probs.argmax())], float(probs.max() * min(1.0, total_w / available))
            for name, ev in (("visual", visual), ("vocal", vocal)):
                if ev is not None and name in parts:
                    ev.contribution = parts[name][0] / total_w
        segs.append(EmotionSegment(a, b, is_speech, label, score, probs, visual, vocal, faces))
    for said in transcript or []:  # each transcript segment goes to the segment it overlaps most
        a, b = _get(said, "start"), _get(said, "end")
        overlaps = [min(b, s.end) - max(a, s.start) for s in segs]
        if segs and max(overlaps) > 0:
            seg = segs[int(np.argmax(overlaps))]
            seg.text = " ".join(x for x in (seg.text, str(_get(said, "text")).strip()) if x)

    # Overall: duration- and strength-weighted sum of the segments' evidence. The score is the top
    # probability times the evidence's coverage: the strength-weighted share of what the available
    # modalities could have given (plain speech alone gives a weak "neutral", not a confident one).
    acc = np.zeros(len(LABELS))
    coverage_num = coverage_den = 0.0
    for s in segs:
        avail = sum(weights[n] for n, ev in (("visual", s.visual), ("vocal", s.vocal)) if ev is not None)
        coverage_den += s.duration * avail
        if s.probs is None:
            continue
        strength = sum(ev.strength * weights[n] for n, ev in (("visual", s.visual), ("vocal", s.vocal))
                       if ev is not None and ev.contribution > 0)
        acc += s.duration * strength * s.probs
        coverage_num += s.duration * strength
    have_v, have_a = bool(obs), any(s.vocal is not None and s.vocal.contribution > 0 for s in segs)
    evidence = "faces+voice" if have_v and have_a else "faces" if have_v else "voice" if have_a else "none"
    label, score, probs, arousal, valence = None, 0.0, None, None, None
    if acc.sum() > 0:
        probs = acc / acc.sum()
        coverage = min(1.0, coverage_num / coverage_den) if coverage_den > 0 else 0.0
        label, score = LABELS[int(probs.argmax())], float(probs.max() * coverage)
        valence = float(sum(probs[i] * CIRCUMPLEX[lab][0] for i, lab in enumerate(LABELS)))
        arousal = float(sum(probs[i] * CIRCUMPLEX[lab][1] for i, lab in enumerate(LABELS)))
    else:
        notes.append(f"no evidence: no face ({modalities['visual']}) and no vocal cue ({modalities['vocal']}); "
                     "no label is given")
    if evidence == "voice":
        notes.append(f"visual part {modalities['visual']}: the emotion is inferred from the voice alone "
                     "(vocal cues are weak evidence; see the segments' cues)")
    elif evidence == "faces" and modalities["vocal"].startswith("absent"):
        notes.append(f"vocal part {modalities['vocal']}: the emotion is from faces alone")
    elif evidence == "faces":
        notes.append("no vocal cue was heard (music, silence or noise only): the emotion is from faces alone")

    clip_cues = {k: float(v.mean()) for k, v in events.cues().items()} if events is not None and len(events) else {}
    prosody = prosody_summary(feats, speech)
    p_arousal = _prosody_arousal(prosody)
    if arousal is not None and p_arousal is not None:
        # The voice's own arousal hint gets the vocal weight's share.
        share = weights["vocal"] / (weights["vocal"] + weights["visual"])
        arousal = (1 - share) * arousal + share * p_arousal
    if prosody is not None and p_arousal is not None:
        prosody["arousal_hint"] = p_arousal

    return EmotionResult(
        file=str(path), duration=duration, label=label, score=score, probs=probs, evidence=evidence,
        segments=segs, tracks=tracks, observations=obs, frames=len(frame_times),
        frames_with_faces=sum(1 for c in frame_counts if c > 0), max_faces=max(frame_counts, default=0),
        modalities=modalities, arousal=arousal, valence=valence, prosody=prosody, cues=clip_cues,
        models=models.names(), notes=notes,
        transcript=[{"start": round(_get(s, "start"), 3), "end": round(_get(s, "end"), 3),
                     "text": str(_get(s, "text")).strip()} for s in transcript] if transcript else None,
        elapsed_s=time.perf_counter() - t0)
