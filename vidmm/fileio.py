"""File helpers the whole package shares: whole-or-nothing writes, a file's SHA-256, a folder's size.

An atomic write fills a temp file in the target's own folder (``.NAME.<random>.tmp``, created with the
mode any new file gets), fsyncs it, ``os.replace``s it over the target and fsyncs the folder: a reader sees
the old file or the new one, never a torn one, and a killed writer or a power loss leaves at worst a stray
temp file (``is_temp`` recognises them, for folders that sweep them). ``durable=False`` skips the fsyncs,
for files that are rebuilt when damaged (cache entries): a killed writer still leaves no torn file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

TEMP_SUFFIX = ".tmp"
_CHUNK = 1 << 20


def fsync_dir(path: str | os.PathLike) -> None:
    """Make a rename or a new file in ``path`` durable (a no-op where folders cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def replace_file(src: str | os.PathLike, dst: str | os.PathLike, durable: bool = True) -> None:
    """``os.replace(src, dst)`` (same file system); when ``durable``, ``src``'s data reaches the disk before
    the rename and the rename before returning."""
    if durable:
        fd = os.open(src, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    os.replace(src, dst)
    if durable:
        fsync_dir(Path(dst).parent)


def _new_temp(folder: Path, name: str) -> tuple[int, Path]:
    """An exclusive new temp file beside ``name``; mode 0o666 less the umask, as for any new file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = folder / f".{name}.{secrets.token_hex(6)}{TEMP_SUFFIX}"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temp file name in {folder}")


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object], durable: bool = True) -> None:
    """Write ``path`` whole or not at all: ``write(f)`` fills a binary temp file beside it, which then
    replaces it (see the module doc). The folder is created if missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _new_temp(path.parent, path.name)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        replace_file(tmp, path, durable)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes, durable: bool = True) -> None:
    """``atomic_write`` of these bytes."""
    atomic_write(path, lambda f: f.write(data), durable)


def atomic_write_text(path: str | os.PathLike, text: str, durable: bool = True) -> None:
    """``atomic_write`` of this text as UTF-8, newlines as given."""
    atomic_write_bytes(path, text.encode("utf-8"), durable)


def is_temp(name: str) -> bool:
    """Is this file name one of ``atomic_write``'s temp files (or the cache's older ``.tmp-*`` ones)?"""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX) or name.startswith(".tmp-")


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's content, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def folder_size(path: str | os.PathLike) -> int:
    """Bytes of a file, or of every file below a folder (links followed, as ``stat`` does)."""
    p = Path(path)
    if p.is_file():
        return p.stat().st_size
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
