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
"""

from __future__ import annotations

import bisect
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import DecodeError, InputError, NoVideoStreamError, VidmmError
from ..timecode import Span, Timecode
from .source import check_readable, open_container

#: A target this close (seconds) after the decoder's position is reached by decoding forward, not seeking.
FORWARD_DECODE_WINDOW = 1.5
#: On the way to a target, non-reference frames are skipped until this close (seconds, or 8 frames).
APPROACH_S = 0.25


#: How precisely sampled frames match their target times.
#: "exact": the frame shown at the target. "near" (default): a keyframe within NEAR_FRACTION of the spacing
#: between targets if there is one (one decoded frame instead of a run from the previous keyframe), else
#: the exact frame. "keyframe": the nearest keyframe, however far.
MODES = ("exact", "near", "keyframe")
NEAR_FRACTION = 0.4
_MODE_SUFFIX = {"exact": "x", "near": "", "keyframe": "k"}


@dataclass(frozen=True)
class Sampling:
    """Which frames to take. Build with the class methods; ``key()`` names it in cache keys."""

    kind: str
    n: int | None = None
    seconds: float | None = None
    spans: tuple[tuple[float, float], ...] = ()
    n_per_shot: int = 3
    counts: tuple[int, ...] = ()  # per_shot: frames in each span (overrides n_per_shot)
    mode: str = "near"

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"sampling mode must be one of {MODES}, not {self.mode!r}")

    @classmethod
    def uniform(cls, n: int, mode: str = "near") -> Sampling:
        """``n`` frames, one in the middle of each of ``n`` equal parts of the video."""
        if n < 1:
            raise ValueError("uniform sampling needs n >= 1")
        return cls("uniform", n=int(n), mode=mode)

    @classmethod
    def every(cls, seconds: float, mode: str = "near") -> Sampling:
        """A frame every ``seconds``, from the start."""
        if not seconds > 0:
            raise ValueError("sampling interval must be > 0 seconds")
        return cls("every", seconds=float(seconds), mode=mode)

    @classmethod
    def keyframes(cls, max_n: int | None = None) -> Sampling:
        """Only keyframes (all of them, or ``max_n`` spread evenly): the cheapest sampling."""
        return cls("keyframes", n=max_n, mode="keyframe")

    @classmethod
    def per_shot(
        cls,
        spans: Sequence[Span | tuple[float, float]],
        per_shot: int | Sequence[int] = 3,
        mode: str = "near",
    ) -> Sampling:
        """``per_shot`` frames spread inside each span: one count for all, or one count per span."""
        pairs = tuple(
            (float(s.start), float(s.end)) if isinstance(s, Span) else (float(s[0]), float(s[1])) for s in spans
        )
        if isinstance(per_shot, int):
            return cls("per_shot", spans=pairs, n_per_shot=max(1, per_shot), mode=mode)
        counts = tuple(max(1, int(c)) for c in per_shot)
        if len(counts) != len(pairs):
            raise ValueError("per_shot needs one count per span")
        return cls("per_shot", spans=pairs, counts=counts, mode=mode)

    def key(self) -> str:
        """A stable short text naming this sampling, for cache keys."""
        m = _MODE_SUFFIX[self.mode]
        if self.kind == "uniform":
            return f"uniform{self.n}{m}"
        if self.kind == "every":
            return f"every{self.seconds:g}{m}"
        if self.kind == "keyframes":
            return f"keyframes{self.n or ''}"
        spans = ",".join(f"{a:.3f}-{b:.3f}" for a, b in self.spans)
        counts = "/".join(map(str, self.counts)) if self.counts else str(self.n_per_shot)
        return f"pershot{counts}{m}[{spans}]"

    def windows(self, duration: float) -> list[tuple[float, float]]:
        """(target time, spacing to the neighbouring targets) in seconds, sorted by time."""
        duration = max(float(duration), 0.0)
        if self.kind == "uniform":
            step = duration / self.n
            return [((i + 0.5) * step, step) for i in range(self.n)]
        if self.kind == "every":
            count = max(1, int(math.floor(duration / self.seconds - 1e-9)) + 1)
            return [(i * self.seconds, self.seconds) for i in range(count)]
        if self.kind == "per_shot":
            out = []
            counts = self.counts or (self.n_per_shot,) * len(self.spans)
            for (a, b), k in zip(self.spans, counts):
                step = max(b - a, 0.0) / k
                out.extend((a + (i + 0.5) * step, step) for i in range(k))
            return sorted(out)
        return []

    def targets(self, duration: float) -> list[float]:
        """Target times in seconds, sorted. Empty for keyframe sampling (the stream decides)."""
        return [t for t, _ in self.windows(duration)]


@dataclass
class Frame:
    image: np.ndarray  # (H, W, 3) uint8 RGB, display orientation
    time: Timecode
    index: int | None = None  # frame number in the stream when known
    key: bool = False  # a keyframe

    @property
    def seconds(self) -> float:
        return self.time.seconds


@dataclass
class SampleReport:
    """What happened while sampling: the backend used, frames decoded, problems met."""

    backend: str = ""
    decoded: int = 0
    seeks: int = 0
    warnings: list[str] = field(default_factory=list)
    truncated_at: float | None = None  # seconds where the video data stops short of the header's duration


@dataclass
class PacketIndex:
    """The video packets of a stream in display order, read without decoding."""

    times: np.ndarray  # (N,) seconds, container clock
    sizes: np.ndarray  # (N,) bytes
    key: np.ndarray  # (N,) bool: keyframe
    bidir: np.ndarray  # (N,) bool: shown before a packet that was decoded earlier (a B-frame)
    missing_pts: int = 0  # packets without a presentation time (their order is a guess)

    def __len__(self) -> int:
        return len(self.times)


def scaled_size(width: int, height: int, size: int | None) -> tuple[int, int]:
    """Scale so the shorter side is ``size`` (never upscale), keeping the aspect ratio; even-free."""
    if not size or min(width, height) <= size:
        return width, height
    scale = size / min(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def downscale(frame: Frame, size: int) -> Frame:
    """``frame`` with its shorter side scaled down to ``size`` (area filter; never upscales)."""
    h, w = frame.image.shape[:2]
    sw, sh = scaled_size(w, h, size)
    if (sw, sh) == (w, h):
        return frame
    import cv2

    image = cv2.resize(frame.image, (sw, sh), interpolation=cv2.INTER_AREA)
    return Frame(image, frame.time, frame.index, frame.key)


def _rotate(image: np.ndarray, rotation: int) -> np.ndarray:
    """Apply a display-matrix rotation (degrees counter-clockwise) so the image is shown upright."""
    r = rotation % 360
    if r == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=r // 90))


def _nearest(times: list[float], t: float) -> int:
    return min(range(len(times)), key=lambda i: abs(times[i] - t))


def snap_target(keys: list[float], t: float, step: float, mode: str) -> float:
    """Where a target (time ``t``, ``step`` from its neighbours) lands under ``mode`` (see MODES): the
    nearest of the keyframe times ``keys`` where the mode allows, else ``t`` itself."""
    if mode == "exact" or not keys:
        return t
    k = keys[_nearest(keys, t)]
    return k if mode == "keyframe" or abs(k - t) <= NEAR_FRACTION * step else t


class PyAVReader:
    """Sample frames with PyAV (FFmpeg)."""

    name = "pyav"

    def __init__(self, path: str | os.PathLike):
        import av

        self._av = av
        self.path = str(path)
        self.container = open_container(path)
        if not self.container.streams.video:
            self.container.close()
            raise NoVideoStreamError("has no video stream (audio only?)", path=self.path,
                                     hint="use `vidmm transcribe` for audio files")
        self.stream = self.container.streams.video[0]
        from .probe import is_still_image

        if is_still_image(self.container.format.name, self.stream.codec_context.name, self.stream.frames):
            self.container.close()
            raise InputError("is a still image, not a video", path=self.path,
                             hint="vidmm analyses video files; make a clip from the image first")
        # Slice threads only. Frame threading delays output and is flushed on every seek, and FFmpeg's frame
        # threads can deadlock beside torch's thread pool in one process (PyAV#1849, pytorch#150259).
        self.stream.thread_type = "SLICE"
        self.time_base = float(self.stream.time_base) if self.stream.time_base else None
        start = self.container.start_time
        self.t0 = start / 1_000_000 if start not in (None, 0) else 0.0
        rate = self.stream.average_rate or self.stream.guessed_rate
        self.fps = float(rate) if rate else None
        if self.stream.duration is not None and self.time_base:
            # Where the video ends, on the container's clock: a stream may start after the container does.
            start = self.stream.start_time * self.time_base - self.t0 if self.stream.start_time else 0.0
            self.duration = float(max(start, 0.0) + self.stream.duration * self.time_base)
        elif self.container.duration is not None:
            self.duration = self.container.duration / 1_000_000
        else:
            self.duration = None
        self.report = SampleReport(backend=self.name)
        self._rotation: int | None = None
        self._keyframe_times: list[float] | None = None
        self._packets: PacketIndex | None = None
        # One reformatter keeps its swscale context between frames (a new one per frame costs 2x).
        from av.video.reformatter import VideoReformatter

        self._reformatter = VideoReformatter()

    def close(self):
        self.container.close()

    # -- decoding primitives -------------------------------------------------------------------
    def _time_of(self, frame, fallback_index: int) -> float:
        if frame.pts is not None and self.time_base:
            return frame.pts * self.time_base - self.t0
        if self.fps:
            return fallback_index / self.fps
        return 0.0

    def _seek(self, t: float):
        self.report.seeks += 1
        target = t + self.t0
        if self.time_base:
            self.container.seek(max(int(target / self.time_base), 0), stream=self.stream, backward=True)
        else:  # pragma: no cover - every stream we met has a time base
            self.container.seek(max(int(target * 1_000_000), 0))

    def _decode(self) -> Iterator:
        """Decoded frames from the current position; stops quietly at a damaged tail."""
        try:
            for frame in self.container.decode(self.stream):
                self.report.decoded += 1
                yield frame
        except self._av.error.FFmpegError as exc:
            self.report.warnings.append(f"decoding stopped early: {exc.strerror or exc}")

    def _convert(self, frame, size: int | None) -> np.ndarray:
        w, h = scaled_size(frame.width, frame.height, size)
        rgb = self._reformatter.reformat(frame, width=w, height=h, format="rgb24", interpolation="AREA")
        rgb = rgb.to_ndarray()
        if self._rotation is None:
            self._rotation = int(getattr(frame, "rotation", 0) or 0)
        return _rotate(rgb, self._rotation)

    def frame_at(self, frame, t: float, size: int | None) -> Frame:
        """A decoded PyAV frame shown at ``t`` as a sampled Frame (scaled, upright): what at_times gives."""
        return self._frame(frame, t, size)

    def _frame(self, frame, t: float, size: int | None) -> Frame:
        index = round(t * self.fps) if self.fps else None
        return Frame(self._convert(frame, size), Timecode(max(t, 0.0), index), index, bool(frame.key_frame))

    # -- strategies ----------------------------------------------------------------------------
    def _note_early_end(self, last: float | None) -> None:
        """The data stopped well before the duration the header promises: a truncated file."""
        if self.duration and (last is None or last < 0.9 * self.duration - 0.5):
            shown = "no frame" if last is None else f"{last:.1f} s"
            self.report.truncated_at = last or 0.0
            message = f"video data ends at {shown} of the {self.duration:.1f} s the header promises"
            if message not in self.report.warnings:
                self.report.warnings.append(message)

    def packet_index(self) -> PacketIndex:
        """Time, size and kind of every video packet, in display order, from one demux pass (no decoding)."""
        if self._packets is None:
            times, sizes, keys, bidir = [], [], [], []
            top = None  # highest timestamp demuxed so far: a packet shown before it is a B-frame
            missing = 0
            try:
                for packet in self.container.demux(self.stream):
                    if not packet.size:
                        continue  # the demuxer's flush packet
                    ts = packet.pts if packet.pts is not None else packet.dts
                    if ts is None or not self.time_base:
                        missing += 1
                        continue
                    missing += packet.pts is None
                    times.append(ts * self.time_base - self.t0)
                    sizes.append(packet.size)
                    keys.append(bool(packet.is_keyframe))
                    bidir.append(top is not None and ts < top)
                    top = ts if top is None else max(top, ts)
            except self._av.error.FFmpegError as exc:
                self.report.warnings.append(f"reading the packet index stopped early: {exc.strerror or exc}")
            order = np.argsort(np.asarray(times, dtype=np.float64), kind="stable")
            self._packets = PacketIndex(np.asarray(times, dtype=np.float64)[order],
                                        np.asarray(sizes, dtype=np.int64)[order],
                                        np.asarray(keys, dtype=bool)[order],
                                        np.asarray(bidir, dtype=bool)[order], missing)
            self.container.seek(0)
        return self._packets

    def keyframe_times(self) -> list[float]:
        """Times of the stream's keyframes, read from packets without decoding (demux only)."""
        if self._keyframe_times is None:
            index = self.packet_index()
            self._keyframe_times = [float(t) for t in index.times[index.key]]
        return self._keyframe_times

    def raw_frames(self, start: float = 0.0, wanted: Sequence[tuple[float, float]] = (),
                   keyframes_only: bool = False) -> Iterator[tuple[float, object]]:
        """(time, unconverted PyAV frame) from the keyframe at or before ``start`` on, for callers that
        convert frames themselves (shot detection). Frames shown before that keyframe are dropped (open-GOP
        leading frames decode wrongly after a seek).

        With ``wanted`` (sorted time ranges), non-reference frames are skipped while the next range is more
        than APPROACH_S (or 8 frames) ahead: every frame inside a range comes out, others may not.
        """
        cc = self.stream.codec_context
        near = max(APPROACH_S, 8 / self.fps if self.fps else APPROACH_S)
        keys = self.keyframe_times()
        key = self._keyframe_before(keys, start) if keys else None
        floor = (key if key is not None else start) - 1e-6
        self._seek(key if key is not None else start)
        ranges = sorted(wanted)
        r = 0

        def skip_for(t: float) -> str:
            if keyframes_only:
                return "NONKEY"
            if not ranges or r >= len(ranges) or ranges[r][0] - t > near:
                return "NONREF" if ranges else "DEFAULT"
            return "DEFAULT"

        try:
            cc.skip_frame = skip_for(floor)
            for n, frame in enumerate(self._decode()):
                t = self._time_of(frame, n)
                if t < floor:
                    continue
                while r < len(ranges) and t > ranges[r][1]:
                    r += 1
                cc.skip_frame = skip_for(t)
                yield t, frame
        finally:
            cc.skip_frame = "DEFAULT"

    def _keyframe_before(self, keys: list[float], t: float) -> float | None:
        i = bisect.bisect_right(keys, t + 1e-6) - 1
        return keys[i] if i >= 0 else None

    def _snap_to_keyframes(self, windows: Sequence[tuple[float, float]], mode: str) -> list[float]:
        """Targets after moving each to a keyframe where the mode allows it."""
        targets = [t for t, _ in windows]
        if mode == "exact":
            return targets
        keys = self.keyframe_times()
        if not keys:
            return targets
        return sorted({snap_target(keys, t, step, mode) for t, step in windows})

    def at_times(self, windows: Sequence[tuple[float, float]], size: int | None, mode: str = "exact") -> Iterator[Frame]:
        """For each (target, spacing), the frame shown at the target (nearest), or a keyframe (see MODES).

        Seeks only when a keyframe lies between the decoder's position and the target: otherwise decoding
        forward is cheaper than going back to a keyframe already passed. On the way to a target the
        decoder skips non-reference frames (nothing depends on them) until it is close.
        """
        targets = self._snap_to_keyframes(windows, mode)
        keys = self.keyframe_times() if len(targets) > 1 else []
        cc = self.stream.codec_context
        near = max(APPROACH_S, 8 / self.fps if self.fps else APPROACH_S)
        position = None  # time of the last decoded frame; None = must seek
        decoder = None
        prev = None  # (frame, time) of the last decoded frame before the target
        last_yielded = None
        n_decoded = 0
        for target in targets:
            key = self._keyframe_before(keys, target) if keys else None
            if decoder is None or position is None or target < position:
                must_seek = True
            elif key is not None:
                must_seek = key > position + 1e-6
            else:
                must_seek = target - position > FORWARD_DECODE_WINDOW
            if must_seek:
                self._seek(target)
                decoder = self._decode()
                prev = None
            chosen = None
            cc.skip_frame = "NONREF" if position is None or target - position > near else "DEFAULT"
            for frame in decoder:
                t = self._time_of(frame, n_decoded)
                n_decoded += 1
                position = t
                if t < target - 1e-6:
                    prev = (frame, t)
                    if t >= target - near:
                        cc.skip_frame = "DEFAULT"
                    continue
                # first frame at or after target: pick the nearer of it and the one before
                chosen = prev if prev is not None and target - prev[1] <= t - target else (frame, t)
                prev = (frame, t)
                break
            else:
                decoder = None  # end of stream: the last frame stands for targets past the end
                position = None
                chosen = prev
                self._note_early_end(prev[1] if prev else None)
            cc.skip_frame = "DEFAULT"
            if chosen is None:
                continue
            frame, t = chosen
            if last_yielded is not None and abs(t - last_yielded) < 1e-6:
                continue  # a clip shorter than the sampling: one frame serves several targets
            last_yielded = t
            yield self._frame(frame, t, size)

    def keyframes(self, size: int | None, max_n: int | None) -> Iterator[Frame]:
        """Only keyframes: the decoder skips everything else. With ``max_n``, an even subset of them."""
        if max_n:
            times = self.keyframe_times()
            if len(times) > max_n:
                picks = [(times[int((i + 0.5) * len(times) / max_n)], 0.0) for i in range(max_n)]
                yield from self.at_times(picks, size, mode="keyframe")
                return
        self.stream.codec_context.skip_frame = "NONKEY"
        for i, frame in enumerate(self._decode()):
            yield self._frame(frame, self._time_of(frame, i), size)


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
    if count == 0 or reader.report.truncated_at is not None:
        # A partial answer about a truncated file would pass for a whole one: refuse it.
        detail = reader.report.warnings[0] if reader.report.warnings else "no frame could be decoded"
        raise DecodeError(f"truncated or damaged: {detail}", path=str(path),
                          hint="re-download or re-encode the file")
