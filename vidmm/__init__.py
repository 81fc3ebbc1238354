"""vidmm: understand video from Python and the command line.

The front door. Heavy modules are imported only when a function is called, so ``import vidmm`` is cheap.

    >>> import vidmm
    >>> vidmm.probe("clip.mp4").duration
"""

from __future__ import annotations

import os

from ._version import __version__
from .errors import (
    DecodeError,
    InputError,
    ModelFileError,
    ModelMissingError,
    UsageError,
    VidmmError,
)
from .timecode import Span, Timecode

__all__ = [
    "__version__",
    "DecodeError",
    "InputError",
    "ModelFileError",
    "ModelMissingError",
    "Span",
    "Timecode",
    "UsageError",
    "VidmmError",
    "probe",
    "sample_frames",
    "Sampling",
    "load_audio",
    "audio_features",
    "detect_shots",
    "caption",
    "ask",
    "scene",
    "emotion",
    "transcribe",
    "load_backbone",
]


def probe(path):
    """What a media file holds: see :class:`vidmm.media.probe.MediaInfo`."""
    from .media.probe import probe as _probe

    return _probe(path)


def sample_frames(path, sampling=None, size=256, backend=None):
    """Frames of ``path`` (default: 16 uniformly spread) as :class:`vidmm.media.frames.Frame`."""
    from .media.frames import Sampling as _Sampling
    from .media.frames import sample_frames as _sample

    return _sample(path, sampling or _Sampling.uniform(16), size=size, backend=backend)


def load_audio(path, sr=16_000):
    """Mono float32 samples at ``sr`` Hz, or None if the file has no audio track."""
    from .media.audio import load_audio as _load

    return _load(path, sr)


def audio_features(samples, sr=16_000):
    from .media.audio import audio_features as _features

    return _features(samples, sr)


def detect_shots(path, duration=None):
    from .media.shots import detect_shots as _detect

    return _detect(path, duration)


_shared: dict = {}


def _extractor(backbone=None):
    """One Extractor (and its loaded models) per backbone for the process: a second question on the same
    clip reads its frames from the cache and its models from memory."""
    key = ("extractor", backbone)
    if key not in _shared:
        from .features import Extractor

        _shared[key] = Extractor(backbone=backbone)
    return _shared[key]


def caption(path, long=False, backbone=None, extractor=None, models=None):
    """Caption a video: :class:`vidmm.tasks.caption.CaptionResult` (``.caption``, ``.segments``)."""
    from .tasks.caption import CaptionModels
    from .tasks.caption import caption as _caption

    ex = extractor or _extractor(backbone)
    if models is None:
        key = ("caption-models", id(ex))
        if key not in _shared:
            _shared[key] = CaptionModels.load(ex)
        models = _shared[key]
    return _caption(path, ex, models, long=long)


def ask(path, question, choices=None, backbone=None, extractor=None):
    """Answer a question about a video: :class:`vidmm.tasks.ask.AskResult` (``.answer``, ``.confidence``,
    ``.evidence``, ``.candidates``). ``choices``: a list of answers, or ``"a|b|c"``."""
    from .tasks.ask import AskModels, parse_choices
    from .tasks.ask import ask as _ask

    if isinstance(choices, str):
        choices = parse_choices(choices)
    ex = extractor or _extractor(backbone)
    key = ("ask-models", id(ex))
    if key not in _shared:
        _shared[key] = AskModels(ex)
    return _ask(path, question, ex, _shared[key], list(choices) if choices else None)


def _head(head, task):
    """A loaded head: a `vidmm.fusion.TrainedHead` as is, a folder (or ``heads/NAME``) loaded once per
    process. A head trained for another task, or damaged, raises ModelFileError; missing, ModelMissingError."""
    if head is None or not isinstance(head, str | os.PathLike):
        if head is not None:
            head.check_task(task)
        return head
    key = ("head", os.path.abspath(os.fspath(head)))
    if key not in _shared:
        from .fusion import load_head

        _shared[key] = load_head(head)
    _shared[key].check_task(task)
    return _shared[key]


def scene(path, labels=None, top_k=5, backbone=None, extractor=None, head=None, explain=False):
    """Scene/action labels: :class:`vidmm.tasks.scene.SceneResult`. ``labels``: a list of labels,
    ``"a,b,c"``, or None for every built-in vocabulary (zero-shot). ``head``: a trained head (folder,
    ``heads/NAME``, or a loaded `TrainedHead`; task scene or custom) instead of zero-shot labels; it must
    have been trained on ``backbone``. ``explain``: the frames (and, with an attention head, the modality
    weights) behind each label."""
    from .tasks.scene import scene as _scene

    ex = extractor or _extractor(backbone)
    trained = _head(head, "scene")
    if trained is not None:
        trained.check_backbone(ex.backbone.fingerprint)
        return _scene(path, ex, top_k=top_k, head=trained, explain=explain)
    from .labels import resolve_labels

    if isinstance(labels, list | tuple):
        labels = ",".join(labels)
    label_set = resolve_labels(labels, None, None)
    return _scene(path, ex, label_set, top_k=top_k, explain=explain)


def emotion(path, models_dir=None, extractor=None, head=None, backbone=None):
    """Faces and voice fused into an emotion timeline: :class:`vidmm.tasks.emotion.EmotionResult`.
    ``head``: a trained emotion head (folder, ``heads/NAME`` or a loaded `TrainedHead`; task emotion or
    custom) decides instead, from the frame embeddings of ``backbone`` and the audio features."""
    from .tasks.emotion import EmotionModels, analyze

    trained = _head(head, "emotion")
    if trained is not None:
        return analyze(path, extractor or _extractor(backbone), None, head=trained)
    key = ("emotion-models", models_dir)
    if key not in _shared:
        _shared[key] = EmotionModels.load(models_dir)
    return analyze(path, extractor or _extractor(None), _shared[key])


def transcribe(path, asr_model=None):
    """Speech to text with faster-whisper: :class:`vidmm.tasks.transcribe.TranscriptResult`."""
    from .models.speech import load_speech_model
    from .tasks.transcribe import transcribe as _transcribe

    return _transcribe(path, load_speech_model(asr_model))


def load_backbone(name_or_path=None, device="cpu"):
    """A joint image-text backbone by name or path (default: the embedded one); see vidmm.models.backbones."""
    from .models.backbones import load_backbone as _load

    return _load(name_or_path, device=device)


def __getattr__(name):
    if name == "Sampling":
        from .media.frames import Sampling

        return Sampling
    raise AttributeError(name)
