"""`probe(path)`: what a media file holds, read from the container with at most one decoded frame."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from fractions import Fraction

from ..errors import InputError, VidmmError
from .source import damaged, open_container

#: Bumped whenever probe() reads a file differently: cached probes (features.Extractor) are keyed by it.
VERSION = "probe-v1"
# How many packets to look at to tell constant from variable frame rate (demux only, no decoding).
_VFR_PACKETS = 240


@dataclass
class VideoInfo:
    codec: str
    width: int  # as displayed (after rotation)
    height: int
    coded_width: int
    coded_height: int
    rotation: int  # degrees, counter-clockwise, as the display matrix says
    fps: float | None
    variable_fps: bool
    frame_count: int | None
    frame_count_exact: bool
    pix_fmt: str | None
    bit_depth: int | None
    interlaced: bool | None
    sample_aspect_ratio: str | None


@dataclass
class AudioInfo:
    codec: str
    sample_rate: int
    channels: int
    layout: str | None
    sample_format: str | None


def stream_is_still(container, stream) -> bool:
    """``is_still_image`` for an open stream, counting frames from duration x rate when the header has no
    count (Matroska, WebM): an MJPEG video there is a video, not a photo."""
    frames = stream.frames or None
    if not frames:
        rate = stream.average_rate or stream.guessed_rate
        duration = _duration(container, stream)
        if rate and duration:
            frames = int(round(duration * float(rate)))
    return is_still_image(container.format.name, stream.codec_context.name, frames)


#: Containers that hold a still picture rather than a video.
_IMAGE_CONTAINERS = {"image2", "image2pipe", "webp_pipe", "gif"}


def is_still_image(container_name: str, codec: str | None, frames: int | None) -> bool:
    if container_name in _IMAGE_CONTAINERS or container_name.endswith("_pipe"):
        return container_name != "gif" or (frames or 0) <= 1
    return codec in {"mjpeg", "png", "bmp", "webp", "tiff"} and (frames or 0) <= 1


@dataclass
class MediaInfo:
    file: str
    kind: str  # "video", "audio" or "image"
    container: str
    duration: float | None
    size_bytes: int
    bit_rate: int | None
    video: VideoInfo | None
    audio: AudioInfo | None

    @property
    def has_video(self) -> bool:
        return self.video is not None

    @property
    def has_audio(self) -> bool:
        return self.audio is not None

    @classmethod
    def from_dict(cls, d: dict) -> MediaInfo:
        """The inverse of ``dataclasses.asdict`` (what the cache keeps)."""
        d = dict(d)
        d["video"] = VideoInfo(**d["video"]) if d.get("video") else None
        d["audio"] = AudioInfo(**d["audio"]) if d.get("audio") else None
        return cls(**d)

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["duration"] is not None:
            d["duration"] = round(d["duration"], 3)
        if self.video is not None and self.video.fps is not None:
            d["video"]["fps"] = round(self.video.fps, 3)
        return d


def _bit_depth(pix_fmt: str | None) -> int | None:
    if not pix_fmt:
        return None
    import av

    try:
        return max(c.bits for c in av.VideoFormat(pix_fmt).components)
    except Exception:  # noqa: BLE001 - unknown formats simply have no depth to report
        return None


def _is_variable_rate(container, stream) -> bool:
    """Look at packet timestamps: a constant-rate stream has (nearly) one frame duration between them."""
    import av

    pts = []
    try:
        for packet in container.demux(stream):
            if packet.pts is not None:
                pts.append(packet.pts)
            if len(pts) >= _VFR_PACKETS:
                break
    except av.error.FFmpegError:
        pass  # damaged data: judge from the packets read before it
    if len(pts) < 3:
        return False
    pts.sort()
    deltas = [b - a for a, b in zip(pts, pts[1:]) if b > a]
    if not deltas:
        return False
    deltas.sort()
    median = deltas[len(deltas) // 2]
    # Allow rounding jitter of one timebase tick and 10 %.
    odd = sum(1 for d in deltas if abs(d - median) > max(1, 0.1 * median))
    return odd > 0.05 * len(deltas)


def _duration(container, stream) -> float | None:
    if stream is not None and stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def probe(path: str | os.PathLike) -> MediaInfo:
    """Read what the file holds. Raises InputError if it is not readable media at all, DamagedError
    (``damaged: ...``) where FFmpeg fails on the data it needs."""
    import av

    container = open_container(path)
    try:
        with container:
            return _probe(container, path)
    except VidmmError:
        raise
    except av.error.FFmpegError as exc:
        raise damaged(exc, path) from exc


def _probe(container, path) -> MediaInfo:
    import av

    vstream = container.streams.video[0] if container.streams.video else None
    astream = container.streams.audio[0] if container.streams.audio else None
    if vstream is None and astream is None:
        raise InputError("no video or audio stream", path=str(path))
    # The container's duration is what players show; a stream's may start late or end early.
    if container.duration is not None and container.duration > 0:
        duration = container.duration / 1_000_000
    else:
        duration = _duration(container, vstream if vstream is not None else astream)

    video = None
    if vstream is not None:
        cc = vstream.codec_context
        rate = vstream.average_rate or vstream.guessed_rate or vstream.base_rate
        fps = float(rate) if rate else None
        rotation, interlaced = 0, None
        try:  # one decoded frame tells rotation (display matrix) and interlacing
            frame = next(container.decode(vstream))
            rotation = int(getattr(frame, "rotation", 0) or 0)
            interlaced = bool(frame.interlaced_frame)
        except Exception:  # noqa: BLE001 - a stream we cannot decode still gets its header info
            pass
        try:
            container.seek(0)
        except av.error.FFmpegError:
            pass  # no seeking in damaged data: the frame-rate check reads on from the first frame
        variable = _is_variable_rate(container, vstream)
        if vstream.frames:
            frame_count, exact = int(vstream.frames), True
        elif duration and fps:
            frame_count, exact = int(round(duration * fps)), False
        else:
            frame_count, exact = None, False
        w, h = cc.width, cc.height
        dw, dh = (h, w) if rotation % 180 else (w, h)
        sar = vstream.sample_aspect_ratio
        video = VideoInfo(
            codec=cc.name,
            width=dw,
            height=dh,
            coded_width=w,
            coded_height=h,
            rotation=rotation % 360,
            fps=fps,
            variable_fps=variable,
            frame_count=frame_count,
            frame_count_exact=exact,
            pix_fmt=cc.pix_fmt,
            bit_depth=_bit_depth(cc.pix_fmt),
            interlaced=interlaced,
            sample_aspect_ratio=str(Fraction(sar.numerator, sar.denominator)) if sar else None,
        )
    audio = None
    if astream is not None:
        ac = astream.codec_context
        audio = AudioInfo(
            codec=ac.name,
            sample_rate=int(ac.sample_rate or astream.rate or 0),
            channels=int(ac.channels or 0),
            layout=getattr(ac.layout, "name", None),
            sample_format=getattr(ac.format, "name", None),
        )
    if video is not None:
        kind = "image" if is_still_image(container.format.name, video.codec, video.frame_count) else "video"
    else:
        kind = "audio"
    return MediaInfo(
        file=str(path),
        kind=kind,
        container=container.format.name,
        duration=duration,
        size_bytes=os.path.getsize(path),
        bit_rate=container.bit_rate or None,
        video=video,
        audio=audio,
    )
