"""Open a media file with one clear error for every way it can be unreadable."""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from ..errors import DamagedError, DecodeError, InputError


def check_readable(path: str | os.PathLike) -> Path:
    """Fail early, with the reason, on paths that cannot be media: missing, a symlink loop or a dangling
    link, a folder, a FIFO or device, empty, unreadable."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError("is a symbolic link loop", path=str(path), hint="fix the link") from None
        if p.is_symlink():
            raise InputError(f"is a broken symbolic link (to {os.readlink(p)})", path=str(path),
                             hint="fix the link") from None
        if exc.errno == errno.ENOENT:
            if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", str(path)):
                raise InputError("is a URL: vidmm reads local files", path=str(path),
                                 hint="download it first, e.g. with curl -O or yt-dlp") from None
            if str(path) == "-":
                raise InputError("standard input cannot be read: vidmm seeks in its inputs", path=str(path),
                                 hint="save the stream to a file first") from None
            raise InputError("no such file", path=str(path), hint="check the path") from None
        raise InputError(f"cannot stat: {exc.strerror or exc}", path=str(path)) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a directory, not a media file", path=str(path),
                         hint="use `vidmm batch DIR` for folders")
    if not stat.S_ISREG(st.st_mode):
        what = "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else \
            "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
        raise InputError(f"is {what}, not a regular file", path=str(path),
                         hint="vidmm seeks in its inputs: save the stream to a file first")
    if not os.access(p, os.R_OK):
        raise InputError("permission denied", path=str(path), hint="check the file's read permission")
    if st.st_size == 0:
        raise InputError("file is empty (0 bytes)", path=str(path), hint="the download or copy may have failed")
    return p


def damaged(exc: BaseException, path: str | os.PathLike, at: float | None = None) -> DamagedError:
    """FFmpeg's error (PyAV raises its codes as OSError subclasses) as one line: ``damaged at 3.2 s: ...``."""
    where = "damaged" if at is None else f"damaged at {max(at, 0.0):.1f} s"
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return DamagedError(f"{where}: {detail}", path=str(path), hint="re-download or re-encode the file")


def open_container(path: str | os.PathLike):
    """Open with PyAV, translating its errors into an InputError that names the file."""
    import av

    # PyAV's default log level (None) already keeps FFmpeg quiet. Do not call av.logging.set_level():
    # it installs a Python log callback that can deadlock a closing decoder (PyAV #751, #909).
    p = check_readable(path)
    try:
        return av.open(str(p), metadata_errors="ignore")
    except av.error.PermissionError as exc:
        if not os.access(p, os.R_OK):
            raise InputError("permission denied", path=str(path)) from exc
        raise damaged(exc, path) from exc  # FFmpeg's "operation not permitted" is a failed seek or read
    except (av.error.InvalidDataError, av.error.EOFError) as exc:
        raise InputError("not a media file, or its header is damaged", path=str(path),
                         hint="the file may be truncated or of an unsupported kind") from exc
    except av.error.FFmpegError as exc:
        raise DecodeError(f"cannot open: {exc.strerror or exc}", path=str(path)) from exc
    except OSError as exc:  # pragma: no cover
        raise InputError(f"cannot open: {exc.strerror or exc}", path=str(path)) from exc
