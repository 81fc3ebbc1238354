"""Caption sentences composed by rules from the chosen words, faces, sounds and what is said.

A sentence says, in this order and each at most once: the subject (from faces, else an animal word),
the action, the place, up to two things, the text shown, the sounds, then what is said. `compose` writes the sentence
of one span of pictures; `changes` and `paragraph` the clip-level additions; `audio_sentence` the
caption of a file without pictures. English helpers (articles, lists): tasks/phrasing.py. Speech is
quoted as it was said, in its language, and a language other than English is named ("says, in German:
'...'").
"""

from __future__ import annotations

from ..languages import language_name
from .caption_words import MAX_THINGS, SoundPhrase, Word
from .evidence import snippet
from .phrasing import article, content_words, gerund_phrase, join_list, sentence, without_repeated_qualifiers

#: Scenes one is "on" or "at" rather than "in".
_ON = ("stage", "street", "beach", "field", "court", "bridge", "road", "highway", "runway", "platform",
       "sidewalk", "boardwalk", "deck", "pier", "lawn", "track", "rink", "slope", "golf course")
#: Subject words that faces, not the vocabulary, decide (ImageNet has no person class).
_PEOPLE_WORDS = ("person", "man", "woman", "child", "baby", "crowd", "audience", "family")
FALLBACK = "a scene that vidmm cannot describe with confidence"
#: How many shots the paragraph walks through, and how many words of the transcript it quotes.
PARAGRAPH_SHOTS = 6
PARAGRAPH_WORDS = 40


def quoted(said: str, language: str | None = None) -> str:
    """What follows "says": ``: 'text'``, or ``, in German: 'text'`` for speech in another language."""
    named = f", in {language_name(language)}" if language not in (None, "en") else ""
    return f"{named}: '{said}'"


def _place(word: Word) -> str:
    prep = "on" if any(w in word.text for w in _ON) else "in"
    noun = word.text.replace("/", " ")
    return f"{prep} what appears to be {article(noun)}" if word.hedged else f"{prep} {article(noun)}"


def _subject(words: dict[str, list[Word]], faces: int, main_faces: int) -> tuple[str, str, Word | None]:
    """(noun phrase, pronoun for speech, the vocabulary word used or None)."""
    if faces >= 3:
        return "a group of people", "someone", None
    if faces == 2:
        return "two people", "one of them", None
    if main_faces >= 1 or faces == 1:
        return "a person", "they", None
    subj = words["subjects"][0] if words["subjects"] else None
    if subj is not None and subj.text not in _PEOPLE_WORDS:
        noun = article(subj.text)
        return (f"what looks like {noun}" if subj.hedged else noun), "someone", subj
    return "", "someone", None


def compose(words: dict[str, list[Word]], faces: int = 0, main_faces: int = 0, sounds: list[str] | None = None,
            speech: str = "", fallback: str = FALLBACK, speech_language: str | None = None,
            shown: str = "") -> tuple[str, list[Word]]:
    """One sentence from the chosen words; returns it and the words it used. ``faces``: the most faces in
    one frame; ``main_faces``: of those, the ones tall enough to be the subject; ``sounds``: clauses;
    ``speech``: what is said, in ``speech_language``; ``shown``: the on-screen text clause ("with text
    reading '...'", vidmm.tasks.shown_text)."""
    used: list[Word] = []
    said: set[str] = set()

    def fresh(text: str) -> bool:
        return not (content_words(text) & said)

    def take(text: str, word: Word | None = None) -> str:
        said.update(content_words(text))
        if word is not None:
            used.append(word)
        return text

    subject, pronoun, subj_word = _subject(words, faces, main_faces)
    if subject:
        take(subject, subj_word)
    parts: list[str] = []
    action = words["actions"][0] if words["actions"] else None
    if action is not None and fresh(action.text):
        vp = gerund_phrase(action.text)
        if not subject:
            subject = "someone"
        parts.append(take(f"appears to be {vp}" if action.hedged else f"is {vp}", action))
    scene = words["scenes"][0] if words["scenes"] else None
    place = ""
    if scene is not None and fresh(scene.text):
        place = take(_place(scene), scene)
    things = [w for w in words["things"] if fresh(w.text)][:MAX_THINGS]
    thing_text = ""
    if things:
        sure = [article(w.text) for w in things if not w.hedged]
        hedged = [article(w.text) for w in things if w.hedged]
        bits = []
        if sure:
            bits.append(join_list(sure))
        if hedged:
            bits.append(f"possibly {join_list(hedged)}")
        thing_text = take(" and ".join(bits))
        used.extend(things)
    plural = subject == "two people"
    if subject:
        head = subject
        if parts:
            head += " " + (parts[0].replace("is ", "are ", 1).replace("appears ", "appear ", 1) if plural
                           else parts[0])
        else:
            head += " are seen" if plural else " is seen"
        clause = head + (f" {place}" if place else "") + (f" with {thing_text}" if thing_text else "")
    elif place:
        clause = "a view of " + place.split(" ", 1)[1] + (f" with {thing_text}" if thing_text else "")
    elif thing_text:
        clause = f"a shot showing {thing_text}"
    else:
        clause = fallback
    if shown:
        clause += f" {shown}"
    for s in sounds or []:
        if fresh(s):
            clause += f" {take(s)}"
    if speech:
        clause += f"; {pronoun} {'say' if pronoun == 'they' else 'says'}{quoted(speech, speech_language)}"
    return sentence(clause), used


def changes(segments) -> str:
    """What changes over time: the places (or the people) of successive shots, when they differ.
    ``segments``: objects with ``words`` (the words used) and ``faces``."""
    seq: list[str] = []
    for s in segments:
        w = next((w for w in s.words if w.kind == "scenes"), None)
        if w is not None and (not seq or seq[-1] != w.text):
            seq.append(w.text)
    if len(seq) >= 2:
        return "the view moves from " + " to ".join(article(x) for x in without_repeated_qualifiers(seq[:3]))
    counts = [s.faces for s in segments]
    if len(segments) >= 2 and max(counts) > 0 and min(counts) == 0:
        return "with cuts between shots with and without people"
    return ""


def paragraph(overall: str, segments, transcript_text: str, language: str | None = None) -> str:
    """The ``--long`` caption: the overall sentence, then the first PARAGRAPH_SHOTS shots in order
    (their sentences without speech, ``segments[i].visual``), then the start of the transcript (in
    ``language``)."""
    lines = [overall]
    if len(segments) > 1:
        shown = segments[:PARAGRAPH_SHOTS]
        for i, s in enumerate(shown):
            lead = "First" if i == 0 else ("Finally" if i == len(shown) - 1 else "Then")
            body = s.visual.rstrip(".")
            lines.append(f"{lead} ({s.start:.0f}-{s.end:.0f} s), {body[:1].lower()}{body[1:]}.")
    if transcript_text:
        lines.append("The speech reads" + quoted(snippet(transcript_text, PARAGRAPH_WORDS), language))
    return " ".join(sentence(x) for x in lines)


def audio_sentence(sounds: list[SoundPhrase], said: str = "", voice: bool = False,
                   language: str | None = None) -> str:
    """The caption of a span of a file without pictures: what is said and what else is heard.
    ``said``: a snippet of the transcript, in ``language``; ``voice``: speech heard but not transcribed."""
    if said and sounds:
        body = f"someone speaks {' and '.join(p.clause for p in sounds)}, saying{quoted(said, language)}"
    elif said:
        body = f"someone says{quoted(said, language)}"
    elif voice:
        body = "someone speaks" + (f" {' and '.join(p.clause for p in sounds)}" if sounds else "")
    elif sounds:
        body = join_list([p.alone for p in sounds])
    else:
        body = "no speech or sound that vidmm can name"
    return sentence(f"audio only: {body}")
