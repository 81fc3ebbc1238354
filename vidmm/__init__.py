"""vidmm: understand video from Python and the command line.

The front door. Heavy modules are imported only when a function is called, so ``import vidmm`` is cheap.

    >>> import vidmm
    >>> vidmm.probe("clip.mp4").duration
    >>> vidmm.caption("clip.mp4").caption          # any registered task: vidmm.run("caption", "clip.mp4")
    >>> vidmm.ask("talk.mp3", "what is said about prices?").answer
"""

from __future__ import annotations

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
    "run",
    "tasks",
    "info",
    "caption",
    "ask",
    "scene",
    "emotion",
    "transcribe",
    "search",
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


_state: dict = {}


def run(task: str, path, *args, extractor=None, **options):
    """Run a registered task on one file (a folder for ``search``) and return its result; the same lookup
    in the same registry as ``vidmm TASK`` and ``vidmm batch --task TASK``.

    ``args`` fill the task's positional options (ask's question, search's query); ``options`` are its
    Options fields (``vidmm.tasks()[task].Options``). The Extractor (frames, embeddings, cache) and each
    task's loaded models are kept for the process: a second question on one clip decodes nothing and loads
    nothing. ``vidmm.scene(path, labels=...)`` and the other task names are this call."""
    from .tasks.registry import get_task

    t = get_task(task)
    if len(args) > len(t.positional):
        raise TypeError(f"{task}() takes {len(t.positional) + 1} positional arguments ({', '.join(t.positional)})")
    opts = t.options({**dict(zip(t.positional, args)), **options})
    ex = extractor or _extractor(opts)
    t.require(path, ex)
    key = (t.name, id(ex), t.load_key(opts))
    if key not in _state:
        _state[key] = t.load(ex, opts)
    return t.execute(str(path), ex, _state[key], opts)


def _extractor(opts):
    """One Extractor per (backbone, frames, cache) for the process."""
    key = ("extractor", str(getattr(opts, "backbone", None)), getattr(opts, "max_frames", 32), opts.no_cache)
    if key not in _state:
        from .cache import Cache
        from .features import Extractor

        _state[key] = Extractor(backbone=getattr(opts, "backbone", None), cache=Cache(enabled=not opts.no_cache),
                                max_frames=getattr(opts, "max_frames", 32))
    return _state[key]


def tasks() -> dict:
    """Every registered task by name (vidmm.tasks.base.Task); plugins included."""
    from .tasks.registry import tasks as _tasks

    return _tasks()


def load_backbone(name_or_path=None, device="cpu"):
    """A joint image-text backbone by name or path (default: the embedded one); see vidmm.models.backbones."""
    from .models.backbones import load_backbone as _load

    return _load(name_or_path, device=device)


def __getattr__(name):
    if name == "Sampling":
        from .media.frames import Sampling

        return Sampling
    if not name.startswith("_"):  # a task: vidmm.caption(path, ...) is vidmm.run("caption", path, ...)
        import functools

        from .tasks.registry import tasks as _tasks

        if name in _tasks():
            call = functools.partial(run, name)
            call.__doc__ = _tasks()[name].__doc__
            return call
    raise AttributeError(f"module 'vidmm' has no attribute {name!r}")
