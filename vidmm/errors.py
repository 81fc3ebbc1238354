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


class UsageError(VidmmError):
    """Bad arguments: empty label set, unknown option value, ..."""

    exit_code = EXIT_USAGE
    kind = "usage"


class InputError(VidmmError):
    """An input file cannot be read as media: missing, unreadable, empty, corrupt, wrong kind."""

    exit_code = EXIT_NO_INPUT
    kind = "input"


class NoVideoStreamError(InputError):
    """The file is readable media but has no video stream (audio-only) where video is required."""

    kind = "no-video"


class DecodeError(InputError):
    """Every decoding backend failed on the file."""

    kind = "decode"


class ModelMissingError(VidmmError):
    """A model the task needs is not present; the hint says how to get it."""

    exit_code = EXIT_MODEL_MISSING
    kind = "model-missing"


class ModelFileError(VidmmError):
    """A model or head file is present but damaged, mismatched or of the wrong kind."""

    exit_code = EXIT_MODEL_MISSING
    kind = "model-file"
