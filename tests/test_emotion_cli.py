"""`vidmm emotion` as a user runs it: JSON per CLI.md, subtitles, the table, exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidmm._cli.app import build_app

REPO = Path(__file__).resolve().parent.parent
MEDIA = Path(os.environ.get("VIDMM_MEDIA", REPO.parent / "shared" / "media"))
MODELS = Path(os.environ.get("VIDMM_MODELS", REPO.parent / "shared" / "models"))

pytestmark = pytest.mark.skipif(not (MODELS / "yamnet").is_dir() or not MEDIA.is_dir(),
                                reason="shared models/media not available")

app = build_app()


def invoke(*args: str):
    return CliRunner().invoke(app, ["emotion", *args, "--models-dir", str(MODELS)])


def test_json_follows_cli_contract():
    res = invoke(str(MEDIA / "birthday.mp4"), "--json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["task"] == "emotion" and d["file"].endswith("birthday.mp4") and d["duration"] > 16
    assert set(d["emotion"]) >= {"label", "score", "scores"} and d["emotion"]["label"] == "happy"
    assert d["segments"] and {"start", "end", "emotion"} <= set(d["segments"][0])
    assert isinstance(d["elapsed_s"], float) and "models" in d


def test_several_files_give_a_list_and_neither_case_exits_0():
    res = invoke(str(MEDIA / "testvideo.mp4"), str(MEDIA / "whisper_jfk.flac"), "--json")
    assert res.exit_code == 0, res.output
    docs = json.loads(res.stdout)
    assert [d["emotion"]["evidence"] for d in docs] == ["none", "voice"]
    assert docs[0]["emotion"]["label"] is None


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_subtitles(fmt):
    res = invoke(str(MEDIA / "mmaction2_test.avi"), "--format", fmt)
    assert res.exit_code == 0, res.output
    text = res.stdout
    if fmt == "vtt":
        assert text.startswith("WEBVTT") and "00:00:00.000 --> " in text
    else:
        assert text.startswith("1\n00:00:00,000 --> ")
    assert "face 1" in text and "speech" in text


def test_table_for_people():
    res = invoke(str(MEDIA / "mmaction2_test.avi"))  # CliRunner's stdout is not a terminal -> JSON
    assert json.loads(res.stdout)["task"] == "emotion"
    from rich.console import Console

    from vidmm._cli import emotion_cmd

    console = Console(record=True, width=140)
    orig = emotion_cmd.common.stdout_console
    emotion_cmd.common.stdout_console = lambda: console
    try:
        from vidmm.cache import Cache
        from vidmm.features import Extractor
        from vidmm.tasks.emotion import EmotionModels, analyze

        result = analyze(str(MEDIA / "mmaction2_test.avi"), Extractor(cache=Cache(enabled=False)),
                         EmotionModels.load(MODELS))
        emotion_cmd.render_table(result)
    finally:
        emotion_cmd.common.stdout_console = orig
    out = console.export_text()
    assert "timeline" in out and "face 1" in out and "emotion:" in out


def test_bad_format_is_usage_error():
    res = invoke(str(MEDIA / "birthday.mp4"), "--format", "xml")
    assert res.exit_code == 2 and "unknown format" in res.stderr


def test_missing_models_exit_4(tmp_path, monkeypatch):
    from vidmm.models import registry

    monkeypatch.setattr(registry, "user_models_dir", lambda: tmp_path / "user")
    res = CliRunner().invoke(app, ["emotion", str(MEDIA / "birthday.mp4"), "--models-dir", str(tmp_path)])
    assert res.exit_code == 4
    assert "vidmm models pull" in res.stderr


def test_speech_shows_the_transcript_through_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDMM_CACHE", str(tmp_path / "cache"))  # empty: only this run writes to it
    res = invoke(str(MEDIA / "mmaction2_test.avi"), "--speech", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert any("outer corner" in s["text"] for s in doc["transcript"])
    # The transcript went through the feature cache (a head reading text reuses it, never transcribes twice).
    from vidmm.cache import Cache

    assert any((Cache().root / "transcript").rglob("*.safetensors"))


@pytest.mark.parametrize("photo, label", [("faceapi_happy.jpg", "happy"), ("faceapi_sad.jpg", "sad")])
def test_a_photo_is_a_one_frame_video_read_from_its_face(photo, label):
    res = invoke(str(MEDIA / photo), "--json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["emotion"]["label"] == label and d["emotion"]["evidence"] == "faces" and d["faces"]["count"] == 1


def test_an_audio_file_is_answered_from_the_voice():
    res = invoke(str(MEDIA / "whisper_jfk.flac"), "--json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["emotion"]["evidence"] == "voice" and d["modalities"]["visual"].startswith("absent")
    assert d["voice"]["prosody"] is not None and d["segments"]
    # Plain speech: a low-confidence neutral, every segment from the voice alone.
    assert d["emotion"]["label"] == "neutral" and d["emotion"]["score"] < 0.5
    assert all(s["visual"] is None and s["vocal"]["contribution"] == 1.0 for s in d["segments"])


def test_a_photo_in_the_table_for_people(monkeypatch):
    """The people's view of a photo: one face, its expression, no audio (the table, not JSON)."""
    from rich.console import Console

    from vidmm._cli import emotion_cmd

    console = Console(record=True, width=140)
    monkeypatch.setattr(emotion_cmd.common, "stdout_console", lambda: console)
    monkeypatch.setattr(emotion_cmd.common, "machine_output", lambda *a: False)
    res = CliRunner().invoke(app, ["emotion", str(MEDIA / "faceapi_happy.jpg"), "--models-dir", str(MODELS)])
    assert res.exit_code == 0, res.output
    out = console.export_text()
    assert "emotion: happy" in out and "face 1" in out and "no audio track" in out


def test_subtitles_say_what_was_said_on_lines_of_their_own_and_batch_writes_the_same(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDMM_CACHE", str(tmp_path / "cache"))
    clip = str(MEDIA / "whisper_jfk.flac")
    res = invoke(clip, "--speech", "--format", "srt")
    assert res.exit_code == 0, res.output
    blocks = [b.split("\n") for b in res.stdout.strip().split("\n\n")]
    first = blocks[0]
    # The label line ends with its evidence; the speech starts a line of its own.
    assert first[0] == "1" and first[2].startswith("neutral ") and first[2].endswith("(speech 100%)")
    assert first[3].startswith("And so")
    batch = CliRunner().invoke(app, ["batch", "--task", "emotion", clip, "--out", str(tmp_path / "run.jsonl"),
                                     "--output-dir", str(tmp_path / "files"), "--format", "srt", "--workers", "1",
                                     "--opt", "speech=true", "--opt", f"models_dir={MODELS}"])
    assert batch.exit_code == 0, batch.output
    assert (tmp_path / "files" / "whisper_jfk.emotion.srt").read_text() == res.stdout
