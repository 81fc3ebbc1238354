"""Questions answered from the sound track: what is said (the transcript), what is heard (YAMNet),
how someone feels (the emotion task: faces and voice), and the answer for a question about pictures
asked of a file that has none. Each handler takes a `Question` and returns an `Answer`.
"""

from __future__ import annotations

import re

import numpy as np

from .ask_answer import NOT_SURE, NOT_SURE_TEXT, RUNNER_UPS, Answer, Candidate, Evidence, Question
from .ask_route import EMOTION_MAP, EMOTION_WORDS, YESNO, sound_target
from .caption_words import SOUND_MIN, heard, voice_heard
from .phrasing import STOPWORDS, join_list
from .zeroshot import softmax

#: Weight of word overlap against sentence-embedding similarity when retrieving what is said.
OVERLAP_WEIGHT = 0.5
#: Softmax scale over the retrieval scores of the transcript's segments.
RETRIEVAL_SCALE = 10.0
#: YAMNet windows averaged for a sound's presence (3 x 0.48 s hops, about 2 s).
SOUND_SMOOTH = 3
#: Words of a sound question mapped to the words of YAMNet's class names.
SOUND_ALIASES = {"laugh": "laughter", "laughing": "laughter", "laughs": "laughter", "applauding": "applause",
                 "claps": "clapping", "clap": "clapping", "talking": "speech", "speaking": "speech",
                 "voice": "speech", "voices": "speech", "song": "music", "songs": "music", "barks": "bark",
                 "barking": "bark", "sings": "singing", "sing": "singing", "cars": "car", "traffic": "traffic"}


def no_audio() -> Answer:
    return Answer("the file has no audio track", 0.6, transcript=[])


def answer_speech(q: Question, when: bool = False) -> Answer:
    """What is said: the whole transcript ("what does he say?") or the segment that best matches the
    question's topic (sentence embeddings plus word overlap); with ``when``, that segment's span. Speech in
    another language is matched through its English translation and quoted in its own words, with the
    English beside it."""
    tr = q.transcript()
    if tr is None or not tr.segments:
        if tr is None:
            return no_audio()
        return Answer("nothing is said", 0.9 if not tr.has_speech else 0.6, transcript=[])
    transcript = [s.to_dict(translation=True) for s in tr.segments]
    text = q.clean
    topic = re.search(r"\b(about|regarding|mention\w*|say\w*|said|word)\b\s+(.*)$", text)
    topic_text = topic.group(2).strip() if topic else ""
    if re.fullmatch(r"(the )?(person|man|woman|he|she|they|it|someone|people|speaker)?\s*", topic_text):
        topic_text = ""
    if not topic_text and not when:  # "what does he say?": the whole transcript
        confidence = float(np.exp(tr.avg_logprob)) if tr.avg_logprob is not None else 0.5
        return Answer(_with_english(tr.text, tr.translation, tr.languages[0][0] if tr.languages else None),
                      confidence, evidence=Evidence(tr.segments[0].start, tr.segments[-1].end, [], None),
                      candidates=[Candidate(s.text.strip(), 1.0 / len(tr.segments))
                                  for s in tr.segments][: RUNNER_UPS + 1],
                      transcript=transcript)
    bb = q.backbone
    query = topic_text or text
    texts = [s.text.strip() for s in tr.segments]
    english = [s.english.strip() for s in tr.segments]
    sims = bb.encode_texts(english) @ bb.encode_texts([query])[0]
    # word overlap helps the retrieval on names and numbers the sentence encoder blurs (in either text)
    words = set(re.findall(r"[a-z0-9']+", query))
    overlap = np.array([len(words & set(re.findall(r"[a-z0-9']+", f"{t} {e}".lower()))) / max(len(words), 1)
                        for t, e in zip(texts, english)])
    probs = softmax(RETRIEVAL_SCALE * (sims + OVERLAP_WEIGHT * overlap))
    order = np.argsort(-probs, kind="stable")
    k = int(order[0])
    best = tr.segments[k]
    confidence = float(probs[k])
    said = _with_english(texts[k], english[k], best.language)
    answer = f"from {best.start:.1f} s to {best.end:.1f} s" if when else said
    return Answer.judged(answer, len(texts) == 1 or confidence >= NOT_SURE, confidence=confidence,
                         evidence=Evidence(best.start, best.end, [], said),
                         candidates=[Candidate(texts[j], float(probs[j])) for j in order[: RUNNER_UPS + 1]],
                         target=topic_text or None, transcript=transcript)


def _with_english(text: str, english: str, language: str | None) -> str:
    """What was said, in its words; speech in another language names it and gives the English beside."""
    if language in (None, "en") or english.strip() == text.strip():
        return text.strip()
    from ..languages import language_name

    return f"{text.strip()} ({language_name(language)}; in English: {english.strip()})"


# -- sounds -------------------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    return [SOUND_ALIASES.get(w, w) for w in re.findall(r"[a-z]+", text.lower()) if w not in STOPWORDS and len(w) > 2]


def _same_word(a: str, b: str) -> bool:
    n = min(len(a), len(b))
    return a == b or (n >= 4 and (a.startswith(b) or b.startswith(a)))


def sound_classes(target: str, class_names: list[str]) -> list[int]:
    """The YAMNet classes whose names share a word with ``target`` ("dog" -> Dog; "birds" -> Bird, ...)."""
    want = _words(target)
    if not want:
        return []
    return [i for i, name in enumerate(class_names)
            if any(_same_word(w, c) for w in want for c in re.findall(r"[a-z]+", name.lower()))]


def names_a_sound(q: Question) -> bool:
    """The question is about something YAMNet can hear ("is there a dog?" on an audio file)."""
    target = sound_target(q.text)
    return bool(target) and bool(sound_classes(target, list(q.model("yamnet").class_names)))


def _presence(snd, idx: list[int]) -> np.ndarray:
    """Per window, the best of the classes ``idx``, averaged over SOUND_SMOOTH windows."""
    s = snd.scores[:, idx].max(axis=1)
    k = min(SOUND_SMOOTH, len(s))
    return np.convolve(s, np.ones(k) / k, mode="same") if k > 1 else s


def answer_sound(q: Question, when: bool = False) -> Answer:
    """What can be heard (the sounds YAMNet names over the file), whether a sound is there, or when."""
    snd = q.sounds()
    if snd is None or not len(snd.times):
        return no_audio()
    names = list(snd.class_names)
    if q.choices:
        return _sound_choice(q, snd, names)
    target = sound_target(q.text)
    if not target and not when:
        return _what_is_heard(snd, names)
    idx = sound_classes(target, names)
    if not idx:
        return Answer(NOT_SURE_TEXT, 0.0, sure=False, target=target or None,
                      notes=[f"no sound class of YAMNet's names {target!r}"])
    pres = _presence(snd, idx)
    i = int(np.argmax(pres))
    peak = float(pres[i])
    yes = peak >= SOUND_MIN
    lo = hi = i
    while lo > 0 and pres[lo - 1] >= SOUND_MIN:
        lo -= 1
    while hi < len(pres) - 1 and pres[hi + 1] >= SOUND_MIN:
        hi += 1
    end = float(snd.times[hi] + snd.window_s)
    evidence = Evidence(float(snd.times[lo]), min(end, q.duration or end), [])
    confidence = 0.5 + 0.5 * min(1.0, abs(peak - SOUND_MIN) / SOUND_MIN)
    classes = ", ".join(names[j] for j in idx[:3]) + ("..." if len(idx) > 3 else "")
    notes = [f"best {SOUND_SMOOTH}-window mean score of {classes} = {peak:.2f} at {snd.times[i]:.1f} s "
             f"(heard from {SOUND_MIN})"]
    if when:
        span = f"from {evidence.start:.1f} s to {evidence.end:.1f} s"
        return Answer.judged(span, yes, confidence=confidence, evidence=evidence, target=target,
                             candidates=[Candidate(span, confidence)], notes=notes)
    answer = "yes" if yes else "no"
    return Answer(answer, confidence, target=target, evidence=evidence if yes else None, notes=notes,
                  candidates=[Candidate(answer, confidence), Candidate("no" if yes else "yes", 1 - confidence)])


def _what_is_heard(snd, names: list[str]) -> Answer:
    mean = snd.scores.mean(axis=0)
    phrases = [p.alone for p in heard(mean, names)]
    if voice_heard(mean, names):
        phrases.insert(0, "someone speaking")
    order = np.argsort(-mean, kind="stable")[: RUNNER_UPS + 1]
    candidates = [Candidate(names[j], float(mean[j])) for j in order]
    top = float(mean[order[0]])
    notes = ["sounds over the whole file (YAMNet, mean score per class; named from "
             f"{SOUND_MIN})"]
    if phrases:
        return Answer(join_list(phrases), min(0.95, top), candidates=candidates, notes=notes,
                      evidence=Evidence(float(snd.times[0]), float(snd.times[-1] + snd.window_s), []))
    return Answer.judged(names[order[0]].lower(), top >= SOUND_MIN, confidence=top, candidates=candidates,
                         notes=notes)


def _sound_choice(q: Question, snd, names: list[str]) -> Answer:
    """The choice whose YAMNet classes are heard the most (choices naming no class score 0)."""
    peaks = []
    for c in q.choices:
        idx = sound_classes(c, names)
        peaks.append(float(_presence(snd, idx).max()) if idx else 0.0)
    p = np.array(peaks)
    probs = p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / len(p))
    order = np.argsort(-p, kind="stable")
    best = int(order[0])
    return Answer.judged(q.choices[best], peaks[best] >= SOUND_MIN, confidence=float(probs[best]),
                         candidates=[Candidate(q.choices[j], float(probs[j])) for j in order[: RUNNER_UPS + 1]],
                         notes=[f"best score of {q.choices[best]!r}'s sound classes = {peaks[best]:.2f}"])


# -- feelings -------------------------------------------------------------------------------------------
def _emotion_labels():
    from ..models.expression import LABELS

    return LABELS


def answer_emotion(q: Question) -> Answer:
    """How does she feel? / Is he happy? The emotion task's analysis (faces and voice)."""
    from .emotion import analyze

    out = analyze(q.path, q.extractor, q.model("emotion"))
    if out.label is None:
        return Answer(NOT_SURE_TEXT, 0.0, sure=False, notes=["no face and no voice evidence for emotion"])
    scores = dict(zip(_emotion_labels(), out.probs)) if out.probs is not None else {out.label: out.score}
    text = q.clean
    asked = next((EMOTION_MAP.get(w, w) for w in EMOTION_WORDS if re.search(rf"\b{w}\b", text)), None)
    seg = max((s for s in out.segments if s.label == out.label), key=lambda s: s.score, default=None)
    evidence = Evidence(float(seg.start), float(seg.end), []) if seg is not None else None
    candidates = [Candidate(k, v) for k, v in sorted(scores.items(), key=lambda kv: -kv[1])][: RUNNER_UPS + 1]
    notes = [f"emotion evidence: {out.evidence}"]
    if YESNO.search(text) and asked is not None:
        p = float(scores.get(asked, 0.0))
        yes = out.label == asked
        return Answer("yes" if yes else "no", max(p, 0.5) if yes else max(1.0 - p, 0.5), evidence=evidence,
                      candidates=candidates, notes=notes)
    return Answer.judged(out.label, out.score >= NOT_SURE, confidence=float(out.score), evidence=evidence,
                         candidates=candidates, notes=notes)


def no_pictures(q: Question) -> Answer:
    """A question about what is seen, asked of a file with no pictures."""
    return Answer("I cannot tell: the file has no pictures (audio only)", 0.0, sure=False,
                  notes=[f"a {q.type} question is answered from the pictures; for an audio file vidmm answers "
                         "what is said, what can be heard and how the voice sounds"])
