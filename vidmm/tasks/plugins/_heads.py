"""Trained heads as task options (``--head``): loaded once per process, checked for the task."""

from __future__ import annotations

import os

_loaded: dict[tuple[str, str], object] = {}


def trained_head(head, task: str):
    """The head ``head`` names (a folder, ``heads/NAME``, or a loaded `TrainedHead`), checked for ``task``:
    missing, damaged or another task's head raises (exit 4) before any file is read."""
    if head is None or not isinstance(head, str | os.PathLike):
        if head is not None:
            head.check_task(task)
        return head
    from ...fusion import load_head
    from ...fusion.store import resolve_head

    key = (str(resolve_head(head)), task)
    if key not in _loaded:
        _loaded[key] = load_head(head, task=task)
    return _loaded[key]


def hashed_head(hashed: dict) -> dict:
    """A resume key's ``head``: the content of the head's folder (a retrained head is another result); no
    head leaves the key as it was before heads existed, so old logs still resume."""
    if hashed.get("head"):
        from ...fusion.store import resolve_head
        from ..base import file_digest

        hashed["head"] = file_digest(resolve_head(hashed["head"]))
    else:
        hashed.pop("head", None)
    return hashed
