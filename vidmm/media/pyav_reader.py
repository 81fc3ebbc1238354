"""Sampling frames with PyAV (FFmpeg), decoding only what is needed (see frames.py for how)."""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, NoVideoStreamError
from ..timecode import Timecode
from . import health
from .sampling import Frame, SampleReport, scaled_size, snap_target
from .source import open_container

#: A target this close (seconds) after the decoder's position is reached by decoding forward, not seeking.
FORWARD_DECODE_WINDOW = 1.5
#: On the way to a target, non-reference frames are skipped until this close (seconds, or 8 frames).
APPROACH_S = 0.25


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


def _rotate(image: np.ndarray, rotation: int) -> np.ndarray:
    """Apply a display-matrix rotation (degrees counter-clockwise) so the image is shown upright."""
    r = rotation % 360
    if r == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=r // 90))


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
        from .probe import stream_is_still

        if stream_is_still(self.container, self.stream):
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
        self._seek_failed = False  # FFmpeg could not seek in this file (damaged index): decode forward only
        self._furthest: float | None = None  # the latest frame time decoded so far
        self._furthest_packet: float | None = None  # ... and packet time read
        self._read_error = False  # a demuxer error ended reading before the end of the data
        # One reformatter keeps its swscale context between frames (a new one per frame costs 2x).
        from av.video.reformatter import VideoReformatter

        self._reformatter = VideoReformatter()

    def close(self):
        self.container.close()

    def skip_loop_filter(self) -> None:
        """Decode without the deblocking filter (faster, slightly blockier pictures): for callers that look
        only at tiny pictures. Takes effect only before the first frame is decoded."""
        self.stream.codec_context.options = {**self.stream.codec_context.options, "skip_loop_filter": "all"}

    # -- decoding primitives -------------------------------------------------------------------
    def _time_of(self, frame, fallback_index: int) -> float:
        if frame.pts is not None and self.time_base:
            return frame.pts * self.time_base - self.t0
        if self.fps:
            return fallback_index / self.fps
        return 0.0

    def _seek(self, t: float):
        self.report.seeks += 1
        if self._seek_failed:
            return  # decode on from where the decoder is: callers drop frames before their target
        target = t + self.t0
        try:
            if self.time_base:
                self.container.seek(max(int(target / self.time_base), 0), stream=self.stream, backward=True)
            else:  # pragma: no cover - every stream we met has a time base
                self.container.seek(max(int(target * 1_000_000), 0))
        except self._av.error.FFmpegError as exc:
            # FFmpeg says "operation not permitted" when its index or the data it points to is damaged.
            self._seek_failed = True
            self.report.warnings.append(f"cannot seek ({exc.strerror or exc}): decoding from the start")
            self._reopen()

    def _reopen(self) -> None:
        """The container again, from its start (after a failed seek left it at an unknown position)."""
        self.container.close()
        self.container = open_container(self.path)
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = "SLICE"

    def _decode(self) -> Iterator:
        """Decoded frames from the current position. A packet FFmpeg cannot decode is skipped and noted
        (media/health.py: the result says where the file is damaged); a demuxer error ends the stream."""
        av = self._av
        try:
            for packet in self.container.demux(self.stream):
                at = packet.pts * self.time_base - self.t0 if packet.pts is not None and self.time_base else None
                if at is not None:
                    self._furthest_packet = at if self._furthest_packet is None else max(self._furthest_packet, at)
                try:
                    frames = packet.decode()
                except av.error.FFmpegError as exc:
                    health.note_damaged(self.path, at, exc.strerror or str(exc))
                    continue
                for frame in frames:
                    self.report.decoded += 1
                    if frame.pts is not None and self.time_base:
                        t = frame.pts * self.time_base - self.t0
                        self._furthest = t if self._furthest is None else max(self._furthest, t)
                    yield frame
        except av.error.FFmpegError as exc:
            self.report.warnings.append(f"decoding stopped early: {exc.strerror or exc}")
            if not isinstance(exc, av.error.EOFError):
                self._read_error = True  # the data goes on past here: damaged, not truncated
                health.note_damaged(self.path, self._furthest_packet, f"reading stopped: {exc.strerror or exc}")

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
    def note_early_end(self, last: float | None) -> None:
        """The data stopped well before the duration the header promises: a truncated file."""
        slack = max(3 / self.fps if self.fps else 0.1, 0.03 * (self.duration or 0.0), 0.1)
        if last is None or (self._furthest is not None and self._furthest > last):
            last = self._furthest  # a seek past the end decoded nothing: the data ends where decoding got
        if self.duration and (last is None or last < self.duration - slack):
            shown = "no frame" if last is None else f"{last:.1f} s"
            self.report.truncated_at = last or 0.0
            if self._read_error:
                pass  # noted as damage where reading stopped
            elif self._furthest_packet is not None and self._furthest_packet > (last or 0.0) + slack:
                # the packets go on, their frames do not decode: damaged data, not a short file
                health.note_damaged(self.path, last, f"no frame after {shown} decodes")
            else:
                health.note_truncated(self.path, last or 0.0, self.duration)
            message = (f"no video frame decodes of the {self.duration:.1f} s the header promises" if last is None
                       else f"video data ends at {shown} of the {self.duration:.1f} s the header promises")
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
            try:
                self.container.seek(0)
            except self._av.error.FFmpegError:
                self._reopen()  # back to the start of a file FFmpeg cannot seek in
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
                self.note_early_end(prev[1] if prev else None)
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
