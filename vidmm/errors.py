"""One error hierarchy; each error knows its exit code (see ../shared/CLI.md).

The CLI prints ``vidmm: error: FILE: problem (what to do)`` on one line and exits with ``exit_code``.
"""

from __future__ import annotations

# Exit codes of the command-line contract.
EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_INPUT = 3
EXIT_MODEL_MISSING = 4


class VidmmError(Exception):
    """Base class: a problem a user can act on. ``path`` names the file it concerns, if any."""

    exit_code = EXIT_SOME_FAILED
    kind = "error"

    def __init_subclass__(cls, kind: str | None = None, exit_code: int | None = None, **kwargs):
        """``class XError(VidmmError, kind="x", exit_code=N)``: each subclass names its kind and exit code
        in its header (both inherited when left out)."""
        super().__init_subclass__(**kwargs)
        if kind is not None:
            cls.kind = kind
        if exit_code is not None:
            cls.exit_code = exit_code

    def __init__(self, message: str, path: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)
        self.hint = hint

    def one_line(self) -> str:
        text = self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        if self.path is not None:
            text = f"{self.path}: {text}"
        return " ".join(text.split())

    def __str__(self) -> str:
        return self.one_line()

    def to_dict(self) -> dict:
        return {"type": self.kind, "message": self.one_line()}


class UsageError(VidmmError, kind="usage", exit_code=EXIT_USAGE):
    """Bad arguments: empty label set, unknown option value, ..."""


class InputError(VidmmError, kind="input", exit_code=EXIT_NO_INPUT):
    """An input file cannot be read as media: missing, unreadable, empty, corrupt, wrong kind."""


class NoVideoStreamError(InputError, kind="no-video"):
    """The file is readable media but has no video stream (audio-only) where video is required."""


class DecodeError(InputError, kind="decode"):
    """Every decoding backend failed on the file."""


class DamagedError(InputError, kind="damaged"):
    """The file's data is damaged where vidmm needed it (FFmpeg reports invalid data, a failed seek, ...):
    ``damaged at 3.2 s: ...``. Where most of a file decodes, tasks answer instead and flag the damage."""


class ModelMissingError(VidmmError, kind="model-missing", exit_code=EXIT_MODEL_MISSING):
    """A model the task needs is not present; the hint says how to get it."""


class ModelFileError(VidmmError, kind="model-file", exit_code=EXIT_MODEL_MISSING):
    """A model or head file is present but damaged, mismatched or of the wrong kind."""
