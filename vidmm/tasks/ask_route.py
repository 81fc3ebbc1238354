"""Reading a question: its type (which evidence answers it), what it is about, and ``--choices``.

Rules, checked in order (`route`): time, text, speech, count, emotion, sound, yes/no, place, action, object.
"""

from __future__ import annotations

import re

QUESTION_TYPES = ("speech", "time", "count", "emotion", "sound", "yesno", "place", "action", "object", "text")
#: The types answered from pictures (a file without them gets an answer saying so).
VISUAL_TYPES = frozenset({"yesno", "place", "action", "object", "count"})

SPEECH = re.compile(r"\b(say|says|said|saying|talk|talks|talking|speak|speaks|spoken|speaking|mention|mentions|"
                    r"mentioned|tell|tells|told|words?|quote|transcript|ask|asks|asked|announce\w*)\b")
TIME = re.compile(r"^(when|at what (time|point|moment)|what time|at which (time|point|moment)|how soon)\b")
COUNT = re.compile(r"\b(how many|number of|count)\b")
EMOTION_WORDS = ("happy", "sad", "angry", "upset", "afraid", "scared", "fear", "surprised", "disgusted",
                 "neutral", "calm", "excited", "joyful", "mad")
EMOTION = re.compile(r"\b(feel|feels|feeling|felt|mood|emotion|emotions|emotional|" + "|".join(EMOTION_WORDS)
                     + r")\b")
#: Asked about what is heard rather than seen.
SOUND = re.compile(r"\b(sounds?|noises?|hear|hears|heard|hearing|audible|audio|listen\w*|music|musical|songs?|"
                   r"applause|applauding|clapping|claps?|laughter|laughing|laughs?|barking|barks?|cheering|"
                   r"singing|sings?|honking)\b")
YESNO = re.compile(r"^(is|are|does|do|did|can|was|were|has|have|will|could|would|should)\b")
_PLACE = re.compile(r"^where\b|\b(what|which) (kind of |type of )?(place|location|room|setting|building)\b|"
                    r"\bwhere\b")
_ACTION = re.compile(r"\b(doing|happening|happens|activity|action|actions|going on|sport|perform\w*|"
                     r"play(ing)? what)\b")
PEOPLE = re.compile(r"\b(people|persons?|faces?|men|women|man|woman|kids?|children|child|someone|anyone|"
                    r"anybody|somebody|humans?|boys?|girls?|guys?)\b")
_FILLER = re.compile(r"\b(in|on|at|during|throughout) (the|this) (video|clip|scene|footage|film|movie|shot|"
                     r"recording|audio|photo|picture|image)\b|"
                     r"\b(the|this) (video|clip|footage)\b|\bhere\b|\bvisible\b|\bshown\b|\bseen\b")
EMOTION_MAP = {"upset": "sad", "scared": "fear", "afraid": "fear", "disgusted": "disgust", "calm": "neutral",
               "excited": "happy", "joyful": "happy", "mad": "angry", "surprised": "surprise"}


def clean(q: str) -> str:
    """Lower case, single spaces, no closing punctuation."""
    return " ".join(re.sub(r"[?!.]+$", "", q.strip().lower()).replace("’", "'").split())


#: Asked about written text (tasks/ask_text.py): what a sign, screen or title says, what is written, a name.
TEXT = re.compile(r"\b(written|writing|write|writes|printed|spelt|spelled|spell|spells|lettering|inscri\w*|text|"
                  r"texts|read|reads|sign|signs|signboard|billboard|banner|poster|label|caption|captions|"
                  r"subtitles?|title|titles|headline|screen|slide|slides|placard|plate|logo|receipt|menu|document|"
                  r"ticket|page)\b")
NAME = re.compile(r"\bname of\b|\b(what|which)('s| is| are)? (the |its |their |his |her )?names?\b|\bcalled\b")
#: ... unless a person is the one who says it ("what does the man on the screen say?" is speech).
_PERSON_SAYS = re.compile(r"\b(he|she|they|someone|somebody|anyone|people|person|man|woman|narrator|speaker|"
                          r"voice|host)\b[\w\s]*\b(say|says|said|saying|talk\w*|speak\w*|mention\w*|tell\w*)\b")


#: A quotation in a question ("when is 'SALE' shown?"): text to look for on screen.
QUOTED = re.compile(r"(?:^|\s)[\"'‘“]([^\"'‘’“”]+)[\"'’”](?=\s|$|[?.!,;:])")


#: Values that are written rather than seen: a receipt's total, a shop's prices, a website, a phone number.
WRITTEN = re.compile(r"\b(website|web site|web address|url|e-?mail address|phone number|telephone number|prices?|"
                     r"total|subtotal|amount due|how much (does|do|did) (it|they|this|that) cost)\b|"
                     r"\bwhat('s| is) the date\b")


def asks_for_text(q: str) -> bool:
    """A question about written text (``q`` cleaned): see TEXT, WRITTEN and NAME."""
    return bool(NAME.search(q)) or (bool(TEXT.search(q) or WRITTEN.search(q)) and not _PERSON_SAYS.search(q))


def person_speaks(q: str) -> bool:
    """Does the question (cleaned) name a person saying something ("what does the man say?")?"""
    return bool(_PERSON_SAYS.search(q))


#: "what is he doing?" names a person, not speech, though "he" may be "saying" nothing.
_DOING = re.compile(r"\bwhat (\w+ )?(is|are) (he|she|they|the \w+) (doing|wearing)\b")


def _speech(q: str) -> bool:
    return bool(SPEECH.search(q)) and not _DOING.search(q)


#: (test, type), checked in this order; the first that matches routes the question.
ROUTES = (
    (TIME.search, "time"), (asks_for_text, "text"), (_speech, "speech"), (COUNT.search, "count"),
    (EMOTION.search, "emotion"),
    (SOUND.search, "sound"), (YESNO.search, "yesno"), (_PLACE.search, "place"), (_ACTION.search, "action"),
)


def route(question: str, skip: tuple[str, ...] = ()) -> str:
    """The question's type, one of QUESTION_TYPES: the first of ROUTES that matches, else "object".
    ``skip``: types not to consider (the text handler hands a question on when no text answers it)."""
    q = clean(question)
    return next((kind for test, kind in ROUTES if kind not in skip and test(q)), "object")


def target_of(question: str) -> str:
    """The thing a yes/no, time or count question is about: "is there a dog?" -> "dog"."""
    q = _FILLER.sub(" ", clean(question))
    q = re.sub(r"^(when|at what (time|point|moment)|what time|how many|is|are|does|do|did|can|was|were|has|have|"
               r"will|could|would|should)\b", " ", q)
    q = re.sub(r"^\s*(there|you see|we see|i see|it show|it contain|the video show|the clip show)\b", " ", q)
    q = re.sub(r"\b(does|do|did|is|are|was|were)\b", " ", q)
    q = re.sub(r"\b(appear|appears|show up|shows up|come|comes|start|starts|begin|begins|happen|happens|enter|"
               r"enters|get|gets|first|there|any|some|see|show|shows|contain|contains)\b", " ", q)
    q = re.sub(r"^\s*(this|it|that|these|they)\b", " ", q.strip())
    q = re.sub(r"^\s*(in|at|on|inside|near|by)\b", " ", q.strip())
    q = re.sub(r"^\s*(a|an|the|any|some)\b", " ", q.strip())
    return " ".join(q.split()) or clean(question)


_NOT_A_SOUND = re.compile(r"\b(you|we|i|hear|hears|heard|hearing|sounds?|noises?|audible|listen\w*|audio|of|"
                          r"a|an|the|any|some|someone|anyone|somebody|anybody|people|playing|can|be|in|on)\b")


def sound_target(question: str) -> str:
    """What a sound question asks about ("can you hear a dog?" -> "dog"), "" for "what can be heard?"."""
    q = clean(question)
    if re.match(r"^(what|which|describe)\b", q):
        return ""  # "what sound is that?", "what can be heard?": the sounds themselves
    return " ".join(_NOT_A_SOUND.sub(" ", target_of(q)).split())


def parse_choices(text) -> list[str] | None:
    """``"a|b|c"`` (or a list) -> ["a", "b", "c"] (blank items dropped; fewer than two answers or an answer
    given twice is a usage error)."""
    if text is None:
        return None
    from ..errors import UsageError

    raw = list(text) if isinstance(text, list | tuple) else str(text).split("|")
    items = [str(c).strip() for c in raw if str(c).strip()]
    if len(items) < 2:
        raise UsageError("--choices needs at least two answers", hint='e.g. --choices "cooking|dancing|running"')
    if len({c.casefold() for c in items}) != len(items):
        raise UsageError("--choices repeats an answer", hint="give each answer once")
    return items
