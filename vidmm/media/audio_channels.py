"""Audio with its channels kept apart, for recordings that put one speaker on each channel.

`load_audio` (audio.py) mixes down to mono, which is right for almost every video. Interviews and
calls are often recorded with one microphone per channel; mixed, two voices that overlap become one
garbled stream, while each channel alone transcribes cleanly. `load_audio_channels` keeps them apart
so the speech task can decide (see :func:`independent_channels`).
"""

from __future__ import annotations

import os

import numpy as np

from .audio import SAMPLE_RATE

#: Channels whose correlation is below this are treated as separate recordings (measured: a stereo
#: two-speaker file gives -0.01; stereo music and speech from films and phones give 0.5 to 1.0; one
#: wide-stereo film score gives 0.14, which is why speech must also be heard on both channels).
INDEPENDENT_MAX_CORRELATION = 0.3


def load_audio_channels(path: str | os.PathLike, sr: int = SAMPLE_RATE, max_channels: int = 2) -> np.ndarray | None:
    """The first audio track as float32 (channels, samples) at ``sr`` Hz; None if there is no audio track.

    Tracks with more than ``max_channels`` channels (5.1 films) are returned mixed to mono, shape (1, n):
    their dialogue sits in the centre channel and a proper down-mix is what a listener hears.
    """
    from .audio import decode_track
    from .source import open_container

    with open_container(path) as container:
        if not container.streams.audio:
            return None
        channels = container.streams.audio[0].codec_context.channels or 1
    return decode_track(path, sr, "stereo" if channels == 2 and max_channels >= 2 else "mono")


def channel_correlation(channels: np.ndarray) -> float:
    """Pearson correlation of the first two channels (1.0 for mono or a silent channel)."""
    if channels.ndim != 2 or channels.shape[0] < 2 or channels.shape[1] < 2:
        return 1.0
    a, b = channels[0].astype(np.float64), channels[1].astype(np.float64)
    sa, sb = a.std(), b.std()
    if sa < 1e-6 or sb < 1e-6:
        return 1.0
    return float(((a - a.mean()) * (b - b.mean())).mean() / (sa * sb))


def independent_channels(channels: np.ndarray) -> bool:
    """True when two channels look like two separate recordings rather than one stereo image."""
    return abs(channel_correlation(channels)) < INDEPENDENT_MAX_CORRELATION
