"""vidmm: understand video from Python and the command line.

The front door. Heavy modules are imported only when a function is called, so ``import vidmm`` is cheap.

    >>> import vidmm
    >>> vidmm.probe("clip.mp4").duration
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


def __getattr__(name):
    if name == "Sampling":
        from .media.frames import Sampling

        return Sampling
    raise AttributeError(name)
