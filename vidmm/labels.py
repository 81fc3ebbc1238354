"""Label sets for zero-shot tasks: the built-in vocabularies, a comma list, or a labels file.

A label has a *name* (what results show) and a *text* (what is embedded). They are the same unless a
labels file says ``name: description``, e.g. ``concert: a crowd watching a band play on a lit stage``:
a longer text often embeds better than a bare word, while results keep the short name.

Built-in vocabularies live in ``vidmm/data`` (see its README for where they come from):
``scenes`` (365 Places categories), ``actions`` (400 Kinetics actions), ``objects`` (everyday things and
subjects), and ``all`` (the three together, duplicates dropped).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Built-in vocabularies: name -> file in vidmm/data.
VOCAB_FILES = {
    "scenes": "places365.txt",
    "actions": "kinetics400.txt",
    "objects": "objects.txt",
}
VOCABS = (*VOCAB_FILES, "all")
DEFAULT_VOCAB = "all"


@dataclass(frozen=True)
class LabelSet:
    """Names shown in results and the texts embedded for them (same length, same order)."""

    names: tuple[str, ...]
    texts: tuple[str, ...]
    source: str  # "vocab:scenes", "labels", "file:PATH"

    def __post_init__(self):
        if len(self.names) != len(self.texts):
            raise ValueError("names and texts must have the same length")

    def __len__(self) -> int:
        return len(self.names)

    @property
    def key(self) -> str:
        """A short digest of names and texts: keys cached label embeddings."""
        h = hashlib.sha256("\x1e".join(f"{n}\x1f{t}" for n, t in zip(self.names, self.texts)).encode())
        return h.hexdigest()[:16]

    @classmethod
    def of(cls, names, texts=None, source: str = "labels") -> LabelSet:
        """Build and validate a label set (empty or duplicate names -> UsageError)."""
        names = [str(n).strip() for n in names]
        texts = names if texts is None else [str(t).strip() or n for t, n in zip(texts, names)]
        _check(names, source)
        return cls(tuple(names), tuple(texts), source)


def _check(names: list[str], source: str) -> None:
    where = _where(source)
    if not names or not any(names):
        raise UsageError(f"the label set{where} is empty",
                         hint='give at least one label, e.g. --labels "beach,city street,kitchen"')
    if any(not n for n in names):
        raise UsageError(f"the label set{where} has an empty label")
    seen: dict[str, str] = {}
    dups = []
    for n in names:
        k = n.casefold()
        if k in seen and n not in dups:
            dups.append(n)
        seen.setdefault(k, n)
    if dups:
        shown = ", ".join(repr(d) for d in dups[:5]) + (" ..." if len(dups) > 5 else "")
        raise UsageError(f"the label set{where} repeats {shown}", hint="give each label once")


def _where(source: str) -> str:
    if source.startswith("file:"):
        return f" in {source[5:]}"
    if source == "labels":
        return " of --labels"
    return ""


def vocab(name: str) -> LabelSet:
    """A built-in vocabulary by name (``scenes``, ``actions``, ``objects`` or ``all``)."""
    key = name.strip().lower()
    if key not in VOCABS:
        raise UsageError(f"unknown vocabulary {name!r}", hint=f"use one of {', '.join(VOCABS)}")
    files = list(VOCAB_FILES.values()) if key == "all" else [VOCAB_FILES[key]]
    names: list[str] = []
    seen: set[str] = set()
    for fname in files:
        for line in (DATA_DIR / fname).read_text(encoding="utf-8").splitlines():
            label = line.strip()
            if label and not label.startswith("#") and label.casefold() not in seen:
                seen.add(label.casefold())
                names.append(label)
    return LabelSet.of(names, source=f"vocab:{key}")


def parse_labels(text: str) -> LabelSet:
    """``"beach, city street,kitchen"`` -> a label set; blank items are skipped."""
    names = [p.strip() for p in str(text).split(",")]
    return LabelSet.of([n for n in names if n], source="labels")


def read_labels_file(path: str | os.PathLike) -> LabelSet:
    """One label per line; ``#`` starts a comment (a whole line, or after whitespace); blank lines skipped;
    ``name: description`` embeds the description and shows the name."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError("labels file not found", path=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read labels file: {exc}", path=str(p)) from None
    names, texts = [], []
    for line in raw.splitlines():
        line = _strip_comment(line).strip()
        if not line:
            continue
        name, sep, desc = line.partition(":")
        name, desc = name.strip(), desc.strip()
        if sep and not name:
            raise UsageError(f"line {line!r} has a description but no label", path=str(p))
        names.append(name)
        texts.append(desc if sep and desc else name)
    return LabelSet.of(names, texts, source=f"file:{p}")


def _strip_comment(line: str) -> str:
    if line.lstrip().startswith("#"):
        return ""
    for i, ch in enumerate(line):
        if ch == "#" and i > 0 and line[i - 1] in " \t":
            return line[:i]
    return line


def resolve_labels(labels: str | None = None, labels_file: str | os.PathLike | None = None,
                   vocab_name: str | None = None, default: str = DEFAULT_VOCAB) -> LabelSet:
    """The label set a command asked for: ``--labels`` or ``--labels-file`` or ``--vocab`` (one of them)."""
    given = [n for n, v in (("--labels", labels), ("--labels-file", labels_file), ("--vocab", vocab_name))
             if v is not None]
    if len(given) > 1:
        raise UsageError(f"{' and '.join(given)} cannot be used together", hint="give one label source")
    if labels is not None:
        return parse_labels(labels)
    if labels_file is not None:
        return read_labels_file(labels_file)
    return vocab(vocab_name or default)
