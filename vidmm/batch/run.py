"""``run_batch``: inputs -> skip what is done -> engine -> durable log -> CSV/JSON and per-video files.

Durability: the JSONL log is the one source of truth. Every finished record (result or error) is appended,
flushed and fsync'd by this process before the next one is taken, so a crash loses at most the files that
were still running. ``--format csv|json`` outputs are *rendered from the log* at the end (and on Ctrl-C),
atomically (temp file + ``os.replace``): the log for ``results.csv`` is ``results.csv.jsonl``, kept for
``--resume``. Re-running the same command (or ``--resume``) skips every input whose (content identity,
task, options hash) is in the log, error records included (``retry_failed`` drops those first and
redoes them).

The library never prints: ``progress(summary, record)`` is called after every record (and once at the
start with ``record=None``); the CLI draws the bar and the summary table from it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..fileio import atomic_write_text
from .inputs import expand_inputs
from .log import ResultLog, options_hash, record_key

OUT_FORMATS = ("jsonl", "csv", "json")
DIR_FORMATS = ("json", "srt", "vtt", "txt")


@dataclass
class BatchConfig:
    task: str
    options: dict = field(default_factory=dict)
    out: Path | None = None  # None: records go to ``stream`` only (no resume)
    fmt: str | None = None  # jsonl | csv | json; default from the suffix of ``out``
    output_dir: Path | None = None
    dir_format: str = "json"
    segments: bool = False  # CSV: one row per segment
    workers: int | None = None
    engine: str = "local"
    ray_address: str | None = None
    retry_failed: bool = False
    prefetch: bool = False  # decode-ahead thread per worker; measured no gain at one worker per core
    glob: str | None = None


@dataclass
class BatchSummary:
    total: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    skipped_failed: int = 0  # skipped because the log already holds an error record for them
    torn: int = 0  # torn/damaged log lines removed on open (their files are redone)
    workers: int = 0
    engine: str = "local"
    elapsed_s: float = 0.0
    interrupted: bool = False
    log: str | None = None
    outputs: list[str] = field(default_factory=list)
    worker_stats: list[dict] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    @property
    def done(self) -> int:
        return self.ok + self.failed

    @property
    def todo(self) -> int:
        return self.total - self.skipped

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.failed or self.skipped_failed else 0

    def to_dict(self) -> dict:
        return {"total": self.total, "ok": self.ok, "failed": self.failed, "skipped": self.skipped,
                "skipped_failed": self.skipped_failed,
                "torn_lines_redone": self.torn, "workers": self.workers, "engine": self.engine,
                "elapsed_s": round(self.elapsed_s, 3), "interrupted": self.interrupted, "log": self.log,
                "outputs": self.outputs}


def batch_task(name: str):
    """The registered task ``name``, if batch can run it file by file (UsageError otherwise)."""
    from ..tasks.registry import get_task

    task = get_task(name)
    if task.folder_task:
        raise UsageError(f"`vidmm {name}` works on one folder, not file by file",
                         hint=f"run `vidmm {name} DIR ...` instead of batch")
    return task


def log_path_for(out: Path, fmt: str) -> Path:
    return out if fmt == "jsonl" else out.with_name(out.name + ".jsonl")


def resolve_format(out: Path | None, fmt: str | None) -> str:
    if fmt is None:
        suffix = out.suffix.lower().lstrip(".") if out is not None else ""
        fmt = suffix if suffix in OUT_FORMATS else "jsonl"
    if fmt not in OUT_FORMATS:
        raise UsageError(f"unknown output format {fmt!r}", hint=f"use one of {', '.join(OUT_FORMATS)}")
    return fmt


def default_threads(workers: int) -> int:
    """Each worker's share of the cores: every thread pool in a worker is sized to it (vidmm/threads.py)."""
    from ..threads import cores

    return max(1, cores() // max(1, workers))


def run_batch(inputs: list[str], config: BatchConfig,
              progress: Callable[[BatchSummary, dict | None], None] | None = None,
              stream: Callable[[dict], None] | None = None) -> BatchSummary:
    """Run ``config.task`` over every input; see the module doc. ``stream(record)`` also sees each record.

    The local engine starts worker processes with ``spawn``: a script calling this must do so under
    ``if __name__ == "__main__":`` (as with any use of multiprocessing).
    """

    task = batch_task(config.task)
    if config.engine not in ("local", "ray"):
        raise UsageError(f"unknown engine {config.engine!r}", hint="use local or ray")
    if config.dir_format not in DIR_FORMATS:
        raise UsageError(f"unknown --output-dir format {config.dir_format!r}", hint=f"use one of {', '.join(DIR_FORMATS)}")
    if config.dir_format not in task.formats:
        raise UsageError(f"--task {task.name} does not write {config.dir_format}",
                         hint=f"use one of {', '.join(f for f in task.formats if f in DIR_FORMATS)}")
    fmt = resolve_format(config.out, config.fmt)
    if config.engine == "ray":
        from .ray_engine import require_ray

        require_ray()  # before reading a single input: a missing extra is a usage error
    opts = task.options(config.options)  # a bad option is a usage error before any work
    opts_hash = options_hash(task, opts)  # reads label files: a bad one fails before any work
    files = expand_inputs(inputs, config.glob, kinds=task.kinds)
    if not files:
        raise UsageError("no input files found", hint="give video files, folders or a list of paths")

    summary = BatchSummary(total=len(files), engine=config.engine)
    log = None
    done_keys: dict = {}  # key -> the log's record for it is an error
    if config.out is not None:
        log = ResultLog(log_path_for(Path(config.out), fmt))
        summary.log, summary.torn = str(log.path), log.torn
        if config.retry_failed:
            log.drop(lambda r: "error" in r and r.get("task") == task.name and r.get("options_hash") == opts_hash)
        done_keys = {record_key(r): "error" in r for r in log.records}

    from ..writers.per_video import claim_name, write_per_video
    from .worker import error_record, identity_of

    todo: list[tuple[int, str, str | None]] = []
    names_used: dict[str, str] = {}
    done_ok = {record_key(r): r for r in log.records if "error" not in r} if log is not None else {}
    for i, path in enumerate(files):
        ident = identity_of(path)
        claim_name(path, task.name, ident, names_used)
        key = (ident or "path:" + os.path.abspath(path), task.name, opts_hash)
        if key in done_keys:
            summary.skipped += 1
            summary.skipped_failed += bool(done_keys[key])
            if config.output_dir is not None and key in done_ok:
                # Done in an earlier run: its file may be missing (killed between the log line and the file,
                # or that run wrote another --format); the log has everything to write it.
                write_per_video(done_ok[key], Path(config.output_dir), config.dir_format, task,
                                names_used, missing_only=True)
        else:
            todo.append((i, path, ident))
            done_keys[key] = False  # a file listed twice (another path, same content) runs once

    def on_record(seq: int, rec: dict) -> None:
        if log is not None:
            log.append(rec)  # durable before anything else happens
        if "error" in rec:
            summary.failed += 1
        else:
            summary.ok += 1
            if config.output_dir is not None:
                write_per_video(rec, Path(config.output_dir), config.dir_format, task, names_used)
        if stream is not None:
            stream(rec)
        summary.elapsed_s = time.monotonic() - summary.started
        if progress is not None:
            progress(summary, rec)

    def crash_record(item, message: str) -> dict:
        from ..errors import VidmmError

        err = VidmmError(message, path=item[1])
        err.kind = "crash"
        return error_record(item[1], task.name, opts_hash, item[2], err)

    n = config.workers or _default_workers(task)
    n = max(1, min(n, len(todo) or 1))
    summary.workers = n
    if progress is not None:
        progress(summary, None)
    engine = None
    try:
        if todo:
            threads = default_threads(n)
            if config.engine == "ray":
                from .ray_engine import RayEngine

                engine = RayEngine(task.name, config.options, n, threads, config.ray_address, config.prefetch)
            else:
                from .local import LocalEngine

                engine = LocalEngine(task.name, config.options, n, threads, config.prefetch)
            engine.run(todo, on_record, crash_record)
            summary.worker_stats = engine.stats
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        if engine is not None:
            engine.close()
        summary.elapsed_s = time.monotonic() - summary.started
        if log is not None:
            try:
                if fmt != "jsonl":
                    summary.outputs.append(str(render_output(log.records, Path(config.out), fmt, task,
                                                             opts_hash, config.segments)))
                else:
                    summary.outputs.append(str(log.path))
            finally:
                log.close()
    return summary


def _default_workers(task) -> int:
    from .local import default_workers

    return default_workers(task)


def render_output(records: list[dict], out: Path, fmt: str, task, opts_hash: str, segments: bool) -> Path:
    """CSV or JSON of this task's records in the log (one per input, the latest), written atomically."""
    from ..writers import get_writer

    latest: dict = {}
    for r in records:
        if r.get("task") == task.name and r.get("options_hash") == opts_hash:
            latest[record_key(r)] = r
    writer = get_writer(fmt, segments=segments) if fmt == "csv" else get_writer(fmt)
    rows = list(latest.values())
    atomic_write_text(out, writer.render(task, rows) if rows or fmt == "csv" else "[]\n")
    return out
