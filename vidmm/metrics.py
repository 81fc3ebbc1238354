"""Text metrics for speech: word error rate over normalised words (edit distance / reference length).

Normalisation makes WER measure words, not typography: case, punctuation, hyphens and apostrophes are
ignored ("self-starter," == "self starter"; "don't" == "dont"); "|" (speaker turns in references) too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NON_WORD = re.compile(r"[^\w\s']+", re.UNICODE)


_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
          "sixteen seventeen eighteen nineteen").split()
_TENS = {w: 10 * k for k, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_NUMBER_WORDS = {**{w: k for k, w in enumerate(_UNITS)}, **_TENS}


def _numbers_as_digits(words: list[str]) -> list[str]:
    """English number words below 100 as digits ("twenty one" -> "21"), as Whisper's English normaliser
    writes them: "one two three" and "1, 2, 3" are the same words."""
    out: list[str] = []
    for w in words:
        n = _NUMBER_WORDS.get(w)
        if n is None:
            out.append(w)
        elif 0 < n < 10 and out and out[-1].isdigit() and int(out[-1]) in _TENS.values():
            out[-1] = str(int(out[-1]) + n)
        else:
            out.append(str(n))
    return out


def normalise_words(text: str) -> list[str]:
    """Lower-case words without punctuation; hyphens split words, apostrophes vanish, English number words
    below 100 become digits."""
    text = text.lower().replace("-", " ").replace("|", " ")
    text = _NON_WORD.sub(" ", text).replace("'", "")
    return _numbers_as_digits(text.split())


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance over words: substitutions + deletions + insertions."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


@dataclass(frozen=True)
class WerCount:
    errors: int
    words: int  # reference words

    @property
    def wer(self) -> float:
        return self.errors / self.words if self.words else float(self.errors > 0)

    def __add__(self, other: WerCount) -> WerCount:
        return WerCount(self.errors + other.errors, self.words + other.words)


def wer_count(reference: str, hypothesis: str) -> WerCount:
    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    return WerCount(edit_distance(ref, hyp), len(ref))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of one hypothesis; pool several with ``sum(wer_count(...))`` to weight by reference length."""
    return wer_count(reference, hypothesis).wer
