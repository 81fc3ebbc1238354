"""The task interface: what every task declares, so the CLI, batch and Python run it the same way.

A task is a `Task` subclass registered with `vidmm.tasks.registry.register` (built-in tasks use the
same call as a plugin). It declares:

* ``name`` and ``summary`` (one line, shown by ``--help``);
* ``Options``: a dataclass of the task's own options. The CLI fills it from flags, batch from its
  options dict, Python from keyword arguments. Fields marked ``opt(..., hashed=False)`` do not change
  the result and stay out of the resume hash; ``load=True`` fields change what ``load`` builds;
* ``kinds``: the media kinds it accepts (``video``, ``image``, ``audio``); a file of another kind gets
  one line naming a task that can read it (exit 3);
* ``formats``: the output formats it supports besides the table (json, jsonl, csv, srt, vtt, txt);
* ``load(extractor, options)``: the models it needs, once per process. Required models raise
  `ModelMissingError` (exit 4, the hint says how to get them); optional ones go through `Needs.optional`,
  which leaves them out and records why in ``unavailable``;
* ``run(path, extractor, state, options) -> Result``; ``prefetch(path, extractor)`` may warm the
  decoding of the next file while batch runs this one;
* ``cues(record)`` and ``text(record)``: the timeline (SRT/VTT) and plain text of a record, read from
  the JSON document itself, so single-file and batch output are the same by construction.

A `Result` is any object with ``to_dict()`` (the ../shared/CLI.md document); ``file`` names its input.
"""

from __future__ import annotations

import dataclasses
import math
import os
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Protocol

from ..errors import InputError, ModelMissingError, UsageError

MEDIA_KINDS = ("video", "image", "audio")
ANY_KIND = frozenset(MEDIA_KINDS)
#: Every format a writer knows (vidmm.writers); a task lists the ones that make sense for it.
ALL_FORMATS = ("json", "jsonl", "csv", "srt", "vtt", "txt")

Cue = tuple[float, float, str]


class Result(Protocol):
    file: str

    def to_dict(self) -> dict: ...


def opt(default: Any = None, *, hashed: bool | str = True, load: bool = False, help: str = "",
        flag: str | None = None, aliases: tuple[str, ...] = ()) -> Any:
    """A task option. ``hashed``: part of batch's resume key (it changes the result); "if-set": only when
    not the default. ``load``: it changes the models ``load`` builds (the Python API keeps one loaded
    state per such value). ``flag``/``aliases``: the CLI's names (default ``--field-name``)."""
    meta = {"hashed": hashed, "load": load, "help": help, "flag": flag, "aliases": aliases}
    if isinstance(default, list | dict | set):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass
class CommonOptions:
    """Options every task has."""

    no_cache: bool = opt(False, hashed=False, help="Do not read or write the feature cache.")
    start: float | None = opt(None, hashed="if-set", help=(
        "Analyse from this time (seconds); results keep the file's own times."))
    end: float | None = opt(None, hashed="if-set", help="Analyse up to this time (seconds).")


#: What ``--shots`` takes: "fast" (segments from the keyframe sequence) or "exact" (every cut at its frame).
SHOT_MODES = ("fast", "exact")


@dataclasses.dataclass
class ShotOptions(CommonOptions):
    """Options of the tasks that read a video's shots."""

    shots: str | None = opt(None, hashed="if-set", help=(
        "How shots are found: fast (from the keyframes: exact where the encoder marked a cut, else within one "
        "GOP; the default, or `shots` in the config file) or exact (every cut at its frame; decodes most of "
        "a long-GOP video)."))


@dataclasses.dataclass
class VisualOptions(ShotOptions):
    """Options of the tasks that embed frames: which backbone, how many frames."""

    backbone: str | None = opt(None, load=True, help="Backbone name or path (default: embedded).")
    max_frames: int = opt(32, help="At most this many frames per video.")


def file_digest(path) -> str:
    """``sha256:<16 hex>`` of a file's content, or of a folder's files: a changed label file or a retrained
    head in the same folder is another result for batch's resume key."""
    import hashlib

    from ..fileio import sha256_file

    p = Path(path)
    if not p.is_dir():
        return "sha256:" + sha256_file(p)[:16]
    h = hashlib.sha256()
    for f in sorted(x for x in p.iterdir() if x.is_file()):
        h.update(f"{f.name}:{sha256_file(f)}\n".encode())
    return "sha256:" + h.hexdigest()[:16]


class Needs:
    """The models a task loads: required ones raise ModelMissingError (exit 4, with the command that
    gets them); optional ones are left out, with the reason in ``unavailable``."""

    def __init__(self) -> None:
        self.unavailable: dict[str, str] = {}

    def optional(self, key: str, loader: Callable[[], Any]) -> Any:
        try:
            return loader()
        except ModelMissingError as err:
            self.unavailable[key] = err.one_line()
            return None


class Task:
    """Base class of every task; see the module doc."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    Options: ClassVar[type] = CommonOptions
    kinds: ClassVar[frozenset[str]] = frozenset({"video", "image"})
    formats: ClassVar[tuple[str, ...]] = ("json", "jsonl", "csv")
    #: The record field holding timed segments (SRT/VTT, CSV --segments), if any.
    timeline: ClassVar[str | None] = None
    #: Positional arguments after the input in the Python API (``vidmm.ask(path, question)``).
    positional: ClassVar[tuple[str, ...]] = ()
    #: A task over one folder (search), not over files: batch refuses it.
    folder_task: ClassVar[bool] = False
    #: Uses the backbone (batch sizes torch's threads for it).
    uses_backbone: ClassVar[bool] = True
    #: Loads models at all (batch runs more workers of a task that loads none).
    loads_models: ClassVar[bool] = True
    #: The file written with --output-dir when no --format is given.
    default_file_format: ClassVar[str] = "json"
    #: For the kind errors: which task reads a kind this one does not.
    kind_hint: ClassVar[dict[str, str]] = {"audio": "use `vidmm transcribe` or `vidmm caption` for audio files",
                                           "image": "use `vidmm scene`, `caption` or `ask` for photos",
                                           "video": ""}

    # -- options ----------------------------------------------------------------------------------
    def options(self, values: dict | None = None, **kw) -> Any:
        """The Options dataclass from a dict (batch, Python) and keywords; unknown names are a usage
        error, and every value is checked (`check`)."""
        values = {**(values or {}), **kw}
        names = self.option_names()
        unknown = sorted(k for k, v in values.items() if k not in names and v not in (None, False, ""))
        if unknown:
            raise UsageError(f"{self.name} has no option {unknown[0]!r}",
                             hint=f"its options: {', '.join(sorted(names))}")
        hints = typing.get_type_hints(self.Options)
        opts = self.Options(**{k: _coerce(k, v, hints[k]) for k, v in values.items() if k in names})
        check_numbers(opts)
        self.check(opts)
        return opts

    def option_names(self) -> set[str]:
        return {f.name for f in dataclasses.fields(self.Options)}

    def check(self, opts) -> None:
        """Raise UsageError for a bad option value (before any file is read)."""
        if getattr(opts, "max_frames", 1) < 1:
            raise UsageError("--max-frames must be at least 1")
        if getattr(opts, "shots", None) not in (None, *SHOT_MODES):
            raise UsageError(f"--shots must be one of {', '.join(SHOT_MODES)}, not {opts.shots!r}")
        start, end = getattr(opts, "start", None), getattr(opts, "end", None)
        if start is not None and start < 0:
            raise UsageError("--start must be 0 or more")
        if start is not None and end is not None and end <= start:
            raise UsageError("--end must be after --start")

    def for_formats(self, opts, formats) -> Any:
        """The options to run with when ``formats`` will be written (e.g. word times for subtitles)."""
        return opts

    def hashed(self, opts) -> dict:
        """The options that change the result (batch's resume key), as plain JSON values. An option marked
        ``hashed="if-set"`` counts only away from its default, so adding one keeps old logs resumable."""
        out = {}
        for f in dataclasses.fields(opts):
            v, how = getattr(opts, f.name), f.metadata.get("hashed", True)
            if how is True or (how == "if-set" and v != f.default):
                out[f.name] = v
        return out

    def load_key(self, opts) -> tuple:
        return tuple((f.name, str(getattr(opts, f.name))) for f in dataclasses.fields(opts) if f.metadata.get("load"))

    # -- media kinds ------------------------------------------------------------------------------
    def require(self, path: str, extractor) -> Any:
        """The file's probe, or InputError (exit 3) when this task cannot read its kind."""
        info = extractor.probe(path)
        kind = info.kind
        if kind not in self.kinds:
            what = {"image": "is a still image", "audio": "has no video stream (audio only)",
                    "video": "is a video"}[kind]
            raise InputError(f"{what}: `vidmm {self.name}` reads {_kinds_text(self.kinds)}", path=path,
                             hint=self.kind_hint.get(kind) or None)
        return info

    # -- the work ---------------------------------------------------------------------------------
    def load(self, extractor, opts) -> Any:
        return None

    def run(self, path: str, extractor, state, opts, progress=None) -> Result:
        """One input -> its result. ``progress(done, total)``, when given, may be called as work advances."""
        raise NotImplementedError

    def prefetch(self, path: str, extractor) -> None:
        return None

    def execute(self, path: str, extractor, state, opts, progress=None) -> Result:
        """``run`` on the stretch ``--start``/``--end`` ask for: what the CLI, batch and Python call. The
        record says which stretch it read (``window``) and what decoding found wrong with the file
        (``truncated``, ``damaged``: vidmm.media.health), so a partial answer never passes for a whole one."""
        with extractor.using_shots(shot_mode(getattr(opts, "shots", None))):
            return self._execute(path, extractor, state, opts, progress)

    def _execute(self, path: str, extractor, state, opts, progress=None) -> Result:
        start, end = getattr(opts, "start", None), getattr(opts, "end", None)
        span = None
        if not start and end is None:
            result = self.run(path, extractor, state, opts, progress=progress)
        else:
            with extractor.windowed(start, end):
                span = (start or 0.0, end) if self.folder_task else extractor.span(path)
                result = self.run(path, extractor, state, opts, progress=progress)
        extra = {} if self.folder_task else extractor.health(path)
        if span is not None:
            extra["window"] = {"start": round(span[0], 3), "end": None if span[1] is None else round(span[1], 3)}
        return AnnotatedResult(result, extra, span) if extra else result

    # -- what writers read ------------------------------------------------------------------------
    def cues(self, record: dict) -> list[Cue]:
        """(start, end, text) per timed segment of ``record`` (SRT/VTT)."""
        return [(float(s.get("start", 0.0)), float(s.get("end", 0.0)), self.segment_text(s))
                for s in record.get(self.timeline or "segments") or []]

    def segment_text(self, segment: dict) -> str:
        return str(segment.get("text") or "")

    def note(self, record: dict) -> str | None:
        """A line for the head of a WebVTT file (e.g. a warning about the transcript), or None."""
        return None

    def messages(self, record: dict) -> list[str]:
        """Lines for stderr when stdout holds the document (warnings people must not miss)."""
        from ..media.health import warnings

        lines = [f"warning: {record.get('file')}: {record['warning']}"] if record.get("warning") else []
        return lines + [f"warning: {record.get('file')}: {w}" for w in warnings(record)]

    def output_stem(self, record: dict) -> str:
        """``--output-dir`` files are named ``<stem>.<format>``: by default ``<input stem>.<task>``."""
        return f"{Path(str(record.get('file'))).stem}.{self.name}"

    def csv(self, records: list[dict], segments: bool = False) -> str | None:
        """CSV of ``records`` in a layout of the task's own, or None for the generic table (writers/table.py)."""
        return None

    def text(self, record: dict) -> str:
        """Plain text of ``record`` (txt): its segments' lines by default."""
        lines = [f"{a:8.2f} {b:8.2f}  {t}" for a, b, t in self.cues(record)]
        return "\n".join(lines) + ("\n" if lines else "")


class AnnotatedResult:
    """A task's result with fields the runner adds to its record (``window``, ``truncated``, ``damaged``):
    the same object otherwise; ``window`` is the stretch read, (start, end), or None for the whole file."""

    def __init__(self, result, extra: dict, window: tuple[float, float | None] | None = None):
        self._result, self.extra, self.window = result, extra, window

    def __getattr__(self, name: str):
        return getattr(self._result, name)

    def __repr__(self) -> str:
        where = "" if self.window is None else f" (window from {self.window[0]:g} s to {self.window[1] or 'the end'})"
        flags = [k for k in self.extra if k != "window"]
        return f"{self._result!r}{where}" + (f" [{', '.join(flags)}]" if flags else "")

    def to_dict(self) -> dict:
        return {**self._result.to_dict(), **self.extra}


def shot_mode(value: str | None) -> str | None:
    """``--shots``, else ``shots`` in the config file, else None (the extractor's own, "fast")."""
    from ..config import config_value

    mode = value or config_value("shots")
    if mode is not None and mode not in SHOT_MODES:
        raise UsageError(f"shots must be one of {', '.join(SHOT_MODES)}, not {mode!r} (config file)")
    return mode


def _kinds_text(kinds) -> str:
    names = {"video": "videos", "image": "photos", "audio": "audio files"}
    items = [names[k] for k in MEDIA_KINDS if k in kinds]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _coerce(name: str, value: Any, hint) -> Any:
    """A text value (``vidmm batch --opt top_k=3``) as the option's type; a path as text (options cross
    process boundaries as JSON)."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if not isinstance(value, str):
        return value
    kinds = [t for t in typing.get_args(hint) or (hint,) if t is not type(None)]
    kind = kinds[0] if len(kinds) == 1 else str
    try:
        if kind is bool:
            if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("1", "true", "yes")
        return kind(value) if kind in (int, float) else value
    except ValueError:
        raise UsageError(f"option {name} takes {kind.__name__} values, not {value!r}") from None


def check_numbers(opts) -> None:
    """No option may be NaN or infinite (``--fps nan`` is a usage error, not a crash)."""
    for f in dataclasses.fields(opts):
        v = getattr(opts, f.name)
        if isinstance(v, float) and not math.isfinite(v):
            raise UsageError(f"--{f.name.replace('_', '-')} must be a finite number, not {v}")
