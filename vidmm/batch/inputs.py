"""What a batch runs over: files, folders (recursive), and text files that list paths (``-`` = stdin).

A path is taken as a *list of paths* only when its name says so (.txt, .lst, .list) or it is ``-``;
anything else is an input in its own right, so a broken ``notes.mp4`` that holds text becomes an error
record, not a list. Missing paths stay in the list too: they get an error record like any unreadable file.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from ..media.kinds import extensions

LIST_EXTS = frozenset({".txt", ".lst", ".list"})


def _walk(folder: Path, exts: frozenset[str], pattern: str | None) -> list[str]:
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or Path(name).suffix.lower() not in exts:
                continue
            rel = os.path.relpath(os.path.join(root, name), folder)
            if pattern and not (fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(rel, pattern)):
                continue
            out.append(os.path.join(root, name))
    return out


def _read_list(lines: Iterable[str], base: Path | None) -> list[str]:
    out = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        p = Path(line)
        if base is not None and not p.is_absolute():
            p = base / p
        out.append(str(p))
    return out


def expand_inputs(inputs: Iterable[str], pattern: str | None = None,
                  kinds: Iterable[str] = ("video", "image", "audio"), stdin=None) -> list[str]:
    """Every input file, in order, each once. ``audio``: folders also yield audio files (transcribe).

    Paths in a list file are relative to the list's folder; folders inside a list are walked too.
    """
    exts = extensions(kinds)
    seen: set[str] = set()
    out: list[str] = []

    def add(path: str, depth: int = 0) -> None:
        p = Path(path)
        if path == "-" and depth == 0:
            for q in _read_list((stdin or sys.stdin).read().splitlines(), None):
                add(q, depth + 1)
            return
        if p.is_dir():
            found = _walk(p, exts, pattern)
        elif p.suffix.lower() in LIST_EXTS and p.is_file() and depth == 0:
            for q in _read_list(p.read_text(encoding="utf-8", errors="replace").splitlines(), p.parent):
                add(q, depth + 1)
            return
        else:
            found = [path]
        for f in found:
            key = os.path.abspath(f)
            if key not in seen:
                seen.add(key)
                out.append(f)

    for item in inputs:
        add(str(item))
    return out
