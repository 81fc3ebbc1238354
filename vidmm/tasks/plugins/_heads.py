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
