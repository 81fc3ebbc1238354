"""YAMNet audio events on real sounds from ../shared/media, and vidmm's vocal-cue grouping."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
MEDIA = Path(os.environ.get("VIDMM_MEDIA", REPO.parent / "shared" / "media"))
MODELS = Path(os.environ.get("VIDMM_MODELS", REPO.parent / "shared" / "models"))

pytestmark = pytest.mark.skipif(not (MODELS / "yamnet").is_dir() or not MEDIA.is_dir(),
                                reason="shared models/media not available")


@pytest.fixture(scope="module")
def yamnet():
    from vidmm.models.audio_events import load_yamnet

    return load_yamnet(MODELS)


def _events(yamnet, name):
    from vidmm.media.audio import load_audio

    return yamnet.events(load_audio(MEDIA / name))


def test_class_map_and_window_grid(yamnet):
    from vidmm.models.audio_events import CUES

    assert len(yamnet.class_names) == 521 and yamnet.class_names[0] == "Speech"
    for names in CUES.values():  # every cue class exists in the map
        assert set(names) <= set(yamnet.class_names)
    ev = yamnet.events(np.zeros(16000 * 3, np.float32))
    assert ev.scores.shape == (len(ev.times), 521)
    np.testing.assert_allclose(np.diff(ev.times), 0.48)
    assert ev.times[-1] + ev.window_s >= 3.0  # the tail is covered


def test_jfk_is_speech(yamnet):
    ev = _events(yamnet, "whisper_jfk.flac")
    assert ev.top(1)[0][0] == "Speech"
    cues = ev.cues()
    assert cues["speech"].mean() > 0.8
    assert np.mean([c == "speech" for c in ev.window_cue()]) > 0.8


def test_bird_audio_is_bird_related(yamnet):
    ev = _events(yamnet, "imagebind_bird_audio.wav")
    top = [name for name, _ in ev.top(5)]
    assert {"Bird", "Bird vocalization, bird call, bird song", "Chirp, tweet"} & set(top), top
    assert "Speech" not in top[:2]


def test_silence_is_silence(yamnet):
    ev = yamnet.events(np.zeros(16000 * 2, np.float32))
    assert ev.top(1)[0][0] == "Silence"
    assert set(ev.window_cue()) == {"silence"}


def test_applause_clip_is_applause(yamnet):
    ev = _events(yamnet, "applausing.mp4")
    assert ev.top(1)[0][0] in ("Applause", "Clapping")
    cues = ev.cues()
    assert cues["applause"].mean() > 0.5 > cues["speech"].mean()


def test_resamples_other_rates(yamnet):
    t = np.arange(44100 * 2) / 44100
    ev = yamnet.events(np.zeros_like(t, dtype=np.float32), sr=44100)
    assert abs(ev.times[-1] + ev.window_s - 2.0) < 0.5
