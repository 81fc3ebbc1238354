"""Small English helpers for captions and answers: articles, lists, verb phrases, repeated words.

Rules, not a language model: enough for the vocabulary words vidmm composes sentences from.
"""

from __future__ import annotations

import re

#: Words that take no article (mass nouns and plurals in the vocabularies).
UNCOUNTABLE = frozenset({
    "grass", "sand", "snow", "rain", "water", "smoke", "fire", "food", "bread", "meat", "makeup", "jewelry",
    "sky", "coffee", "wine", "beer", "vegetables", "fruit", "shoes", "glasses", "hands", "clouds", "stairs",
    "waves", "stage lights", "text on screen", "music", "people",
})
#: Words whose sound does not follow their first letter.
_AN_EXCEPTIONS = ("hour", "honest", "honor", "heir")
_A_EXCEPTIONS = ("uni", "use", "usu", "eu", "one", "ufo", "utility", "uto")
STOPWORDS = frozenset({
    "a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "with", "while", "is", "are", "be", "being",
    "appears", "what", "looks", "like", "someone", "something", "playing", "then", "he", "she", "says",
    "person", "people", "from", "for", "by", "as", "into", "seems",
})


def article(noun: str) -> str:
    """``noun`` with "a"/"an" (none for mass nouns and plurals)."""
    n = noun.strip()
    low = n.lower()
    if low in UNCOUNTABLE or (low.endswith("s") and not low.endswith(("ss", "us", "is")) and " " not in low):
        return n
    if low.startswith(_AN_EXCEPTIONS):
        return f"an {n}"
    if low.startswith(_A_EXCEPTIONS):
        return f"a {n}"
    return f"{'an' if low[:1] in 'aeiou' else 'a'} {n}"


def join_list(items: list[str], conj: str = "and") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} {conj} {items[1]}"
    return f"{', '.join(items[:-1])}, {conj} {items[-1]}"


#: Leading words of place names (Places365's "stage/indoor" reads "indoor stage") that are said once only.
QUALIFIERS = frozenset({"indoor", "outdoor"})


def without_repeated_qualifiers(items: list[str]) -> list[str]:
    """Drop a leading qualifier already said by an earlier item: "indoor stage ... indoor bow window" ->
    "indoor stage ... bow window". The head noun always stays."""
    said: set[str] = set()
    out = []
    for item in items:
        words = item.split()
        if len(words) > 1 and words[0].lower() in QUALIFIERS:
            if words[0].lower() in said:
                words = words[1:]
            else:
                said.add(words[0].lower())
        out.append(" ".join(words))
    return out


def gerund_phrase(action: str) -> str:
    """A Kinetics label as something one "is" doing: "arm wrestling" -> "arm wrestling",
    "archery" -> "doing archery", "pull ups" -> "doing pull ups"."""
    words = action.split()
    if any(w.endswith("ing") for w in words[:2]):
        return action
    return f"doing {action}"


def content_words(text: str) -> set[str]:
    """Lower-case words that carry meaning (used to keep a sentence from saying a word twice)."""
    words = re.findall(r"[a-z][a-z'-]+", text.lower())
    return {_stem(w) for w in words if w not in STOPWORDS and len(w) > 2}


def _stem(w: str) -> str:
    for suf in ("ing", "es", "s"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            return w[: -len(suf)]
    return w


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def sentence(text: str) -> str:
    """Capitalised, single-spaced, ending with one full stop (or the ? / ! it has)."""
    t = " ".join(text.split()).strip()
    if not t:
        return t
    t = capitalise(t)
    if t[-1] in ".!?'\"":
        if t[-1] in "'\"" and (len(t) < 2 or t[-2] not in ".!?"):
            return t + "."
        return t
    return t + "."
