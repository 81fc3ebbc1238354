"""``caption``: one sentence for the file and one per shot, with faces, sounds and what is said
(vidmm.tasks.caption computes them). Videos, photos (one frame) and audio files (what is heard)."""

from __future__ import annotations

import dataclasses

from ..base import ALL_FORMATS, ANY_KIND, Task, VisualOptions, opt


@dataclasses.dataclass
class CaptionOptions(VisualOptions):
    long: bool = opt(False, help="A short paragraph instead of one sentence.")
    no_speech: bool = opt(False, hashed="if-set", load=True, help="Do not transcribe (faster).")
    no_text: bool = opt(False, hashed="if-set", load=True, help="Do not read on-screen text (faster).")
    asr_model: str | None = opt(None, load=True, help="Whisper model name or folder.")
    captioner: str | None = opt(None, hashed="if-set", load=True, help=(
        "A vision-language model (folder or repo id in the local HF cache, e.g. "
        "HuggingFaceTB/SmolVLM2-256M-Video-Instruct) writes the shot sentences."))
    models_dir: str | None = opt(None, load=True, help="Folder of the model files (default: VIDMM_MODELS).")


class CaptionTask(Task):
    """One-sentence caption for each file, plus one per shot (and what is said).

    Words are used only above measured confidence thresholds and hedged below them. The embedded
    default backbone knows objects, animals and places far better than human actions: actions are
    rarely named with it; a CLIP backbone (--backbone) or --captioner does better. A photo is a
    one-frame video; an audio file is captioned from what is said and heard.
    """

    name = "caption"
    summary = "One-sentence caption for the clip and one per shot, with sounds and speech."
    Options = CaptionOptions
    kinds = ANY_KIND
    formats = ALL_FORMATS
    timeline = "segments"

    def load(self, extractor, opts):
        from ..caption import CaptionModels

        return CaptionModels.load(extractor, speech=not opts.no_speech, models_dir=opts.models_dir,
                                  asr_model=opts.asr_model, captioner=opts.captioner, text=not opts.no_text)

    def run(self, path, extractor, state, opts, progress=None):
        from ..caption import caption

        return caption(path, extractor, state, long=opts.long, progress=progress)

    def prefetch(self, path, extractor) -> None:
        if extractor.probe(path).kind == "video":
            extractor.shots(path)  # shot detection decodes most: run it for the next file meanwhile

    def segment_text(self, segment: dict) -> str:
        return str(segment.get("caption") or "")

    def text(self, record: dict) -> str:
        """The caption (the paragraph, when the record has one: ``--long``)."""
        return str(record.get("paragraph") or record.get("caption") or "") + "\n"


def register_tasks(register) -> None:
    register(CaptionTask)
