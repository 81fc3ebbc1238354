"""The task table: what ``vidmm batch --task NAME`` runs on each file.

A task is three functions: ``load`` (the models, once per worker: a worker process or a Ray actor),
``run`` (one file -> the same JSON document as the single-video ``--json``) and, optionally,
``prefetch`` (decoding that can run ahead on the next file while this one is in the model). Adding
``caption`` or ``ask`` is one more ``Task(...)`` entry in ``TASKS``; nothing else in the batch code
knows task names.

``options`` is a plain JSON-able dict (the CLI's task options). ``hashed`` names the options that
change a result; their values (with label files replaced by a digest of their content) make the
options hash that ``--resume`` compares.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Options every task's result depends on (the Extractor's settings).
COMMON_HASHED = ("backbone", "max_frames")


@dataclass(frozen=True)
class Task:
    name: str
    run: Callable[[str, Any, Any, dict], dict]  # (path, extractor, state, options) -> record
    load: Callable[[Any, dict], Any] = lambda extractor, options: None  # (extractor, options) -> state
    prefetch: Callable[[str, Any], None] | None = None  # (path, extractor): warm what run() will need
    hashed: tuple[str, ...] = ()
    audio_inputs: bool = False  # folders also yield audio files
    timeline: str | None = None  # the record field holding timed segments (srt/vtt, CSV --segments)
    needs: tuple[str, ...] = field(default=())  # models it loads, for the docs and `--help`


def _head(extractor, options: dict, task: str):
    """The trained head named by ``options["head"]`` (None without one), checked against the task and the
    worker's backbone: a wrong head stops the batch before any file (ModelFileError, exit 4)."""
    if not options.get("head"):
        return None
    from ..fusion import load_head

    head = load_head(options["head"], task=task)
    head.check_backbone(extractor.backbone.fingerprint)
    return head


def _labels(options: dict):
    from ..labels import resolve_labels

    return resolve_labels(options.get("labels"), options.get("labels_file"), options.get("vocab"))


# -- info -------------------------------------------------------------------------------------------------
def _info(path: str, extractor, state, options: dict) -> dict:
    from .. import __version__

    start = time.perf_counter()
    mi = extractor.probe(path)
    return {"vidmm": __version__, "task": "info", **mi.to_dict(), "elapsed_s": round(time.perf_counter() - start, 4)}


# -- scene ------------------------------------------------------------------------------------------------
def _scene_load(extractor, options: dict):
    from ..tasks.scene import Scorer

    head = _head(extractor, options, "scene")
    if head is not None:
        return head
    return Scorer.build(extractor.backbone, _labels(options), extractor.cache)


def _scene(path: str, extractor, state, options: dict) -> dict:
    from ..tasks.scene import Scorer, scene

    top_k = int(options.get("top_k") or 5)
    if isinstance(state, Scorer):
        return scene(path, extractor, top_k=top_k, scorer=state).to_dict()
    return scene(path, extractor, top_k=top_k, head=state).to_dict()


def _shots_ahead(path: str, extractor) -> None:
    """Shot detection decodes the whole video: run it for the next file while this one is embedded."""
    extractor.shots(path)


# -- emotion ----------------------------------------------------------------------------------------------
def _emotion_load(extractor, options: dict):
    from ..tasks.emotion import EmotionModels

    head = _head(extractor, options, "emotion")
    if head is not None:
        return head
    return EmotionModels.load(options.get("models_dir"))


def _emotion(path: str, extractor, state, options: dict) -> dict:
    from ..tasks.emotion import EmotionModels, analyze

    if isinstance(state, EmotionModels):
        return analyze(path, extractor, state).to_dict()
    return analyze(path, extractor, None, head=state).to_dict()


def _audio_ahead(path: str, extractor) -> None:
    if extractor.probe(path).has_audio:
        extractor.audio_features(path)


# -- transcribe -------------------------------------------------------------------------------------------
def _transcribe_load(extractor, options: dict):
    from ..models.speech import load_speech_model

    return load_speech_model(options.get("asr_model"), cpu_threads=options.get("threads") or None)


def _transcribe(path: str, extractor, model, options: dict) -> dict:
    from ..tasks.transcribe import transcribe

    cache = extractor.cache if extractor.cache.enabled else None
    return transcribe(path, model, cache=cache).to_dict()


# -- caption and ask -----------------------------------------------------------------------------------------
def _caption_load(extractor, options: dict):
    from ..tasks.caption import CaptionModels

    return CaptionModels.load(extractor, models_dir=options.get("models_dir"), asr_model=options.get("asr_model"))


def _caption(path: str, extractor, models, options: dict) -> dict:
    from ..tasks.caption import caption

    return caption(path, extractor, models, long=bool(options.get("long"))).to_dict()


def _ask_load(extractor, options: dict):
    from ..tasks.ask import AskModels

    return AskModels(extractor, models_dir=options.get("models_dir"), asr_model=options.get("asr_model"))


def _ask(path: str, extractor, models, options: dict) -> dict:
    from ..tasks.ask import ask

    choices = [c.strip() for c in (options.get("choices") or "").split("|") if c.strip()] or None
    return ask(path, options.get("question") or "", extractor, models, choices=choices).to_dict()


TASKS: dict[str, Task] = {t.name: t for t in (
    Task("info", _info),
    Task("caption", _caption, _caption_load, _shots_ahead, ("long", "asr_model", "models_dir", *COMMON_HASHED),
         timeline="segments", needs=("backbone", "face detector", "yamnet", "whisper")),
    Task("ask", _ask, _ask_load, _shots_ahead, ("question", "choices", "asr_model", "models_dir", *COMMON_HASHED),
         needs=("backbone", "whichever models the question needs")),
    Task("scene", _scene, _scene_load, _shots_ahead,
         ("labels", "labels_file", "vocab", "top_k", "head", *COMMON_HASHED),
         timeline="segments", needs=("backbone",)),
    Task("emotion", _emotion, _emotion_load, _audio_ahead, ("models_dir", "head"),
         timeline="segments",
         needs=("face detector", "expression", "yamnet")),
    Task("transcribe", _transcribe, _transcribe_load, None, ("asr_model",), audio_inputs=True,
         timeline="transcript", needs=("whisper",)),
)}


def hashed_options(task: Task, options: dict) -> dict:
    """The options that change this task's result, label files replaced by their content digest."""
    out = {k: options.get(k) for k in task.hashed}
    if out.get("labels_file"):
        with open(out["labels_file"], "rb") as f:
            out["labels_file"] = "sha256:" + hashlib.sha256(f.read()).hexdigest()[:16]
    if out.get("head"):  # a retrained head in the same folder is another result
        from ..fusion.store import CONFIG, WEIGHTS, resolve_head

        h, d = hashlib.sha256(), resolve_head(out["head"])
        for name in (CONFIG, WEIGHTS):
            if (d / name).is_file():
                h.update((d / name).read_bytes())
        out["head"] = "sha256:" + h.hexdigest()[:16]
    else:  # no head: the same hash as before heads existed (old logs still resume)
        out.pop("head", None)
    return out


def options_hash(task: Task, options: dict) -> str:
    doc = json.dumps({"task": task.name, **hashed_options(task, options)}, sort_keys=True, default=str)
    return hashlib.sha256(doc.encode()).hexdigest()[:16]
