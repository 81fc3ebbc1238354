"""Media kinds by file name, for walking folders: which files a task over videos, photos or audio reads.

Only folder walks use extensions; a file named on the command line is probed whatever its name.
"""

from __future__ import annotations

from collections.abc import Iterable

VIDEO_EXTS = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts",
                        ".m2ts", ".wmv", ".flv", ".3gp", ".ogv", ".gif"})
IMAGE_EXTS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
AUDIO_EXTS = frozenset({".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".wma", ".aif", ".aiff"})
EXTS = {"video": VIDEO_EXTS, "image": IMAGE_EXTS, "audio": AUDIO_EXTS}


def extensions(kinds: Iterable[str]) -> frozenset[str]:
    """The file extensions of these media kinds."""
    return frozenset().union(*(EXTS[k] for k in kinds))
