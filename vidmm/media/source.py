"""Open a media file with one clear error for every way it can be unreadable."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DecodeError, InputError


def check_readable(path: str | os.PathLike) -> Path:
    """Fail early, with the reason, on paths that cannot be media: missing, a folder, empty, unreadable."""
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", path=str(path), hint="check the path")
    if p.is_dir():
        raise InputError("is a directory, not a media file", path=str(path),
                         hint="use `vidmm batch DIR` for folders")
    if not os.access(p, os.R_OK):
        raise InputError("permission denied", path=str(path), hint="check the file's read permission")
    try:
        size = p.stat().st_size
    except OSError as exc:  # pragma: no cover - races with deletion
        raise InputError(f"cannot stat: {exc.strerror}", path=str(path)) from exc
    if size == 0:
        raise InputError("file is empty (0 bytes)", path=str(path), hint="the download or copy may have failed")
    return p


def open_container(path: str | os.PathLike):
    """Open with PyAV, translating its errors into an InputError that names the file."""
    import av

    # PyAV's default log level (None) already keeps FFmpeg quiet. Do not call av.logging.set_level():
    # it installs a Python log callback that can deadlock a closing decoder (PyAV #751, #909).
    p = check_readable(path)
    try:
        return av.open(str(p), metadata_errors="ignore")
    except av.error.PermissionError as exc:
        raise InputError("permission denied", path=str(path)) from exc
    except (av.error.InvalidDataError, av.error.EOFError) as exc:
        raise InputError("not a media file, or its header is damaged", path=str(path),
                         hint="the file may be truncated or of an unsupported kind") from exc
    except av.error.FFmpegError as exc:
        raise DecodeError(f"cannot open: {exc.strerror or exc}", path=str(path)) from exc
    except OSError as exc:  # pragma: no cover
        raise InputError(f"cannot open: {exc.strerror or exc}", path=str(path)) from exc
