"""``--start``/``--end``: every task reads only the stretch asked for, reports it in the file's own clock, and
single-file, batch and Python give the same record. On real clips and real models."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import cli, cli_json, media

from vidmm.batch.log import options_hash
from vidmm.cache import Cache
from vidmm.features import Extractor
from vidmm.tasks.registry import get_task

VIDEO = "testvideo.mp4"  # 24 s, cuts at 1.0, 6.0 and 13.1 s


_cli, _doc = cli, cli_json


def test_scene_reads_only_the_window_and_keeps_the_files_times():
    whole = _doc("scene", media(VIDEO))
    part = _doc("scene", media(VIDEO), "--start", 10, "--end", 20)
    assert part["window"] == {"start": 10.0, "end": 20.0} and "window" not in whole
    assert part["duration"] == whole["duration"]  # the file's, not the window's
    segs = part["segments"]
    assert segs[0]["start"] == 10.0 and segs[-1]["end"] == 20.0
    assert all(10.0 <= s["start"] < s["end"] <= 20.0 for s in segs)
    # The cut at 13.1 s inside the window is found, at the time the whole-file run finds it.
    cut = [s["start"] for s in whole["segments"] if 10 < s["start"] < 20]
    assert cut and any(abs(s["start"] - cut[0]) < 0.05 for s in segs[1:])
    assert part["frames"] < whole["frames"]


def test_window_shots_from_a_decode_of_the_window_match_the_whole_files(tmp_path):
    """A short window of an uncached file decodes only that stretch; its cuts are the whole file's cuts."""
    ex = Extractor(cache=Cache(tmp_path / "a"))
    with ex.windowed(4.0, 9.0):
        own = ex.shots(media(VIDEO))
    full = Extractor(cache=Cache(tmp_path / "b")).shots(media(VIDEO))
    whole_cuts = [s.start for s in full if 4.0 < s.start < 9.0]
    assert own[0].start == 4.0 and own[-1].span.end.seconds == 9.0
    assert [round(s.start, 2) for s in own[1:]] == [round(t, 2) for t in whole_cuts]


def test_sampled_frames_faces_and_sounds_lie_in_the_window(tmp_path):
    ex = Extractor(cache=Cache(tmp_path / "c"))
    path = media("birthday.mp4")
    with ex.windowed(3.0, 9.0):
        emb = ex.frame_embeddings(path)
        feats = ex.audio_features(media("whisper_jfk.flac"))
    assert len(emb) and np.all((emb.times >= 3.0) & (emb.times < 9.0))
    assert feats is not None and feats.times.min() >= 3.0 and feats.times.max() < 9.0
    # Unwindowed, the same extractor (and cache) gives the whole file again.
    assert ex.frame_embeddings(path).times.min() < 3.0


def test_emotion_timeline_covers_the_window_only():
    doc = _doc("emotion", media("birthday.mp4"), "--start", 3, "--end", 9)
    segs = doc["segments"]
    assert segs[0]["start"] == 3.0 and segs[-1]["end"] == 9.0
    assert all(3.0 <= t["start"] and t["end"] <= 9.0 for t in doc["faces"]["tracks"])


def test_batch_and_python_give_the_single_file_record(tmp_path):
    import vidmm

    single = _doc("scene", media(VIDEO), "--start", 10, "--end", 20, "--top-k", 3)
    out = tmp_path / "r.jsonl"
    r = _cli("batch", media(VIDEO), "--task", "scene", "--out", out, "--start", 10, "--opt", "end=20",
             "--opt", "top_k=3")
    assert r.exit_code == 0, r.output
    batch = json.loads(out.read_text().splitlines()[0])
    py = vidmm.scene(media(VIDEO), start=10, end=20, top_k=3)
    volatile = {"elapsed_s", "timings", "identity", "options_hash", "file"}
    for rec in (batch, py.to_dict()):
        assert {k: v for k, v in rec.items() if k not in volatile} == \
               {k: v for k, v in single.items() if k not in volatile}
    assert py.window == (10.0, 20.0)


def test_the_window_is_part_of_the_resume_key_only_when_set():
    task = get_task("scene")
    plain = options_hash(task, task.options({}))
    assert options_hash(task, task.options({"start": None, "end": None})) == plain
    assert options_hash(task, task.options({"start": 10.0})) != plain
    assert options_hash(task, task.options({"end": 5.0})) != options_hash(task, task.options({"end": 6.0}))


@pytest.mark.parametrize(("args", "code", "words"), [
    (["--start", 30], 3, "past the end"),
    (["--start", 10, "--end", 5], 2, "--end must be after --start"),
    (["--start", -1], 2, "--start must be 0 or more"),
    (["--end", "nan"], 2, "finite"),
])
def test_bad_windows_are_one_line_errors(args, code, words):
    r = _cli("scene", media(VIDEO), *args)
    assert r.exit_code == code, r.output
    assert words in r.stderr and r.stderr.count("\n") == 1


def test_speech_in_a_window_is_transcribed_alone_in_the_files_clock():
    """JFK says "And so, my fellow Americans" in the first 4 s: a window from 4 s must not hear it."""
    whole = _doc("transcribe", media("whisper_jfk.flac"))
    part = _doc("transcribe", media("whisper_jfk.flac"), "--start", 4, "--end", 9)
    assert "fellow americans" in whole["text"].lower() and "fellow americans" not in part["text"].lower()
    assert "country" in part["text"].lower()
    assert all(4.0 <= s["start"] < s["end"] <= 9.05 for s in part["transcript"])
    cap = _doc("caption", media("whisper_jfk.flac"), "--start", 4, "--end", 9)
    assert all(4.0 <= s["start"] and s["end"] <= 9.05 for s in cap["segments"])
    assert "fellow americans" not in cap["caption"].lower()
