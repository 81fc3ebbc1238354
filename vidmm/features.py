"""The one place where files become features: probe, shots, sampled frame embeddings, audio features.

Tasks ask an `Extractor` for features and never decode or load models themselves. Everything costly is
kept in the on-disk `Cache`, keyed by the file's content, the model fingerprint and the sampling, so a
second task or question on the same file decodes nothing:

    file -> probe -> shots -> sampled frames -> backbone embeddings (cached) -> task
                  -> audio -> librosa features (cached)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .cache import Cache, file_identity, make_key
from .errors import DecodeError, NoVideoStreamError
from .media import shots as shots_mod
from .media.audio import FEATURES_VERSION, AudioFeatures
from .media.frames import Frame, Sampling
from .media.probe import MediaInfo
from .media.segments import ShotInfo
from .media.window import Window, WindowedFeatures
from .timecode import Span, Timecode

#: One frame per SECONDS_PER_FRAME of a shot, at least FRAMES_PER_SHOT per shot, at most MAX_FRAMES
#: (media/frame_choice.py). Measured on the 13 labelled clips (scene and search; docs/scene.md): 4 s keeps
#: top-1 and top-3 within one clip of the old 3 per shot + 1 per 2 s with half the frames; 2 s gave a static
#: minute as many frames as a montage; 3 s lost two clips of scene's top-3; "1 + one per 5 s" lost ask's dog.
FRAMES_PER_SHOT = 1
SECONDS_PER_FRAME = 4.0
MAX_FRAMES = 32
#: How shots are found: "fast" (segments from the keyframes, media/segments.py) or "exact" (media/shots.py).
SHOT_MODES = ("fast", "exact")
#: Segmentation keeps the keyframes it decodes (at DECODE_SIZE, for the sampling) when there are at most this
#: many per sampled frame: 2 x 32 keyframes at 640x360 hold 44 MB until the next file (4 x, 88 MB, made peak
#: RSS grow by 68 MB from a 30 s to a 3-minute 1080p clip with a keyframe every 2 s; a longer video's sampled
#: keyframes are decoded again instead, one seek each).
KEEP_KEYFRAMES = 2
#: Side of the frames handed to the backbone (its own preprocessing crops/resizes from here).
FRAME_SIZE = 256
#: Frames at or below this side are decoded once at this side and scaled down from there, so caption's face
#: detection (360) and the backbone (256) share one decode, and a file's embeddings do not depend on which
#: task happened to decode its frames first.
DECODE_SIZE = 360


@dataclass
class FrameEmbeddings:
    """Embeddings of the sampled frames of one video, with their times and shots."""

    times: np.ndarray  # (N,) seconds
    vectors: np.ndarray  # (N, D) unit-norm
    shot: np.ndarray  # (N,) index of the shot each frame is in
    sampling: str
    fingerprint: str

    def __len__(self) -> int:
        return len(self.times)

    def in_span(self, span: Span) -> np.ndarray:
        return (self.times >= span.start.seconds) & (self.times < max(span.end.seconds, span.start.seconds + 1e-6))


class Extractor(WindowedFeatures):
    """Features of media files, computed once and cached. Models load on first use, once."""

    def __init__(
        self,
        backbone=None,
        cache: Cache | None = None,
        device: str = "cpu",
        max_frames: int = MAX_FRAMES,
        fps: float | None = None,
        frames_per_shot: int = FRAMES_PER_SHOT,
        shots: str = "fast",
    ):
        self._backbone_spec = backbone
        self._backbone = None if backbone is None or isinstance(backbone, str | os.PathLike) else backbone
        self.cache = cache if cache is not None else Cache()
        self.device = device
        self.max_frames = max(1, int(max_frames))
        self.fps = fps
        self.frames_per_shot = max(1, int(frames_per_shot))
        if shots not in SHOT_MODES:
            raise ValueError(f"shots must be one of {SHOT_MODES}, not {shots!r}")
        #: "fast" (segments from the keyframes) or "exact" (every cut at its frame); see ``using_shots``.
        self.shots_mode = shots
        self._shot_memo: tuple | None = None  # the last file's ShotInfo (a --no-cache run finds them once)
        self.last_shot_report = None  # how the last shots found (not from the cache) were found
        self._ids: dict[str, str] = {}
        self._probes: dict[str, MediaInfo] = {}
        self._audio: dict[str, np.ndarray | None] = {}
        self._decoded: tuple[tuple[str, str], list[Frame]] | None = None  # the last decode, for the next task
        # The keyframes shot detection decoded in the last file (path, keyframe times, Frame by time), for a
        # sampling that lands on keyframes: phone and camera streams, with a keyframe every second or two.
        self._keyframes: tuple[str, list[float], dict[float, Frame]] | None = None
        self.decoded_frames = 0  # frames decoded by this extractor (0 when everything came from the cache)
        #: The stretch every feature comes from (``--start``/``--end``; see ``windowed``), None: whole files.
        self.window: Window | None = None

    # -- models ---------------------------------------------------------------------------------
    @property
    def backbone(self):
        if self._backbone is None:
            from .models.backbones import load_backbone

            self._backbone = load_backbone(self._backbone_spec, device=self.device)
        return self._backbone

    # -- per file -------------------------------------------------------------------------------
    def identity(self, path: str) -> str:
        key = os.path.abspath(path)
        if key not in self._ids:
            from .media.source import check_readable

            check_readable(path)
            self._ids[key] = file_identity(path)
        return self._ids[key]

    def probe(self, path: str) -> MediaInfo:
        """What the file holds (cached: opening the container is most of a cached re-run's time)."""
        key = os.path.abspath(path)
        if key not in self._probes:
            from dataclasses import asdict, replace

            from .media import probe as probe_mod

            ckey = make_key(self.identity(path), probe_mod.VERSION)
            hit = self.cache.get("probe", ckey)
            if hit is not None:
                info = replace(probe_mod.MediaInfo.from_dict(hit[1]), file=str(path))
            else:
                info = probe_mod.probe(path)
                self.cache.put("probe", ckey, {}, asdict(info))
            self._probes[key] = info
        return self._probes[key]

    def health(self, path: str) -> dict:
        """What decoding found wrong with the file so far (``truncated``, ``damaged``; vidmm.media.health)."""
        from .media.health import flags

        return flags(self, path)

    def require_video(self, path: str) -> MediaInfo:
        """The probe of a file with pictures (a video, or a photo: a one-frame video); audio-only files
        raise NoVideoStreamError."""
        info = self.probe(path)
        if not info.has_video:
            raise NoVideoStreamError("has no video stream (audio only?)", path=path,
                                     hint="use `vidmm transcribe` or `vidmm caption` for audio files")
        return info

    def shots(self, path: str) -> list[shots_mod.Shot]:
        """Shot spans covering the video (or the window): segments from the keyframes by default, exact
        cuts with ``shots_mode = "exact"`` (cached). A photo is one shot at time 0; an audio file one span
        over its length."""
        return self.shot_info(path).shots

    @contextmanager
    def using_shots(self, mode: str | None):
        """Within this block shots are found the way ``mode`` says ("fast", "exact"; None: unchanged)."""
        if mode is not None and mode not in SHOT_MODES:
            raise ValueError(f"shots must be one of {SHOT_MODES}, not {mode!r}")
        before, self.shots_mode = self.shots_mode, mode or self.shots_mode
        try:
            yield self
        finally:
            self.shots_mode = before

    def cuts(self, path: str) -> str:
        """How precise the shots' cuts are: "keyframe" (segments from the keyframe sequence: exact where the
        encoder marked a cut, else within one GOP) or "exact" (every cut at its frame)."""
        return self.shot_info(path).cuts

    def shot_info(self, path: str) -> ShotInfo:
        """The shots with the keyframes among them (for the sampling), kept for the last file asked."""
        info = self.probe(path)
        span = self.span(path)
        if info.kind == "image" or not info.has_video:
            start, end = span or (0.0, 0.0 if info.kind == "image" else float(info.duration or 0.0))
            return ShotInfo([shots_mod.Shot(0, Span(Timecode(start), Timecode(end)), None)], "exact")
        memo = (os.path.abspath(path), span, self.shots_mode)
        if self._shot_memo is None or self._shot_memo[0] != memo:
            found = self._window_shot_info(path, span) if span is not None else self._shot_info(path, None)
            self._shot_memo = (memo, found)
        return self._shot_memo[1]

    def _shot_info(self, path: str, span: tuple[float, float] | None, cached_only: bool = False) -> ShotInfo | None:
        """The file's (or, with ``span``, that stretch's) shots: from the cache, else found and cached (else
        None with ``cached_only``)."""
        from .media import segments

        exact = self.shots_mode == "exact"
        key = self._shots_key(path, span)
        hit = self.cache.get("shots", key)
        if hit is not None:
            return ShotInfo.from_arrays(*hit)
        if cached_only:
            return None
        report = segments.SegmentReport()
        keep = (DECODE_SIZE, KEEP_KEYFRAMES * self.max_frames)
        if exact:
            found = segments.exact_shots(path, self.probe(path).duration, report, span, keep)
        else:
            found = segments.keyframe_segments(path, self.probe(path).duration, report, keep=keep, span=span)
        self.decoded_frames += report.decoded
        self._keyframes = None  # free the previous file's before keeping these
        if report.keyframes:
            self._keyframes = (os.path.abspath(path), report.keyframe_times, report.keyframes)
        out = ShotInfo(found, "exact" if report.method == "exact" else "keyframe",
                       np.asarray(report.anchor_times, np.float64), np.asarray(report.anchor_bright, np.float64),
                       np.asarray(report.anchor_still, np.float64), report.summary())
        self.last_shot_report = report
        self.cache.put("shots", key, *out.to_arrays())
        return out

    def _shots_key(self, path: str, span: tuple[float, float] | None) -> str:
        from .media import segments
        from .media.window import span_key

        version = shots_mod.VERSION if self.shots_mode == "exact" else segments.VERSION
        return make_key(self.identity(path), version, *filter(None, [span_key(span)]))

    def sampling_for(self, path: str, shots: list[shots_mod.Shot] | None = None) -> Sampling:
        """The default sampling: as many frames as the content asks for, on keyframes where it can
        (media/frame_choice.py), at most max_frames; or every 1/fps s with ``fps``."""
        from .media.frame_choice import StreamCost, content_sampling

        info = self.require_video(path)
        span = self.span(path)
        duration = info.duration or 0.0 if span is None else span[1] - span[0]
        if self.fps:
            n = max(1, min(self.max_frames, int(duration * self.fps) or 1))
            return self._in_window(path, Sampling.uniform(n))
        found = self.shot_info(path)
        shots = shots if shots is not None else found.shots
        video = info.video
        cost = None
        if video is not None and video.fps:
            cost = StreamCost(video.fps, video.width * video.height / 1e6, int(duration * video.fps))
        return content_sampling([(s.start, s.end) for s in shots], found, self.max_frames, self.frames_per_shot,
                                SECONDS_PER_FRAME, cost)

    def frames(self, path: str, sampling: Sampling | None = None, size: int | None = FRAME_SIZE) -> list[Frame]:
        """Decoded frames (not cached on disk: only embeddings are). For embeddings, faces and thumbnails.

        Sizes up to DECODE_SIZE come from one decode at DECODE_SIZE, kept in memory for the last
        (file, sampling), so asking for 256 px and 360 px frames of the same samples decodes once.
        """
        from .media.frames import downscale

        if self.require_video(path).kind == "image":
            from .media.image import load_image

            return [load_image(path, size)]
        sampling = self.sampling(path, sampling)
        if size is None or size > DECODE_SIZE:
            return self._decode(path, sampling, size)
        key = (os.path.abspath(path), sampling.key())
        if self._decoded is None or self._decoded[0] != key:
            self._decoded = None  # free the previous file's frames before decoding the next
            self._decoded = (key, self._sampled(path, sampling))
        return [downscale(f, size) for f in self._decoded[1]]

    def stream(self, path: str, sampling: Sampling | None = None, size: int | None = FRAME_SIZE) -> Iterator[Frame]:
        """``frames``, decoded one at a time and none kept when larger than DECODE_SIZE: for a reader that
        looks at each frame once (the text channel's 120 frames at 720 px took 330 MB held together). Up to
        DECODE_SIZE they come from ``frames``'s one shared decode."""
        from .media.frames import SampleReport, sample_frames

        if self.require_video(path).kind == "image" or (size is not None and size <= DECODE_SIZE):
            yield from self.frames(path, sampling, size)
            return
        report = SampleReport()
        try:
            yield from sample_frames(path, self.sampling(path, sampling), size=size, report=report)
        finally:
            self.decoded_frames += report.decoded

    def _sampled(self, path: str, sampling: Sampling) -> list[Frame]:
        """The sampled frames at DECODE_SIZE: the targets that land on keyframes shot detection kept come from
        those (the frames a decode would give, see tests/test_shots.py), the others are decoded."""
        from .media.frames import snap_target

        kept = self._keyframes
        if (kept is None or kept[0] != os.path.abspath(path) or sampling.kind not in ("per_shot", "at")
                or (sampling.mode == "exact" and sampling.kind != "at")):  # explicit targets may be keyframes
            return self._decode(path, sampling, DECODE_SIZE)
        keys, images = kept[1], kept[2]
        times = sorted(images)
        picked: dict[float, Frame] = {}
        missing = []
        for t, step in sampling.windows(0.0):  # per-shot and explicit targets do not depend on the duration
            k = snap_target(keys, t, step, sampling.mode)
            i = int(np.searchsorted(times, k - 1e-6))
            if i < len(times) and abs(times[i] - k) <= 1e-6:
                picked[times[i]] = images[times[i]]
            else:
                missing.append((t, step))
        if missing:
            for f in self._decode(path, Sampling.at(missing, sampling.mode), DECODE_SIZE):
                picked.setdefault(f.seconds, f)
        return [picked[t] for t in sorted(picked)]

    def _decode(self, path: str, sampling: Sampling, size: int | None) -> list[Frame]:
        from .media.frames import SampleReport, sample_frames

        report = SampleReport()
        frames = list(sample_frames(path, sampling, size=size, report=report))
        self.decoded_frames += report.decoded
        return frames

    def frame_embeddings(self, path: str, sampling: Sampling | None = None) -> FrameEmbeddings:
        """Backbone embeddings of the sampled frames, from the cache when present."""
        shots = self.shots(path)
        sampling = self._in_window(path, sampling) if sampling else self.sampling_for(path, shots)
        bb = self.backbone
        key = make_key(self.identity(path), bb.fingerprint, sampling.key(), f"{DECODE_SIZE}>{FRAME_SIZE}")
        hit = self.cache.get("frames", key)
        if hit is not None:
            arrays, _ = hit
            times, vectors = arrays["times"], arrays["vectors"]
        else:
            frames = self.frames(path, sampling)
            if not frames:
                raise DecodeError("no frame could be decoded", path=path)
            times = np.array([f.seconds for f in frames], dtype=np.float64)
            vectors = bb.encode_frames([f.image for f in frames]).astype(np.float32)
            self.cache.put("frames", key, {"times": times, "vectors": vectors},
                           {"file": os.path.basename(path), "backbone": bb.fingerprint, "sampling": sampling.key()})
        starts = np.array([s.start for s in shots])
        shot_idx = np.clip(np.searchsorted(starts, times, side="right") - 1, 0, len(shots) - 1)
        return FrameEmbeddings(times, vectors, shot_idx, sampling.key(), bb.fingerprint)

    # -- evidence channels (vidmm/channels.py): computed once per file, cached --------------------
    def faces(self, path: str, detector, sampling: Sampling | None = None, expression=None):
        """Faces (and, with an expression model, their expressions) on the sampled frames."""
        from . import channels

        return channels.faces(self, path, detector, sampling, expression)

    def sounds(self, path: str, yamnet):
        """YAMNet scores per window, or None without an audio track."""
        from . import channels

        return channels.sounds(self, path, yamnet)

    def transcript(self, path: str, speech_model, **options):
        """What is said (vidmm.tasks.transcribe), or None without an audio track or speech model."""
        from . import channels

        return channels.transcript(self, path, speech_model, **options)

    def text(self, path: str, ocr_model, **options):
        """On-screen text read on the frames (vidmm.channels_text, cached per file and sampling)."""
        from . import channels_text

        return channels_text.text(self, path, ocr_model, **options)

    def audio(self, path: str) -> np.ndarray | None:
        """16 kHz mono samples (kept in memory for this extractor), or None without an audio track."""
        key = os.path.abspath(path)
        if key not in self._audio:
            from .media.audio import load_audio

            self._audio[key] = load_audio(path)
        return self._audio[key]

    def audio_features(self, path: str) -> AudioFeatures | None:
        """librosa features per window (cached), or None when the file has no audio track."""
        info = self.probe(path)
        if not info.has_audio:
            return None
        from .media.window import span_key

        key = make_key(self.identity(path), FEATURES_VERSION, *filter(None, [span_key(self.span(path))]))
        hit = self.cache.get("audio", key)
        if hit is not None:
            arrays, meta = hit
            from .media.audio import _activity_from_arrays

            return AudioFeatures(arrays["times"], meta["window_s"], meta["names"], arrays["matrix"],
                                 _activity_from_arrays(arrays["act_start"], arrays["act_end"], arrays["act_sound"]),
                                 meta["duration"])
        from .media.audio import audio_features

        samples, offset = self.audio_in_window(path)
        feats = audio_features(samples if samples is not None else np.zeros(0, np.float32))
        if offset:
            feats.times = feats.times + offset
            feats.activity = [(Span(Timecode(s.start.seconds + offset), Timecode(s.end.seconds + offset)), k)
                              for s, k in feats.activity]
            feats.duration += offset
        self.cache.put("audio", key, {
            "times": feats.times, "matrix": feats.matrix,
            "act_start": np.array([s.start.seconds for s, _ in feats.activity], dtype=np.float64),
            "act_end": np.array([s.end.seconds for s, _ in feats.activity], dtype=np.float64),
            "act_sound": np.array([k == "sound" for _, k in feats.activity], dtype=np.uint8),
        }, {"window_s": feats.window_s, "names": feats.names, "duration": feats.duration})
        return feats
