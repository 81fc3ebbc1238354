"""The bad-input corpus: every bad file fails with one clear line naming it, and a non-zero exit code."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import media

from vidmm.errors import EXIT_NO_INPUT, EXIT_SOME_FAILED, InputError, VidmmError
from vidmm.media.frames import Sampling, sample_frames

# What `vidmm info` must refuse (an audio file, a still image and a truncated file whose header is
# intact are things a probe can describe).
INFO_REFUSES = ["empty", "text", "directory", "missing", "unreadable"]
# What frame sampling (every video task) must refuse. A truncated file is answered from what was read and
# flagged (test_truncated_video_is_sampled_up_to_its_end_and_flagged).
VIDEO_REFUSES = INFO_REFUSES + ["audio_only", "image"]
EXPECTED_WORDS = {
    "empty": "empty", "text": "not a media file", "directory": "directory", "missing": "no such file",
    "unreadable": "permission", "truncated": "truncated", "audio_only": "no video stream",
    "image": "still image",
}


def _skip_unreadable_as_root(name):
    if name == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads files without read permission: this case needs an ordinary user")


def _vidmm(*args):
    return subprocess.run([sys.executable, "-m", "vidmm", *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", VIDEO_REFUSES)
def test_sampling_refuses_bad_input_with_a_clear_error(bad_inputs, name):
    _skip_unreadable_as_root(name)
    path = bad_inputs[name]
    with pytest.raises(VidmmError) as err:
        list(sample_frames(path, Sampling.uniform(4)))
    line = err.value.one_line()
    assert "\n" not in line and str(path) in line
    assert EXPECTED_WORDS[name] in line
    assert err.value.exit_code in (EXIT_SOME_FAILED, EXIT_NO_INPUT)


def test_truncated_video_is_sampled_up_to_its_end_and_flagged(bad_inputs):
    from vidmm.media import health

    path = bad_inputs["truncated"]  # the first 30% of a 14 s clip
    frames = list(sample_frames(path, Sampling.uniform(4)))
    assert frames and max(f.seconds for f in frames) < 0.4 * 14.0
    flag = health.problems(path)["truncated"]
    assert flag["at"] < 0.4 * flag["of"] and flag["of"] > 13


@pytest.mark.parametrize("name", INFO_REFUSES)
def test_cli_info_bad_input_one_line_and_exit_3(bad_inputs, name):
    _skip_unreadable_as_root(name)
    path = bad_inputs[name]
    r = _vidmm("info", path)
    assert r.returncode == EXIT_NO_INPUT
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"vidmm: error: {path}: ")
    assert EXPECTED_WORDS[name] in lines[0]
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_cli_one_bad_input_among_good_ones_exits_1_and_keeps_the_good(bad_inputs):
    r = _vidmm("info", "--json", media("chaplin.mp4"), bad_inputs["text"], media("testvideo.mp4"))
    assert r.returncode == EXIT_SOME_FAILED
    import json

    docs = json.loads(r.stdout)
    assert [os.path.basename(d["file"]) for d in docs] == ["chaplin.mp4", "testvideo.mp4"]
    assert r.stderr.count("vidmm: error:") == 1


def test_debug_shows_the_traceback(bad_inputs):
    r = _vidmm("--debug", "info", bad_inputs["text"])
    assert r.returncode == EXIT_NO_INPUT and "Traceback" in r.stderr


def test_unicode_and_spaces_in_paths_work(tmp_path, clips):
    target = tmp_path / "dossier été" / "clip à voir.mp4"
    target.parent.mkdir()
    target.write_bytes(clips["plain"].read_bytes())
    r = _vidmm("info", "--json", target)
    assert r.returncode == 0, r.stderr
    assert str(target) in r.stdout
    assert len(list(sample_frames(target, Sampling.uniform(2)))) == 2


def test_errors_are_exceptions_with_exit_codes():
    err = InputError("no such file", path="a b.mp4", hint="check the path")
    assert err.one_line() == "a b.mp4: no such file (check the path)"
    assert err.to_dict() == {"type": "input", "message": "a b.mp4: no such file (check the path)"}


# -- where output goes: checked before any work, one line, the right exit code -----------------------------
def _run(*args, stdout=subprocess.PIPE, timeout=120):
    r = subprocess.run([sys.executable, "-m", "vidmm", "-q", *map(str, args)], stdout=stdout,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    return r.returncode, (r.stdout or ""), r.stderr


def test_batch_out_dash_and_pipes_stream_records_without_reading_them(tmp_path):
    clip = media("chaplin.mp4")
    code, out, _ = _run("batch", clip, "--task", "info", "--out", "-")
    assert code == 0 and '"task": "info"' in out and not (tmp_path / "-").exists()
    code, out, _ = _run("batch", clip, "--task", "info", "--out", "/dev/stdout", timeout=60)  # used to hang
    assert code == 0 and out.count('"task": "info"') == 1
    code, _, err = _run("batch", clip, "--task", "info", "--out", "/dev/full", timeout=60)
    assert code == 1 and err.strip().splitlines() == ["vidmm: error: /dev/full: cannot write --out: No space left on device"]


@pytest.mark.parametrize("where", ["dir", "under_file", "output_dir_under_file"])
def test_bad_output_paths_are_usage_errors_before_any_work(tmp_path, where):
    (tmp_path / "f").write_text("x")
    args = {"dir": ["--out", tmp_path], "under_file": ["--out", tmp_path / "f" / "r.jsonl"],
            "output_dir_under_file": ["--output-dir", tmp_path / "f" / "d"]}[where]
    code, _, err = _run("batch", media("chaplin.mp4"), "--task", "info", *args)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "internal error" not in err
    code, _, err = _run("scene", media("chaplin.mp4"), "--output-dir", tmp_path / "f" / "d")
    assert code == 2 and "is a file" in err and len(err.strip().splitlines()) == 1


def test_a_full_stdout_is_one_line_not_a_traceback():
    with open("/dev/full", "w") as full:
        code, _, err = _run("info", media("chaplin.mp4"), "--json", stdout=full)
    assert code == 1 and err.strip().splitlines() == ["vidmm: error: cannot write to stdout: No space left on device"]


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_nan_and_inf_options_are_usage_errors(value):
    code, _, err = _run("scene", media("chaplin.mp4"), "--sound-weight", value)
    assert code == 2 and "finite" in err and "internal error" not in err


# -- truncated and damaged files: answered from what was read, and flagged --------------------------------
@pytest.fixture(scope="module")
def faststart(tmp_path_factory):
    """Truncated faststart (moov first) files, as most downloads are: a video and a speech recording."""
    import av
    from fuzz_corpus import cut

    d = tmp_path_factory.mktemp("faststart")
    video = cut(media("skateboarding_dog.mp4"), d / "dog.mp4", 60.0)
    audio = d / "jfk.m4a"
    with av.open(media("whisper_jfk.flac")) as inp, av.open(str(audio), "w", options={"movflags": "+faststart"}) as out:
        enc = out.add_stream("aac", rate=16000)
        enc.layout = "mono"
        for frame in inp.decode(inp.streams.audio[0]):
            frame.pts = None
            for packet in enc.encode(frame):
                out.mux(packet)
        for packet in enc.encode():
            out.mux(packet)
    out = {}
    for src in (video, audio):
        data = src.read_bytes()
        for share in (0.5, 0.9):
            out[(src.suffix, share)] = d / f"{int(share * 100)}pct{src.suffix}"
            out[(src.suffix, share)].write_bytes(data[: int(len(data) * share)])
    return out


@pytest.mark.parametrize("share", [0.5, 0.9])
@pytest.mark.parametrize("task", ["scene", "transcribe"])
def test_truncated_faststart_files_are_answered_and_flagged(faststart, tmp_path, task, share):
    import json

    path = faststart[(".mp4" if task == "scene" else ".m4a", share)]
    env = {**os.environ, "VIDMM_CACHE": str(tmp_path / "cache")}
    for run in ("first", "cached"):  # a re-run from cached features still says it
        r = subprocess.run([sys.executable, "-m", "vidmm", task, str(path), "--json"], capture_output=True,
                           text=True, timeout=600, env=env)
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        flag = doc["truncated"]
        assert share * flag["of"] - 1.5 < flag["at"] < share * flag["of"] + 1.5, (run, flag)
        assert "damaged" not in doc  # the torn last packets are the truncation, said once
        warnings = [line for line in r.stderr.splitlines() if "truncated" in line]
        assert len(warnings) == 1 and str(path) in warnings[0] and "answered from what was read" in warnings[0]
    if task == "transcribe":
        assert "".join(c for c in doc["text"].lower() if c.isalpha()).startswith("andsomyfellowamericans")


def test_batch_names_each_failed_and_each_flagged_file_on_stderr(faststart, bad_inputs, tmp_path):
    import json

    out = tmp_path / "r.jsonl"
    r = subprocess.run([sys.executable, "-m", "vidmm", "-q", "batch", str(faststart[(".m4a", 0.5)]),
                        str(bad_inputs["text"]), media("whisper_jfk.flac"), "--task", "transcribe", "--out", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == EXIT_SOME_FAILED
    assert r.stderr.strip().splitlines() == [f"vidmm: error: {bad_inputs['text']}: not a media file, or its header "
                                             "is damaged (the file may be truncated or of an unsupported kind)"]
    records = {os.path.basename(x["file"]): x for x in map(json.loads, out.read_text().splitlines())}
    assert "truncated" in records["50pct.m4a"] and "error" in records["notes.mp4"]
    assert "truncated" not in records["whisper_jfk.flac"]
    r = subprocess.run([sys.executable, "-m", "vidmm", "batch", str(faststart[(".m4a", 0.9)]), "--task", "transcribe",
                        "--out", str(tmp_path / "r2.jsonl")], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "90pct.m4a: truncated: data ends at" in r.stderr


def test_fifos_links_and_mjpeg_videos_are_named_for_what_they_are(tmp_path):
    import av
    import numpy as np

    os.mkfifo(tmp_path / "stream.mp4")
    (tmp_path / "a.mp4").symlink_to(tmp_path / "b.mp4")
    (tmp_path / "b.mp4").symlink_to(tmp_path / "a.mp4")
    (tmp_path / "gone.mp4").symlink_to(tmp_path / "nowhere.mp4")
    expected = {"stream.mp4": "is a FIFO (named pipe), not a regular file", "a.mp4": "is a symbolic link loop",
                "gone.mp4": "is a broken symbolic link", "https://example.com/v.mp4": "is a URL",
                "-": "standard input cannot be read"}
    for name, words in expected.items():
        path = tmp_path / name if "/" not in name and name != "-" else name
        code, _, err = _run("emotion", path, timeout=60)  # a FIFO used to be "empty", or to block
        assert code == EXIT_NO_INPUT and len(err.strip().splitlines()) == 1 and words in err, err
    # Matroska keeps no frame count: an MJPEG video there is a video, not "a still image"
    mjpeg = tmp_path / "motion.mkv"
    with av.open(str(mjpeg), "w") as out:
        s = out.add_stream("mjpeg", rate=10)
        s.width, s.height, s.pix_fmt = 320, 240, "yuvj420p"
        for i in range(20):
            for packet in s.encode(av.VideoFrame.from_ndarray(np.full((240, 320, 3), i * 10, np.uint8), format="rgb24")):
                out.mux(packet)
        for packet in s.encode():
            out.mux(packet)
    code, out_json, err = _run("scene", mjpeg, "--json", "--labels", "dark,bright")
    assert code == 0 and "still image" not in err
    import json

    assert json.loads(out_json)["duration"] > 1.5
