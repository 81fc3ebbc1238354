"""Sampling frames with OpenCV: the fallback for files PyAV cannot open."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from ..errors import DecodeError
from ..timecode import Timecode
from .pyav_reader import FORWARD_DECODE_WINDOW
from .sampling import Frame, SampleReport, Sampling, scaled_size
from .source import check_readable


class OpenCVReader:
    """Sample frames with OpenCV: the fallback for files PyAV cannot open."""

    name = "opencv"

    def __init__(self, path: str | os.PathLike):
        import cv2

        self._cv2 = cv2
        self.path = str(check_readable(path))
        # OpenCV's own FFmpeg would print lines like "moov atom not found": one error line is ours to print.
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        self.cap = cv2.VideoCapture(self.path)
        if not self.cap.isOpened():
            raise DecodeError("OpenCV cannot open the file", path=self.path)
        self.fps = self.cap.get(cv2.CAP_PROP_FPS) or None
        count = self.cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.duration = count / self.fps if self.fps and count > 0 else None
        self.report = SampleReport(backend=self.name)

    def close(self):
        self.cap.release()

    def _read(self):
        ok, bgr = self.cap.read()
        if not ok:
            return None, None
        self.report.decoded += 1
        t = self.cap.get(self._cv2.CAP_PROP_POS_MSEC) / 1000.0
        return bgr, t

    def _frame(self, bgr, t: float, size: int | None) -> Frame:
        cv2 = self._cv2
        h, w = bgr.shape[:2]
        sw, sh = scaled_size(w, h, size)
        if (sw, sh) != (w, h):
            bgr = cv2.resize(bgr, (sw, sh), interpolation=cv2.INTER_AREA)
        index = round(t * self.fps) if self.fps else None
        return Frame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), Timecode(max(t, 0.0), index), index, False)

    def at_times(self, windows: Sequence[tuple[float, float]], size: int | None, mode: str = "exact") -> Iterator[Frame]:
        """OpenCV cannot tell keyframes: every mode takes the frame shown at each target."""
        cv2 = self._cv2
        targets = [t for t, _ in windows]
        position = None
        prev = None
        last = None
        for target in sorted(targets):
            if position is None or target < position or target - position > FORWARD_DECODE_WINDOW:
                self.report.seeks += 1
                self.cap.set(cv2.CAP_PROP_POS_MSEC, max(target - 0.5, 0.0) * 1000)
                prev = None
            chosen = None
            while True:
                bgr, t = self._read()
                if bgr is None:
                    chosen, position = prev, None
                    break
                position = t
                if t < target:
                    prev = (bgr, t)
                    continue
                chosen = prev if prev is not None and target - prev[1] <= t - target else (bgr, t)
                prev = (bgr, t)
                break
            if chosen is None or (last is not None and abs(chosen[1] - last) < 1e-6):
                continue
            last = chosen[1]
            yield self._frame(chosen[0], chosen[1], size)

    def keyframes(self, size: int | None, max_n: int | None) -> Iterator[Frame]:
        # OpenCV cannot tell keyframes; approximate with one frame per second (or max_n uniform).
        duration = self.duration or 0.0
        n = max_n or max(1, int(duration))
        yield from self.at_times(Sampling.uniform(n).windows(duration), size)
