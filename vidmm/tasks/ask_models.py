"""The models questions may need, each loaded on first use: a place question never loads Whisper.

``AskModels.NAMES`` declares them; ``get(name)`` loads one (once, then kept for the next question),
``loaded(name)`` gives it only if already loaded. Every model is required by the questions that use it:
a missing one raises ModelMissingError (exit 4) with the command that gets it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import evidence as ev


class AskModels:
    """See the module doc. ``preloaded``: models already loaded elsewhere, by name (e.g. the concepts)."""

    #: name -> what it is (the names `get` accepts)
    NAMES = {
        "concepts": "the vocabulary embedded by the backbone (open questions, yes/no, when)",
        "detector": "YuNet face detector (people: yes/no, how many)",
        "yamnet": "YAMNet audio events (sound questions)",
        "speech": "the Whisper model (speech questions)",
        "emotion": "the emotion task's models (feelings)",
        "ocr": "the OCR model (what is written: signs, titles, screens)",
    }

    def __init__(self, extractor, models_dir=None, asr_model=None, preloaded: dict[str, Any] | None = None):
        self.extractor = extractor
        self.models_dir = models_dir
        self.asr_model = asr_model
        unknown = set(preloaded or {}) - set(self.NAMES)
        if unknown:
            raise ValueError(f"AskModels has no model {sorted(unknown)[0]!r}")
        self._models: dict[str, Any] = dict(preloaded or {})
        self._loaders: dict[str, Callable[[], Any]] = {
            "concepts": self._load_concepts, "detector": self._load_detector, "yamnet": self._load_yamnet,
            "speech": self._load_speech, "emotion": self._load_emotion, "ocr": self._load_ocr,
        }

    def get(self, name: str) -> Any:
        """The model ``name`` (one of NAMES), loaded now if it was not yet."""
        if name not in self._models:
            if name not in self._loaders:
                raise KeyError(f"AskModels has no model {name!r}")
            self._models[name] = self._loaders[name]()
        return self._models[name]

    def loaded(self, name: str) -> Any | None:
        """The model ``name`` if it is loaded, else None (nothing is loaded)."""
        return self._models.get(name)

    def names(self, used) -> dict:
        """The result's ``models``: name of each model in ``used`` (model names as in NAMES, or "backbone")."""
        out: dict[str, Any] = {}
        if "backbone" in used:
            out["backbone"] = self.extractor.backbone.fingerprint
        if "detector" in used:
            out["face_detector"] = getattr(self.loaded("detector"), "name", "yunet")
        if "yamnet" in used:
            out["audio_events"] = "yamnet"
        if "speech" in used:
            out["asr"] = getattr(self.loaded("speech"), "name", None)
        if "ocr" in used:
            out["ocr"] = getattr(self.loaded("ocr"), "name", None)
        if "emotion" in used and hasattr(self.loaded("emotion"), "names"):
            out["emotion"] = self.loaded("emotion").names()
        return out

    # -- loaders ------------------------------------------------------------------------------------
    def _load_concepts(self):
        return ev.Concepts.build(self.extractor.backbone, self.extractor.cache)

    def _load_detector(self):
        from ..models.faces import load_detector

        return load_detector("yunet", self.models_dir)

    def _load_yamnet(self):
        from ..models.audio_events import load_yamnet

        return load_yamnet(self.models_dir)

    def _load_speech(self):
        from ..models.speech import load_speech_model

        return load_speech_model(self.asr_model)

    def _load_ocr(self):
        from ..models.ocr import load_ocr

        return load_ocr()

    def _load_emotion(self):
        from .emotion import EmotionModels

        return EmotionModels.load(self.models_dir)
