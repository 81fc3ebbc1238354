"""``emotion``: the overall emotion and a timeline, from faces and voice fused, or from a trained head
(vidmm.tasks.emotion computes it). Videos, photos (a face's expression) and audio files (the voice)."""

from __future__ import annotations

import dataclasses

from ...errors import UsageError
from ..base import ALL_FORMATS, ANY_KIND, CommonOptions, Task, opt
from ._heads import trained_head


@dataclasses.dataclass
class EmotionOptions(CommonOptions):
    fps: float = opt(2.0, hashed="if-set", help="Frames sampled per second for faces.")
    max_frames: int = opt(60, hashed="if-set", help="At most this many frames per video.")
    segment: float = opt(3.0, hashed="if-set", help="Timeline segment length in seconds.")
    detector: str = opt("yunet", hashed="if-set", load=True, help="yunet, ultraface-rfb-320 or ultraface-slim-320.")
    speech: bool = opt(False, hashed="if-set", load=True, help="Also transcribe, to show what is said.")
    models_dir: str | None = opt(None, load=True, help="Folder with model files.")
    head: str | None = opt(None, load=True, help=(
        "Trained emotion head (folder from `vidmm train --task emotion`, or heads/NAME in the models folder) "
        "instead of faces + voice fused with fixed weights; frames are then sampled as the head was trained "
        "(--fps, --max-frames and --detector do not apply)."))
    backbone: str | None = opt(None, hashed="if-set", load=True,
                               help="With --head: the backbone it was trained on (default: embedded).")


class EmotionState:
    def __init__(self, models=None, head=None, speech=None):
        self.models, self.head, self.speech = models, head, speech


class EmotionTask(Task):
    """Overall emotion + per-segment timeline, faces and voice fused."""

    name = "emotion"
    summary = "Overall emotion and a per-segment timeline, faces and voice fused."
    Options = EmotionOptions
    kinds = ANY_KIND
    formats = ALL_FORMATS
    timeline = "segments"

    def check(self, opts) -> None:
        super().check(opts)
        if not (opts.fps > 0 and opts.segment > 0):
            raise UsageError("--fps, --max-frames and --segment must be positive")
        if opts.backbone is not None and opts.head is None:
            raise UsageError("--backbone is used with --head", hint="add --head heads/NAME")
        if opts.head is not None:
            trained_head(opts.head, "emotion")  # missing, damaged or a scene head: exit 4 before any file
        else:
            from ...models.faces import DETECTORS

            if opts.detector not in DETECTORS:
                raise UsageError(f"unknown --detector {opts.detector!r}", hint=f"use one of {', '.join(DETECTORS)}")

    def load(self, extractor, opts) -> EmotionState:
        speech = None
        if opts.speech:
            from ...models.speech import load_speech_model

            speech = load_speech_model()
        if opts.head is not None:
            head = trained_head(opts.head, "emotion")
            head.check_backbone(extractor.backbone.fingerprint)  # ModelFileError (exit 4) stops the run
            return EmotionState(head=head, speech=speech)
        from ..emotion import EmotionModels

        # Faces, expressions and sounds are all required: without them there is no emotion to give.
        return EmotionState(models=EmotionModels.load(opts.models_dir, detector=opts.detector), speech=speech)

    def run(self, path, extractor, state: EmotionState, opts, progress=None):
        from ..emotion import analyze

        transcript = None
        if state.speech is not None:  # through the cache: a head that reads text reuses it
            said = extractor.transcript(path, state.speech)
            transcript = said.segments if said is not None and said.segments else None
        return analyze(path, extractor, state.models, fps=opts.fps, max_frames=opts.max_frames,
                       segment_s=opts.segment, transcript=transcript, head=state.head)

    def hashed(self, opts) -> dict:
        from ._heads import hashed_head

        return hashed_head(super().hashed(opts))

    def prefetch(self, path, extractor) -> None:
        if extractor.probe(path).has_audio:
            extractor.audio_features(path)

    def segment_text(self, segment: dict) -> str:
        """The label, its score and where it came from (faces, voice cue, or a head's modality shares),
        then what was said."""
        e = segment.get("emotion") or {}
        if e.get("label") is None:
            line = "no evidence"
        elif segment.get("frames") is not None:
            shares = [f"{n} {100 * v:.0f}%" for n, v in (segment.get("modalities") or {}).items() if v > 0.005]
            line = f"{e['label']} {e['score']:.2f}" + (f" ({'; '.join(shares)})" if shares else "")
        else:
            parts = []
            vis, voc = segment.get("visual") or {}, segment.get("vocal") or {}
            if vis.get("contribution", 0) > 0:
                who = ", ".join(f"face {f}" for f in segment.get("faces") or []) or "faces"
                parts.append(f"{who} {vis.get('label')} {100 * vis['contribution']:.0f}%")
            if voc.get("contribution", 0) > 0:
                parts.append(f"{voc.get('cue') or 'voice'} {100 * voc['contribution']:.0f}%")
            line = f"{e['label']} {e['score']:.2f}" + (f" ({'; '.join(parts)})" if parts else "")
        return line + (f"\n{segment['text']}" if segment.get("text") else "")


def register_tasks(register) -> None:
    register(EmotionTask)
