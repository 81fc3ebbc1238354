"""What a caption may say: the vocabulary words and sounds that clear their thresholds.

A word is used only when its z-score (how far it stands above the 927 vocabulary words on the same
frames, `vidmm.tasks.evidence.Concepts`) clears the kind's *sure* threshold; between *hedge* and *sure*
it is hedged ("appears to be", "what looks like"); below, left out. A sound is named when the mean
YAMNet score of its classes over the span reaches ``SOUND_MIN``. How the thresholds were read from
the labelled clips, and the command that reproduces each number: docs/caption.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import evidence as ev

#: (hedge, sure) z thresholds per kind of word (docs/caption.md, "Thresholds").
THRESHOLDS = {"scenes": (2.5, 4.0), "things": (4.2, 6.0), "subjects": (4.5, 6.5), "actions": (5.5, 7.0)}
#: Mean YAMNet score over a span at which a sound is named (docs/caption.md).
SOUND_MIN = 0.3
#: Share of the clip a word must hold (over its shots) to be in the overall caption.
OVERALL_MIN_SHARE = 0.5
MAX_THINGS = 2
#: Never named as "things": they say nothing a face count does not.
SKIP_THINGS = frozenset({"face", "hands", "text on screen", "logo", "cartoon", "sign", "paper"})


@dataclass(frozen=True)
class SoundPhrase:
    """YAMNet classes (display names) and two ways of saying that they are heard: a clause that follows a
    sentence ("... while an audience applauds") and a phrase that stands alone ("an audience applauding")."""

    classes: tuple[str, ...]
    clause: str
    alone: str


#: In order of preference. Speech is not here: what is said comes from the transcript.
SOUND_PHRASES: tuple[SoundPhrase, ...] = (
    SoundPhrase(("Applause", "Clapping", "Cheering"), "while an audience applauds", "an audience applauding"),
    SoundPhrase(("Laughter", "Giggle", "Belly laugh", "Chuckle, chortle"), "as people laugh", "people laughing"),
    SoundPhrase(("Singing", "Choir", "Rapping"), "while someone sings", "someone singing"),
    SoundPhrase(("Dog", "Bark", "Bow-wow"), "as a dog barks", "a dog barking"),
    SoundPhrase(("Bird", "Bird vocalization, bird call, bird song", "Chirp, tweet"), "with birds chirping",
                "birds chirping"),
    SoundPhrase(("Vehicle horn, car horn, honking", "Traffic noise, roadway noise", "Vehicle", "Engine"),
                "with traffic noise", "traffic noise"),
    SoundPhrase(("Crying, sobbing", "Baby cry, infant cry"), "as someone cries", "someone crying"),
    SoundPhrase(("Shout", "Yell", "Screaming"), "as someone shouts", "someone shouting"),
    SoundPhrase(("Music", "Musical instrument"), "with music playing", "music playing"),
    SoundPhrase(("Crowd", "Hubbub, speech noise, speech babble"), "amid crowd noise", "crowd noise"),
)
#: The clauses alone, as (classes, clause) pairs.
SOUND_CLAUSES: tuple[tuple[tuple[str, ...], str], ...] = tuple((p.classes, p.clause) for p in SOUND_PHRASES)
#: YAMNet's speech classes: an untranscribed voice (``--no-speech``) still says "someone speaks".
SPEECH_CLASSES = ("Speech", "Conversation", "Narration, monologue")


@dataclass
class Word:
    """A vocabulary word chosen for a sentence, with its z-score and whether it is hedged."""

    kind: str
    text: str
    z: float
    hedged: bool

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, "z": round(self.z, 3), "hedged": self.hedged}


def _pick(z: np.ndarray, names, kind: str, k: int = 1, skip=()) -> list[Word]:
    hedge, sure = THRESHOLDS[kind]
    out = []
    for j in np.argsort(-z, kind="stable"):
        if z[j] < hedge or len(out) >= k:
            break
        if names[j] in skip:
            continue
        out.append(Word(kind, names[j], float(z[j]), bool(z[j] < sure)))
    return out


def choose_words(frames: np.ndarray, concepts: ev.Concepts) -> dict[str, list[Word]]:
    """The words of each kind that clear their thresholds on these frames (best first)."""
    z = concepts.all_zscores(frames)
    return {
        "subjects": _pick(z["subjects"], concepts.subjects.names, "subjects", 1),
        "actions": _pick(z["actions"], concepts.actions.names, "actions", 1),
        "scenes": _pick(z["scenes"], concepts.scenes.names, "scenes", 1),
        "things": _pick(z["things"], concepts.things.names, "things", MAX_THINGS + 2, SKIP_THINGS),
    }


def heard(mean_scores: np.ndarray | None, class_names: list[str]) -> list[SoundPhrase]:
    """Up to two sounds whose classes reach SOUND_MIN on average (singing stands for music with it)."""
    if mean_scores is None:
        return []
    index = {n: i for i, n in enumerate(class_names)}
    found = []
    for phrase in SOUND_PHRASES:
        idx = [index[n] for n in phrase.classes if n in index]
        if idx and float(mean_scores[idx].max()) >= SOUND_MIN:
            found.append(phrase)
    kinds = {p.clause for p in found}
    if "while someone sings" in kinds:
        found = [p for p in found if p.clause != "with music playing"]
    return found[:2]


def sound_clauses(mean_scores: np.ndarray | None, class_names: list[str]) -> list[str]:
    """The clauses of `heard`: "while an audience applauds", "with music playing"."""
    return [p.clause for p in heard(mean_scores, class_names)]


def voice_heard(mean_scores: np.ndarray | None, class_names: list[str]) -> bool:
    """YAMNet hears speech (SOUND_MIN on average over the span)."""
    if mean_scores is None:
        return False
    idx = [i for i, n in enumerate(class_names) if n in SPEECH_CLASSES]
    return bool(idx) and float(mean_scores[idx].max()) >= SOUND_MIN


def overall_words(segments) -> dict[str, list[Word]]:
    """Per kind, the words that held for the longest time over the shots (hedged unless some shot was
    sure of them): the clip's words, without diluting a word seen in one shot by pooling all frames.
    A word must hold for OVERALL_MIN_SHARE of the clip; shorter ones are details of their shot.
    ``segments``: objects with ``start``, ``end`` and ``chosen`` (kind -> words that cleared)."""
    out: dict[str, list[Word]] = {}
    total = sum(max(s.end - s.start, 1e-3) for s in segments) or 1.0
    for kind in THRESHOLDS:
        weight: dict[str, float] = {}
        best: dict[str, Word] = {}
        for s in segments:
            for w in s.chosen.get(kind, []):
                weight[w.text] = weight.get(w.text, 0.0) + max(s.end - s.start, 1e-3)
                b = best.get(w.text)
                best[w.text] = Word(kind, w.text, max(w.z, b.z if b else -1e9),
                                    w.hedged and (b.hedged if b else True))
        order = [t for t in sorted(weight, key=lambda t: (-weight[t], -best[t].z))
                 if weight[t] >= OVERALL_MIN_SHARE * total]
        out[kind] = [best[t] for t in order[: (MAX_THINGS + 2 if kind == "things" else 1)]]
    return out
