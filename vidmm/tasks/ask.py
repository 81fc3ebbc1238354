"""Video question answering: route the question by type, answer from the evidence that fits it.

    question -> route (rules below) -> visual (action / place / object, multiple choice):
                                           candidates from the vocabulary or --choices, scored against the
                                           frames with question-guided attention pooling
                                       yes/no: the asked-about thing's z-score against the vocabulary crowd
                                           (people: the face detector)
                                       count: face detections
                                       emotion: tasks/emotion.py
                                       speech: transcript segments retrieved with the text encoder
                                       time: per-frame match of the asked-about thing -> a time span

Question-guided attention pooling: every frame gets a weight ``softmax_i(ATTN_SCALE * cos(frame_i, q))``
from the question's own embedding q (the frames the question is about), and every candidate answer a
label attention over frames (tasks/zeroshot.py); a candidate's score mixes the two pooled similarities.

Confidence: for multiple choice, the softmax over the candidates at the temperature scene.py measured
for 13 labels (cross-entropy minimum at 11 on the labelled clips); below ``NOT_SURE`` the answer is
"I am not sure" with the best guesses. For open-vocabulary questions the best word must also clear the
caption thresholds (tasks/caption.py THRESHOLDS, measured) or the answer is "I am not sure".
Thresholds measured on ../shared/media (benchmarks/ask.py --calibrate prints the table):

* 13-way multiple choice ("what is happening in the video?", the 13 labels of the labelled video clips
  as choices): 6/13 right (chance 1/13). Top confidence vs correctness: >= 0.10 answers 13 (6 right),
  >= 0.15 answers 11 (6 right), >= 0.25 answers 10 (5 right), >= 0.40 answers 6 (2 right). So NOT_SURE
  = 0.15 drops only wrong answers; above it the default backbone's confidence says little (0.5-0.64
  was given to three wrong answers): treat it as a ranking, not a probability, until a CLIP backbone
  or a trained head is used.
* YES_Z: z of 26 things present in the 13 clips (dog, bicycle, candle, kitchen, stage, basketball,
  microphone...) vs 39 absent (3 of elephant, snow, airplane, snake, pizza, boat, giraffe, train, horse,
  ocean waves, tennis racket, fire per clip), z taken from the best shot (a dog in one shot of a
  60 s clip was "no" when all frames were pooled): threshold 0.5 says yes to 21/26 present and no to
  29/39 absent (balanced accuracy 0.78; 0.0 -> 0.71, 1.0 -> 0.71, 2.0 -> 0.67). Misses are things
  ImageNet lacks (pancake, skateboard, park); false yeses are look-alikes (horse, giraffe on the dog
  clip). Reproduce: ``python benchmarks/ask.py --calibrate``.

Limits, honestly: with the embedded ConSE backbone, actions are close to chance (ImageNet knows objects,
not motions); counting counts faces only; emotion inherits tasks/emotion.py's limits.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._version import __version__
from . import evidence as ev
from .zeroshot import ATTN_SCALE, label_vectors, pool, softmax

#: Softmax temperature over candidate answers (scene.py's measured scale for the default backbone).
TEMPERATURE = 11.0
#: Multiple-choice confidence below which the answer is "I am not sure" (measured, module doc).
NOT_SURE = 0.15
#: A thing is "there" when its z-score over the vocabulary crowd reaches this (measured, module doc).
YES_Z = 0.5
#: Logistic slope turning the yes/no z margin into a confidence (a margin of 1.5 sd -> ~0.9).
YES_SLOPE = 1.5
#: Weight of the question-guided pooled similarity against the candidate-attention pooled one.
QUESTION_MIX = 0.5
#: Open-vocabulary questions: the best this many vocabulary words compete in the softmax.
OPEN_CANDIDATES = 10
RUNNER_UPS = 4
#: A time span grows around the best frame over neighbours within this many sd of its z (and >= YES_Z).
SPAN_DROP = 1.5
NOT_SURE_TEXT = "I am not sure"

QUESTION_TYPES = ("speech", "time", "count", "emotion", "yesno", "place", "action", "object")

_SPEECH = re.compile(r"\b(say|says|said|saying|talk|talks|talking|speak|speaks|spoken|speaking|mention|mentions|"
                     r"mentioned|tell|tells|told|words?|quote|transcript|ask|asks|asked|announce\w*)\b")
_TIME = re.compile(r"^(when|at what (time|point|moment)|what time|at which (time|point|moment)|how soon)\b")
_COUNT = re.compile(r"\b(how many|number of|count)\b")
EMOTION_WORDS = ("happy", "sad", "angry", "upset", "afraid", "scared", "fear", "surprised", "disgusted",
                 "neutral", "calm", "excited", "joyful", "mad")
_EMOTION = re.compile(r"\b(feel|feels|feeling|felt|mood|emotion|emotions|emotional|" + "|".join(EMOTION_WORDS) + r")\b")
_YESNO = re.compile(r"^(is|are|does|do|did|can|was|were|has|have|will|could|would|should)\b")
_PLACE = re.compile(r"^where\b|\b(what|which) (kind of |type of )?(place|location|room|setting|building)\b|"
                    r"\bwhere\b")
_ACTION = re.compile(r"\b(doing|happening|happens|activity|action|actions|going on|sport|perform\w*|play(ing)? what)\b")
_PEOPLE = re.compile(r"\b(people|persons?|faces?|men|women|man|woman|kids?|children|child|someone|anyone|"
                     r"anybody|somebody|humans?|boys?|girls?|guys?)\b")
_FILLER = re.compile(r"\b(in|on|at|during|throughout) (the|this) (video|clip|scene|footage|film|movie|shot)\b|"
                     r"\b(the|this) (video|clip|footage)\b|\bhere\b|\bvisible\b|\bshown\b|\bseen\b")
EMOTION_MAP = {"upset": "sad", "scared": "fear", "afraid": "fear", "disgusted": "disgust", "calm": "neutral",
               "excited": "happy", "joyful": "happy", "mad": "angry", "surprised": "surprise"}


@dataclass
class Candidate:
    answer: str
    score: float

    def to_dict(self) -> dict:
        return {"answer": self.answer, "score": round(float(self.score), 4)}


@dataclass
class Evidence:
    start: float
    end: float
    frames: list[float] = field(default_factory=list)
    text: str | None = None

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"start": round(self.start, 3), "end": round(self.end, 3),
                             "frames": [round(t, 3) for t in self.frames]}
        if self.text:
            d["text"] = self.text
        return d


@dataclass
class AskResult:
    file: str
    question: str
    type: str
    answer: str
    confidence: float
    evidence: Evidence | None
    candidates: list[Candidate] = field(default_factory=list)
    sure: bool = True
    best_guess: str | None = None
    target: str | None = None
    models: dict = field(default_factory=dict)
    transcript: list[dict] | None = None
    notes: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    duration: float | None = None
    elapsed_s: float = 0.0

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"vidmm": __version__, "task": "ask", "file": self.file,
                             "duration": None if self.duration is None else round(self.duration, 3),
                             "models": self.models, "question": self.question, "type": self.type,
                             "answer": self.answer, "confidence": round(float(self.confidence), 4),
                             "sure": self.sure}
        if self.best_guess is not None:
            d["best_guess"] = self.best_guess
        if self.target:
            d["target"] = self.target
        d["evidence"] = None if self.evidence is None else self.evidence.to_dict()
        d["candidates"] = [c.to_dict() for c in self.candidates]
        if self.transcript is not None:
            d["transcript"] = self.transcript
        if self.notes:
            d["notes"] = self.notes
        d["timings"] = {k: round(v, 4) for k, v in self.timings.items()}
        d["elapsed_s"] = round(self.elapsed_s, 4)
        return d


# -------------------------------------------------------------------------------------------------
# Routing


def _clean(q: str) -> str:
    return " ".join(re.sub(r"[?!.]+$", "", q.strip().lower()).replace("’", "'").split())


def route(question: str) -> str:
    """The question's type, one of QUESTION_TYPES (rules, checked in this order)."""
    q = _clean(question)
    if _TIME.search(q):
        return "time"
    if _SPEECH.search(q) and not re.search(r"\bwhat (\w+ )?(is|are) (he|she|they|the \w+) (doing|wearing)\b", q):
        return "speech"
    if _COUNT.search(q):
        return "count"
    if _EMOTION.search(q):
        return "emotion"
    if _YESNO.search(q):
        return "yesno"
    if _PLACE.search(q):
        return "place"
    if _ACTION.search(q):
        return "action"
    return "object"


def target_of(question: str) -> str:
    """The thing a yes/no, time or count question is about: "is there a dog?" -> "dog"."""
    q = _FILLER.sub(" ", _clean(question))
    q = re.sub(r"^(when|at what (time|point|moment)|what time|how many|is|are|does|do|did|can|was|were|has|have|"
               r"will|could|would|should)\b", " ", q)
    q = re.sub(r"^\s*(there|you see|we see|i see|it show|it contain|the video show|the clip show)\b", " ", q)
    q = re.sub(r"\b(does|do|did|is|are|was|were)\b", " ", q)
    q = re.sub(r"\b(appear|appears|show up|shows up|come|comes|start|starts|begin|begins|happen|happens|enter|"
               r"enters|get|gets|first|there|any|some|see|show|shows|contain|contains)\b", " ", q)
    q = re.sub(r"^\s*(this|it|that|these|they)\b", " ", q.strip())
    q = re.sub(r"^\s*(in|at|on|inside|near|by)\b", " ", q.strip())
    q = re.sub(r"^\s*(a|an|the|any|some)\b", " ", q.strip())
    return " ".join(q.split()) or _clean(question)


def parse_choices(text: str | None) -> list[str] | None:
    """``"a|b|c"`` -> ["a", "b", "c"] (blank items dropped; duplicates are a usage error)."""
    if text is None:
        return None
    from ..errors import UsageError

    items = [c.strip() for c in str(text).split("|") if c.strip()]
    if len(items) < 2:
        raise UsageError("--choices needs at least two answers", hint='e.g. --choices "cooking|dancing|running"')
    if len({c.casefold() for c in items}) != len(items):
        raise UsageError("--choices repeats an answer", hint="give each answer once")
    return items


# -------------------------------------------------------------------------------------------------
# Models (loaded lazily: a place question never loads Whisper)


class AskModels:
    """The models questions may need, each loaded on first use and kept for the next question."""

    def __init__(self, extractor, models_dir=None, asr_model=None):
        self.extractor = extractor
        self.models_dir = models_dir
        self.asr_model = asr_model
        self._concepts = self._detector = self._speech = self._emotion = None

    @property
    def concepts(self) -> ev.Concepts:
        if self._concepts is None:
            self._concepts = ev.Concepts.build(self.extractor.backbone, self.extractor.cache)
        return self._concepts

    @property
    def detector(self):
        if self._detector is None:
            from ..models.faces import load_detector

            self._detector = load_detector("yunet", self.models_dir)
        return self._detector

    @property
    def speech(self):
        if self._speech is None:
            from ..models.speech import load_speech_model

            self._speech = load_speech_model(self.asr_model)
        return self._speech

    @property
    def emotion(self):
        if self._emotion is None:
            from .emotion import EmotionModels

            self._emotion = EmotionModels.load(self.models_dir)
        return self._emotion


# -------------------------------------------------------------------------------------------------
# Answering


def _question_weights(frames: np.ndarray, q: np.ndarray) -> np.ndarray:
    z = ATTN_SCALE * (frames @ q)
    w = np.exp(z - z.max())
    return w / w.sum()


def score_candidates(frames: np.ndarray, cand: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scores (M,), per-frame weight (n, M)) of candidate vectors with question-guided attention pooling."""
    p = pool(frames, cand)
    w = _question_weights(frames, q)
    qpooled = w @ frames
    qpooled /= max(float(np.linalg.norm(qpooled)), 1e-12)
    scores = (1.0 - QUESTION_MIX) * p.score + QUESTION_MIX * (cand @ qpooled)
    weight = p.attention * w[:, None]
    return scores, weight / np.maximum(weight.sum(axis=0, keepdims=True), 1e-12)


def _span_of(t: float, fe, shots) -> tuple[float, float]:
    for s in shots:
        if s.start <= t < max(s.end, s.start + 1e-6):
            return s.start, s.end
    return shots[-1].start, shots[-1].end


_VOCAB_FOR = {"place": ("scenes",), "action": ("actions",), "object": ("subjects", "things")}
_STATEMENT = {"place": "a video of {} taken at this place.", "action": "a video of someone {}.",
              "object": "a video of {}."}


def _visual(path, question, qtype, extractor, models: AskModels, choices, res: AskResult) -> None:
    fe = extractor.frame_embeddings(path)
    shots = extractor.shots(path)
    bb = extractor.backbone
    q = bb.encode_texts([_clean(question)])[0]
    if choices:
        from ..labels import LabelSet

        names = list(choices)
        cand = label_vectors(bb, LabelSet.of(names, source="choices"), extractor.cache)
        kind_thr = None
    else:
        con = models.concepts
        kinds = _VOCAB_FOR[qtype]
        names, zs, vecs = [], [], []
        allz = con.all_zscores(fe.vectors)
        for k in kinds:
            z = allz[k]
            names += list(con.labels(k).names)
            zs.append(z)
            vecs.append(con.vectors[k])
        z = np.concatenate(zs)
        top = np.argsort(-z, kind="stable")[:OPEN_CANDIDATES]
        names = [names[j] for j in top]
        cand = np.concatenate(vecs)[top]
        from .caption import THRESHOLDS

        kind_thr = min(THRESHOLDS[k][0] for k in kinds)
        best_z = float(z[top[0]])
    scores, weight = score_candidates(fe.vectors, cand, q)
    probs = softmax(TEMPERATURE * scores)
    order = np.argsort(-probs, kind="stable")
    best = int(order[0])
    frames_idx = np.argsort(-weight[:, best], kind="stable")[:3]
    times = sorted(float(fe.times[i]) for i in frames_idx)
    a, b = _span_of(float(fe.times[frames_idx[0]]), fe, shots)
    res.evidence = Evidence(a, b, times)
    res.candidates = [Candidate(names[j], float(probs[j])) for j in order[: RUNNER_UPS + 1]]
    res.confidence = float(probs[best])
    sure = res.confidence >= NOT_SURE if choices else best_z >= kind_thr
    if not choices:
        res.notes.append(f"best vocabulary word z = {best_z:.2f} (needs >= {kind_thr} to answer)")
    _settle(res, names[best], sure)


def _settle(res: AskResult, answer: str, sure: bool) -> None:
    res.sure = bool(sure)
    if sure:
        res.answer = answer
    else:
        res.answer = NOT_SURE_TEXT
        res.best_guess = answer


def _thing_z(frames: np.ndarray, target: str, models: AskModels, bb,
             groups: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Z-scores of the target text over the vocabulary crowd: (pooled, per frame). With ``groups`` (the
    shot of each frame) the pooled z is the best shot's, so a thing seen in one shot of many counts."""
    con = models.concepts
    t = bb.encode_labels([target], ev.CONCEPT_TEMPLATES)[0]
    ref = frames @ con.reference.T  # (n, R)
    per_frame = (frames @ t - ref.mean(axis=1)) / np.maximum(ref.std(axis=1), 1e-6)

    def pooled_z(f: np.ndarray) -> float:
        rp = pool(f, con.reference).score
        return float((pool(f, t[None]).score[0] - rp.mean()) / max(float(rp.std()), 1e-6))

    best = pooled_z(frames)
    if groups is not None:
        for g in np.unique(groups):
            best = max(best, pooled_z(frames[groups == g]))
    return np.array([best]), per_frame


def _yesno(path, question, extractor, models: AskModels, res: AskResult) -> None:
    target = target_of(question)
    res.target = target
    fe = extractor.frame_embeddings(path)
    shots = extractor.shots(path)
    if _PEOPLE.search(target) and len(target.split()) <= 2:
        faces = ev.face_counts(path, extractor, models.detector)
        seen = faces.total > 0
        share = float(seen.mean()) if len(seen) else 0.0
        yes = bool(seen.any())
        res.confidence = 0.5 + 0.5 * (share if yes else 1.0)
        res.answer = "yes" if yes else "no"
        if yes:
            i = int(np.argmax(faces.total))
            a, b = _span_of(float(faces.times[i]), fe, shots)
            res.evidence = Evidence(a, b, [float(t) for t in faces.times[seen][:3]])
        res.notes.append(f"faces found in {int(seen.sum())} of {len(seen)} sampled frames")
        res.candidates = [Candidate(res.answer, res.confidence), Candidate("no" if yes else "yes", 1 - res.confidence)]
        return
    pooled, per_frame = _thing_z(fe.vectors, target, models, extractor.backbone, fe.shot)
    z = float(pooled[0])
    p_yes = float(1.0 / (1.0 + np.exp(-YES_SLOPE * (z - YES_Z))))
    yes = z >= YES_Z
    res.answer = "yes" if yes else "no"
    res.confidence = p_yes if yes else 1.0 - p_yes
    i = int(np.argmax(per_frame))
    a, b = _span_of(float(fe.times[i]), fe, shots)
    res.evidence = Evidence(a, b, sorted(float(fe.times[j]) for j in np.argsort(-per_frame)[:3]))
    res.candidates = [Candidate("yes", p_yes), Candidate("no", 1.0 - p_yes)]
    res.notes.append(f"z of {target!r} over the vocabulary = {z:.2f} (yes from {YES_Z})")


def _time(path, question, extractor, models: AskModels, res: AskResult, duration: float) -> None:
    q = _clean(question)
    if _SPEECH.search(q):
        _speech(path, question, extractor, models, res, when=True)
        return
    target = target_of(question)
    res.target = target
    fe = extractor.frame_embeddings(path)
    _, z = _thing_z(fe.vectors, target, models, extractor.backbone)
    order = np.argsort(fe.times)
    t, z = fe.times[order], z[order]
    i = int(np.argmax(z))
    keep = z >= max(z[i] - SPAN_DROP, min(YES_Z, z[i]))
    lo = hi = i
    while lo > 0 and keep[lo - 1]:
        lo -= 1
    while hi < len(t) - 1 and keep[hi + 1]:
        hi += 1
    start = 0.0 if lo == 0 else float((t[lo - 1] + t[lo]) / 2)
    end = duration if hi == len(t) - 1 else float((t[hi] + t[hi + 1]) / 2)
    end = min(max(end, start), duration or end)
    res.evidence = Evidence(start, end, [float(x) for x in t[lo:hi + 1]][:5])
    p = float(1.0 / (1.0 + np.exp(-YES_SLOPE * (float(z[i]) - YES_Z))))
    res.confidence = p
    span = f"from {start:.1f} s to {end:.1f} s"
    _settle(res, span, p >= 0.5)
    res.candidates = [Candidate(span, p)]
    res.notes.append(f"best frame at {t[i]:.2f} s, z of {target!r} = {z[i]:.2f}")


def _count(path, question, extractor, models: AskModels, res: AskResult) -> None:
    target = target_of(question)
    res.target = target
    if not _PEOPLE.search(_clean(question)):
        res.answer, res.sure, res.confidence = NOT_SURE_TEXT, False, 0.0
        res.notes.append("vidmm counts people (faces) only; other things cannot be counted yet")
        return
    faces = ev.face_counts(path, extractor, models.detector)
    if not len(faces.total):
        _settle(res, "0", False)
        return
    counts = faces.total
    top = np.sort(counts)[::-1][:3]
    n = int(np.median(top))
    agree = float(np.mean(counts == n))
    res.confidence = float(min(0.95, 0.4 + 0.6 * agree))
    best = int(np.argmin(np.abs(counts - n) + (faces.times * 1e-6)))
    fe = extractor.frame_embeddings(path)
    a, b = _span_of(float(faces.times[best]), fe, extractor.shots(path))
    res.evidence = Evidence(a, b, [float(x) for x in faces.times[counts == n][:5]])
    hist = {int(k): int(v) for k, v in zip(*np.unique(counts, return_counts=True))}
    res.candidates = [Candidate(str(k), v / len(counts)) for k, v in sorted(hist.items(), key=lambda kv: -kv[1])]
    res.notes.append(f"most faces seen in one frame: {int(counts.max())}; faces per frame: {hist}")
    _settle(res, str(n), True)


def _emotion(path, question, extractor, models: AskModels, res: AskResult) -> None:
    from .emotion import analyze

    out = analyze(path, extractor, models.emotion)
    if out.label is None:
        res.answer, res.sure, res.confidence = NOT_SURE_TEXT, False, 0.0
        res.notes.append("no face and no voice evidence for emotion")
        return
    scores = dict(zip(_emotion_labels(), out.probs)) if out.probs is not None else {out.label: out.score}
    q = _clean(question)
    asked = next((EMOTION_MAP.get(w, w) for w in EMOTION_WORDS if re.search(rf"\b{w}\b", q)), None)
    seg = max((s for s in out.segments if s.label == out.label), key=lambda s: s.score, default=None)
    if seg is not None:
        res.evidence = Evidence(float(seg.start), float(seg.end), [])
    res.candidates = [Candidate(k, v) for k, v in sorted(scores.items(), key=lambda kv: -kv[1])][: RUNNER_UPS + 1]
    res.notes.append(f"emotion evidence: {out.evidence}")
    if _YESNO.search(q) and asked is not None:
        p = float(scores.get(asked, 0.0))
        yes = out.label == asked
        res.answer, res.confidence = ("yes", max(p, 0.5)) if yes else ("no", max(1.0 - p, 0.5))
        return
    res.confidence = float(out.score)
    _settle(res, out.label, out.score >= NOT_SURE)


def _emotion_labels():
    from ..models.expression import LABELS

    return LABELS


def _speech(path, question, extractor, models: AskModels, res: AskResult, when: bool = False) -> None:
    tr = ev.transcript(path, extractor, models.speech)
    if tr is None or not tr.segments:
        res.answer = "nothing is said" if tr is not None else "the file has no audio track"
        res.confidence = 0.9 if tr is not None and not tr.has_speech else 0.6
        res.transcript = []
        return
    res.transcript = [s.to_dict() for s in tr.segments]
    q = _clean(question)
    topic = re.search(r"\b(about|regarding|mention\w*|say\w*|said|word)\b\s+(.*)$", q)
    topic_text = topic.group(2).strip() if topic else ""
    if re.fullmatch(r"(the )?(person|man|woman|he|she|they|it|someone|people|speaker)?\s*", topic_text):
        topic_text = ""
    if not topic_text and not when:  # "what does he say?": the whole transcript
        res.answer = tr.text
        res.confidence = float(np.exp(tr.avg_logprob)) if tr.avg_logprob is not None else 0.5
        res.evidence = Evidence(tr.segments[0].start, tr.segments[-1].end, [], None)
        res.candidates = [Candidate(s.text.strip(), 1.0 / len(tr.segments)) for s in tr.segments][: RUNNER_UPS + 1]
        return
    bb = extractor.backbone
    qv = bb.encode_texts([topic_text or q])[0]
    texts = [s.text.strip() for s in tr.segments]
    sv = bb.encode_texts(texts)
    sims = sv @ qv
    # word overlap helps the retrieval on names and numbers the sentence encoder blurs
    words = set(re.findall(r"[a-z0-9']+", (topic_text or q)))
    overlap = np.array([len(words & set(re.findall(r"[a-z0-9']+", t.lower()))) / max(len(words), 1) for t in texts])
    score = sims + 0.5 * overlap
    probs = softmax(10.0 * score)
    order = np.argsort(-probs, kind="stable")
    best = tr.segments[int(order[0])]
    res.evidence = Evidence(best.start, best.end, [], best.text.strip())
    res.candidates = [Candidate(texts[j], float(probs[j])) for j in order[: RUNNER_UPS + 1]]
    res.confidence = float(probs[order[0]])
    res.target = topic_text or None
    answer = f"from {best.start:.1f} s to {best.end:.1f} s" if when else best.text.strip()
    _settle(res, answer, len(texts) == 1 or res.confidence >= NOT_SURE)


def ask(path: str, question: str, extractor, models: AskModels | None = None,
        choices: list[str] | None = None) -> AskResult:
    """Answer one question about one video; see the module doc."""
    from ..errors import UsageError

    if not str(question).strip():
        raise UsageError("the question is empty", hint='e.g. vidmm ask clip.mp4 "what is the person doing?"')
    models = models or AskModels(extractor)
    info = extractor.require_video(path)
    duration = float(info.duration or 0.0)
    qtype = route(question)
    if choices and qtype not in ("place", "action", "object"):
        qtype = "object" if qtype in ("yesno", "count", "time") else qtype
    # Models load before the clock starts (CLI.md: elapsed_s leaves out model loading).
    _ = extractor.backbone
    if qtype in ("place", "action", "object", "yesno", "time") and not choices:
        _ = models.concepts
    t0 = time.perf_counter()
    res = AskResult(str(path), question, qtype, "", 0.0, None, duration=info.duration)
    if qtype in ("place", "action", "object"):
        _visual(path, question, qtype, extractor, models, choices, res)
    elif qtype == "yesno":
        _yesno(path, question, extractor, models, res)
    elif qtype == "time":
        _time(path, question, extractor, models, res, duration)
    elif qtype == "count":
        _count(path, question, extractor, models, res)
    elif qtype == "emotion":
        _emotion(path, question, extractor, models, res)
    else:
        _speech(path, question, extractor, models, res)
    res.models = {"backbone": extractor.backbone.fingerprint}
    if models._speech is not None and qtype in ("speech", "time"):
        res.models["asr"] = getattr(models._speech, "name", None)
    res.elapsed_s = time.perf_counter() - t0
    res.timings["total"] = res.elapsed_s
    return res
