"""Photos as one-frame videos: a still image decoded once, upright, as a `Frame` at time 0."""

from __future__ import annotations

import os

import numpy as np

from ..errors import DecodeError
from ..timecode import Timecode
from .frames import Frame, scaled_size
from .source import check_readable


def load_image(path: str | os.PathLike, size: int | None = None) -> Frame:
    """The picture as RGB, EXIF orientation applied, its shorter side scaled down to ``size``."""
    import cv2

    p = check_readable(path)
    data = np.fromfile(str(p), dtype=np.uint8)  # imdecode, not imread: any path, unicode included
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None:
        raise DecodeError("the picture cannot be decoded (damaged or an unsupported kind)", path=str(path))
    h, w = bgr.shape[:2]
    sw, sh = scaled_size(w, h, size)
    if (sw, sh) != (w, h):
        bgr = cv2.resize(bgr, (sw, sh), interpolation=cv2.INTER_AREA)
    return Frame(np.ascontiguousarray(bgr[..., ::-1]), Timecode(0.0), 0, True)
