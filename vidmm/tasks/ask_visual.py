"""Questions answered from the pictures: what / where / which (open or multiple choice), yes/no, when,
how many. Each handler takes a `Question` and returns an `Answer`.

Question-guided attention pooling: every frame gets a weight ``softmax_i(ATTN_SCALE * cos(frame_i, q))``
from the question's own embedding q (the frames the question is about), and every candidate answer a
label attention over frames (tasks/zeroshot.py); a candidate's score mixes the two pooled similarities.
A thing is "there" when its z-score over the vocabulary crowd, in the best shot, reaches ``YES_Z``.
Calibration of TEMPERATURE, NOT_SURE and YES_Z, with the commands that reproduce it: docs/ask.md.
"""

from __future__ import annotations

import numpy as np

from . import evidence as ev
from .ask_answer import NOT_SURE, NOT_SURE_TEXT, RUNNER_UPS, Answer, Candidate, Evidence, Question
from .ask_route import PEOPLE
from .zeroshot import ATTN_SCALE, label_vectors, pool, softmax

#: Softmax temperature over candidate answers (scene.py's measured scale for the default backbone).
TEMPERATURE = 11.0
#: A thing is "there" when its z-score over the vocabulary crowd reaches this (docs/ask.md).
YES_Z = 0.5
#: Logistic slope turning the yes/no z margin into a confidence (a margin of 1.5 sd -> ~0.9).
YES_SLOPE = 1.5
#: Weight of the question-guided pooled similarity against the candidate-attention pooled one.
QUESTION_MIX = 0.5
#: Open-vocabulary questions: the best this many vocabulary words compete in the softmax.
OPEN_CANDIDATES = 10
#: A time span grows around the best frame over neighbours within this many sd of its z (and >= YES_Z).
SPAN_DROP = 1.5
#: The vocabularies an open question of each type chooses from, and the statement its answer makes.
VOCAB_FOR = {"place": ("scenes",), "action": ("actions",), "object": ("subjects", "things")}


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


def answer_choice(q: Question) -> Answer:
    """What / where / which: the best of ``--choices``, or of the vocabulary words of the question's type
    (then the best word must also clear the caption's hedge threshold, or the answer is "not sure")."""
    fe = q.frames()
    bb = q.backbone
    qv = bb.encode_texts([q.clean])[0]
    notes = []
    if q.choices:
        from ..labels import LabelSet

        names = list(q.choices)
        cand = label_vectors(bb, LabelSet.of(names, source="choices"), q.extractor.cache)
    else:
        from .caption_words import THRESHOLDS

        con = q.model("concepts")
        kinds = VOCAB_FOR.get(q.type, VOCAB_FOR["object"])
        allz = con.all_zscores(fe.vectors)
        every = [n for k in kinds for n in con.labels(k).names]
        z = np.concatenate([allz[k] for k in kinds])
        top = np.argsort(-z, kind="stable")[:OPEN_CANDIDATES]
        names = [every[j] for j in top]
        cand = np.concatenate([con.vectors[k] for k in kinds])[top]
        kind_thr = min(THRESHOLDS[k][0] for k in kinds)
        best_z = float(z[top[0]])
        notes.append(f"best vocabulary word z = {best_z:.2f} (needs >= {kind_thr} to answer)")
    scores, weight = score_candidates(fe.vectors, cand, qv)
    probs = softmax(TEMPERATURE * scores)
    order = np.argsort(-probs, kind="stable")
    best = int(order[0])
    order_w = np.argsort(-weight[:, best], kind="stable")
    a, b = q.span_of(float(fe.times[order_w[0]]))
    frames_idx = [i for i in order_w if a - 1e-6 <= fe.times[i] <= b + 1e-6][:3]  # the evidence's own frames
    confidence = float(probs[best])
    sure = confidence >= NOT_SURE if q.choices else best_z >= kind_thr
    return Answer.judged(names[best], sure, confidence=confidence,
                         evidence=Evidence(a, b, sorted(float(fe.times[i]) for i in frames_idx)),
                         candidates=[Candidate(names[j], float(probs[j])) for j in order[: RUNNER_UPS + 1]],
                         notes=notes)


def thing_z(frames: np.ndarray, target: str, concepts: ev.Concepts, bb,
            groups: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Z-score of the target text over the vocabulary crowd: (pooled, per frame). With ``groups`` (the
    shot of each frame) the pooled z is the best shot's, so a thing seen in one shot of many counts."""
    t = bb.encode_labels([target], ev.CONCEPT_TEMPLATES)[0]
    ref = frames @ concepts.reference.T  # (n, R)
    per_frame = (frames @ t - ref.mean(axis=1)) / np.maximum(ref.std(axis=1), 1e-6)

    def pooled_z(f: np.ndarray) -> float:
        rp = pool(f, concepts.reference).score
        return float((pool(f, t[None]).score[0] - rp.mean()) / max(float(rp.std()), 1e-6))

    best = pooled_z(frames)
    if groups is not None:
        for g in np.unique(groups):
            best = max(best, pooled_z(frames[groups == g]))
    return best, per_frame


def _logistic(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-YES_SLOPE * (z - YES_Z))))


def asks_about_people(target: str) -> bool:
    return bool(PEOPLE.search(target)) and len(target.split()) <= 2


def answer_yesno(q: Question) -> Answer:
    """Is there X? People from the face detector, anything else from its z-score in the best shot."""
    target = q.target
    if asks_about_people(target):
        return _people_yesno(q, target)
    fe = q.frames()
    z, per_frame = thing_z(fe.vectors, target, q.model("concepts"), q.backbone, fe.shot)
    p_yes = _logistic(z)
    yes = z >= YES_Z
    a, b = q.span_of(float(fe.times[int(np.argmax(per_frame))]))
    return Answer("yes" if yes else "no", p_yes if yes else 1.0 - p_yes, target=target,
                  evidence=Evidence(a, b, sorted(float(fe.times[j]) for j in np.argsort(-per_frame)[:3])),
                  candidates=[Candidate("yes", p_yes), Candidate("no", 1.0 - p_yes)],
                  notes=[f"z of {target!r} over the vocabulary = {z:.2f} (yes from {YES_Z})"])


def _people_yesno(q: Question, target: str) -> Answer:
    faces = q.faces()
    seen = faces.total > 0
    share = float(seen.mean()) if len(seen) else 0.0
    yes = bool(seen.any())
    confidence = 0.5 + 0.5 * (share if yes else 1.0)
    evidence = None
    if yes:
        a, b = q.span_of(float(faces.times[int(np.argmax(faces.total))]))
        evidence = Evidence(a, b, [float(t) for t in faces.times[seen][:3]])
    answer = "yes" if yes else "no"
    return Answer(answer, confidence, target=target, evidence=evidence,
                  candidates=[Candidate(answer, confidence), Candidate("no" if yes else "yes", 1 - confidence)],
                  notes=[f"faces found in {int(seen.sum())} of {len(seen)} sampled frames"])


def answer_when_seen(q: Question) -> Answer:
    """When does X appear? The span of frames around the best one whose z stays near it (and >= YES_Z)."""
    target = q.target
    if q.kind == "image":
        out = answer_yesno(q)
        out.notes.append(f"a photo has no timeline: the answer says whether it shows {target!r}")
        return out
    fe = q.frames()
    _, z = thing_z(fe.vectors, target, q.model("concepts"), q.backbone)
    order = np.argsort(fe.times)
    t, z = fe.times[order], z[order]
    i = int(np.argmax(z))
    keep = z >= max(z[i] - SPAN_DROP, min(YES_Z, z[i]))
    lo = hi = i
    while lo > 0 and keep[lo - 1]:
        lo -= 1
    while hi < len(t) - 1 and keep[hi + 1]:
        hi += 1
    duration = q.duration
    start = 0.0 if lo == 0 else float((t[lo - 1] + t[lo]) / 2)
    end = duration if hi == len(t) - 1 else float((t[hi] + t[hi + 1]) / 2)
    end = min(max(end, start), duration or end)
    p = _logistic(float(z[i]))
    span = f"from {start:.1f} s to {end:.1f} s"
    return Answer.judged(span, p >= 0.5, confidence=p, target=target,
                         evidence=Evidence(start, end, [float(x) for x in t[lo:hi + 1]][:5]),
                         candidates=[Candidate(span, p)],
                         notes=[f"best frame at {t[i]:.2f} s, z of {target!r} = {z[i]:.2f}"])


def answer_count(q: Question) -> Answer:
    """How many people? The median of the three frames with the most faces (other things: not yet)."""
    target = q.target
    if not PEOPLE.search(q.clean):
        return Answer(NOT_SURE_TEXT, 0.0, sure=False, target=target,
                      notes=["vidmm counts people (faces) only; other things cannot be counted yet"])
    faces = q.faces()
    counts = faces.total
    if not len(counts):
        return Answer.judged("0", False, target=target)
    n = int(np.median(np.sort(counts)[::-1][:3]))
    agree = float(np.mean(counts == n))
    best = int(np.argmin(np.abs(counts - n) + (faces.times * 1e-6)))
    a, b = q.span_of(float(faces.times[best]))
    hist = {int(k): int(v) for k, v in zip(*np.unique(counts, return_counts=True))}
    return Answer(str(n), float(min(0.95, 0.4 + 0.6 * agree)), target=target,
                  evidence=Evidence(a, b, [float(x) for x in faces.times[counts == n][:5]]),
                  candidates=[Candidate(str(k), v / len(counts)) for k, v in sorted(hist.items(), key=lambda kv: -kv[1])],
                  notes=[f"most faces seen in one frame: {int(counts.max())}; faces per frame: {hist}"])
