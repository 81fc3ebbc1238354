"""Frame sampling that decodes only what it needs.

`sample_frames(path, Sampling.uniform(16), size=256)` yields `Frame`s (RGB uint8 arrays with their
`Timecode`) in time order. Two backends share one interface: PyAV (default) and OpenCV (fallback when
PyAV cannot open the file; the first error is kept and raised if both fail).

How the PyAV backend keeps decoding small:
- targets are sorted; for each one it seeks to the keyframe before it and decodes forward only as far as
  the target, and it keeps decoding forward instead of seeking when the next target is close;
- only the chosen frames are converted, and the conversion scales down to the model's size in the same
  swscale call (``VideoFrame.reformat``), so no full-size RGB copy is ever made;
- keyframe-only sampling sets ``skip_frame = "NONKEY"`` so the decoder skips every other frame.

This module opens a reader and runs the sampling; the value types (``Sampling``, ``Frame``,
``SampleReport``) are in sampling.py, the readers in pyav_reader.py and opencv_reader.py (all re-exported).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..errors import DecodeError, InputError, NoVideoStreamError, VidmmError
from .opencv_reader import OpenCVReader
from .pyav_reader import APPROACH_S, FORWARD_DECODE_WINDOW, PacketIndex, PyAVReader
from .sampling import MODES, NEAR_FRACTION, Frame, SampleReport, Sampling, downscale, scaled_size, snap_target

__all__ = [
    "APPROACH_S", "BACKENDS", "FORWARD_DECODE_WINDOW", "MODES", "NEAR_FRACTION", "Frame", "OpenCVReader",
    "PacketIndex", "PyAVReader", "SampleReport", "Sampling", "downscale", "open_reader", "sample_frames",
    "scaled_size", "snap_target",
]


BACKENDS = {"pyav": PyAVReader, "opencv": OpenCVReader}


def open_reader(path: str | os.PathLike, backend: str | None = None):
    """Open with the named backend, or PyAV falling back to OpenCV (raising PyAV's error if both fail)."""
    if backend is not None:
        if backend not in BACKENDS:
            raise InputError(f"unknown decoding backend {backend!r}", hint=f"use one of {', '.join(BACKENDS)}")
        return BACKENDS[backend](path)
    try:
        return PyAVReader(path)
    except VidmmError as first:
        # No fallback for what OpenCV cannot mend either: a path that is not a readable file, an
        # audio-only file, a still image.
        unreadable = first.path is None or not os.path.isfile(first.path) or not os.access(first.path, os.R_OK)
        if unreadable or isinstance(first, NoVideoStreamError) or "still image" in first.message:
            raise
        try:
            return OpenCVReader(path)
        except Exception:  # noqa: BLE001 - the first error is the informative one
            raise first from None


def sample_frames(
    path: str | os.PathLike,
    sampling: Sampling,
    size: int | None = 256,
    backend: str | None = None,
    report: SampleReport | None = None,
) -> Iterator[Frame]:
    """Yield the sampled frames of ``path`` in time order. Raises DecodeError if none can be decoded."""
    reader = open_reader(path, backend)
    count = 0
    try:
        if sampling.kind == "keyframes":
            frames = reader.keyframes(size, sampling.n)
        else:
            duration = reader.duration
            if duration is None or duration <= 0:
                duration = (reader.fps and 1 / reader.fps) or 0.0
            frames = reader.at_times(sampling.windows(duration), size, mode=sampling.mode)
        for frame in frames:
            count += 1
            yield frame
    finally:
        reader.close()
        if report is not None:
            report.backend = reader.report.backend
            report.decoded = reader.report.decoded
            report.seeks = reader.report.seeks
            report.warnings = list(reader.report.warnings)
            report.truncated_at = reader.report.truncated_at
    if count == 0:
        # A truncated or damaged file that still yields frames is answered and flagged (media/health.py).
        # Say why, not what the reader did about it ("cannot seek: decoding from the start").
        why = [w for w in reader.report.warnings if "decoding from the start" not in w]
        raise DecodeError(f"truncated or damaged: {why[0] if why else 'no frame could be decoded'}", path=str(path),
                          hint="re-download or re-encode the file")
