"""Emotion from a trained fusion head (`vidmm train --task emotion`) instead of faces and voice cues."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from .emotion import CIRCUMPLEX, DEFAULT_SEGMENT_S, make_segments
from .emotion_result import EmotionResult, EmotionSegment, Evidence, _get


def _head_evidence(pred, has_audio: bool) -> tuple[Evidence, Evidence | None]:
    """A head's modality shares as the segment's visual and audio evidence (no per-modality label)."""
    visual = Evidence(None, 1.0, pred.modalities["visual"])
    vocal = Evidence(None, 1.0, pred.modalities["audio"]) if has_audio else None
    return visual, vocal


def analyze_with_head(path: str, extractor, head, segment_s: float = DEFAULT_SEGMENT_S,
                      transcript: Sequence | None = None) -> EmotionResult:
    """Emotion of one file from a trained fusion head (`vidmm train --task emotion`).

    The head sees what it was trained on: the backbone's frame embeddings and the audio features of the
    shared Extractor (cached), not faces or YAMNet cues. The overall label is the head on the whole clip
    (its training input); the timeline is the head on each ``segment_s`` window (its frames and audio
    windows; a window without a sampled frame uses the nearest one). Each result names its top frames and
    the modality shares that drove it. Arousal/valence come from the circumplex when every label of the
    head is one of the seven FER classes, else they are None."""
    from ..errors import InputError

    t0 = time.perf_counter()
    head.check_task("emotion")
    head.check_backbone(extractor.backbone.fingerprint)
    extractor = head.extractor_for(extractor)
    info = extractor.probe(path)
    if info.kind == "image" or not info.has_video:
        raise InputError("has no video stream", path=path,
                         hint="a trained head needs video frames; run `vidmm emotion` without --head")
    names = tuple(head.labels)
    whole = head.inputs(path, extractor)  # with transcript tokens when the head reads text
    overall = head.explain_inputs([whole])[0]
    duration = float(info.duration or (whole.times[-1] if len(whole.times) else 0.0))
    segs: list[EmotionSegment] = []
    for a, b, _ in make_segments(duration, [], segment_s):
        pred = head.explain_span(path, extractor, a, b)
        visual, vocal = _head_evidence(pred, pred.has_audio)
        probs = np.array([pred.scores[n] for n in names])
        segs.append(EmotionSegment(a, b, False, pred.label, pred.score, probs, visual, vocal, names=names,
                                   frames=pred.frames, shares=pred.modalities))
    for said in transcript or []:
        a, b = _get(said, "start"), _get(said, "end")
        overlaps = [min(b, s.end) - max(a, s.start) for s in segs]
        if segs and max(overlaps) > 0:
            seg = segs[int(np.argmax(overlaps))]
            seg.text = " ".join(x for x in (seg.text, str(_get(said, "text")).strip()) if x)
    probs = np.array([overall.scores[n] for n in names])
    arousal = valence = None
    if all(n in CIRCUMPLEX for n in names):
        valence = float(sum(p * CIRCUMPLEX[n][0] for p, n in zip(probs, names)))
        arousal = float(sum(p * CIRCUMPLEX[n][1] for p, n in zip(probs, names)))
    has_audio = whole.has_audio
    modalities = {"visual": "present (backbone frame embeddings)",
                  "vocal": "present (audio features)" if has_audio else
                  ("absent: no audio track (masked)" if not info.has_audio else "absent: empty audio (masked)")}
    if head.uses_text:
        modalities["text"] = "present (transcript)" if whole.has_text else "absent: no speech (masked)"
    card = head.config.get("card") or {}
    notes = [f"trained head {head.name}: faces and voice cues are not analysed; the label is the head's, "
             "from frame embeddings and audio features" + (" and the transcript" if head.uses_text else "")]
    if card.get("trust"):
        notes.append(f"head model card: {card['trust']}" + (f" ({card['reason']})" if card.get("reason") else ""))
    return EmotionResult(
        file=str(path), duration=duration, label=overall.label, score=overall.score, probs=probs,
        evidence="+".join(["frames"] + ["audio"] * has_audio + ["text"] * whole.has_text), segments=segs, tracks=[], observations=[],
        frames=len(whole.frames), frames_with_faces=0, max_faces=0, modalities=modalities, arousal=arousal,
        valence=valence, prosody=None, cues={},
        models={"backbone": extractor.backbone.fingerprint, "head": head.name, "fusion": f"trained head ({head.strategy})"},
        notes=notes,
        transcript=[{"start": round(_get(s, "start"), 3), "end": round(_get(s, "end"), 3),
                     "text": str(_get(s, "text")).strip()} for s in transcript] if transcript else None,
        elapsed_s=time.perf_counter() - t0, names=names,
        head={"name": head.name, "path": head.path, "strategy": head.strategy, "task": head.task,
              "labels": list(names), "explanation": overall.to_dict()["explanation"]})
