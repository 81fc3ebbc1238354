"""The local engine: N worker processes, each with its own models, fed by the parent over pipes.

Why per-worker pipes and not one shared queue: the parent always knows which files each worker holds,
so a worker that dies (a decoder crash, the OOM killer) costs exactly one error record for the file it
was on, the files queued behind it go to its replacement, and nothing is lost or done twice.

Work is balanced like a shared queue: a worker holds one file at a time and gets the next one when it
sends its record back, so no worker sits idle at the end of a run while another still has files queued
(the parent's round trip costs well under a millisecond against seconds per video). Handing each
worker two files at once let a run end with one worker idle while a file waited behind the other's.

With ``--prefetch`` a worker holds ``PREFETCH_DEPTH`` files: while it runs the model on one, a thread
decodes ahead on the next (the task's ``prefetch``: shot detection for scene, audio features for emotion).
PyAV and the models release the GIL, so the two overlap. Measured with benchmarks/batch.py on the 2-core
box (shared with other jobs, so noisy): 0.67x, 0.82x, 0.87x and 2.8x of the speed without it, i.e. no
dependable gain once every core already runs a worker; hence off by default (``--prefetch`` turns it on).

Workers ignore SIGINT: Ctrl-C reaches the whole process group, and the parent alone decides to stop
(it writes what is finished, then ends the workers; their unfinished files are redone next run).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

#: Files handed to a worker at once: one, or with decode-ahead one running and one being decoded.
DEPTH = 1
PREFETCH_DEPTH = 2
#: A worker that dies before it is ready this many times in a row means the models cannot load.
MAX_EARLY_DEATHS = 2


class FatalWorkerError(Exception):
    """The task cannot run at all (e.g. a model is missing): every file would fail the same way."""

    def __init__(self, error: dict, exit_code: int):
        super().__init__(error.get("message", "worker failed"))
        self.error = error
        self.exit_code = exit_code


def _thread_lock_for_tqdm() -> None:
    """tqdm (inside faster-whisper) makes a multiprocessing lock on first use, a semaphore the worker's
    ``os._exit`` never releases: the resource tracker then warned of "leaked semaphore objects" at the end of
    a batch. A worker draws no bars, so a thread lock does."""
    import threading

    with contextlib.suppress(ImportError):
        import tqdm

        tqdm.tqdm.set_lock(threading.RLock())


def worker_main(conn: Connection, task: str, options: dict, threads: int, prefetch: bool) -> None:
    """Entry point of a worker process (spawned: a fresh interpreter, no inherited threads or models)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .worker import Worker, limit_threads

    limit_threads(threads)
    _thread_lock_for_tqdm()
    try:
        w = Worker(task, options, threads)
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which stops the batch
        from ..errors import VidmmError

        code = err.exit_code if isinstance(err, VidmmError) else 1
        msg = err.one_line() if isinstance(err, VidmmError) else f"{type(err).__name__}: {err}"
        conn.send(("fatal", {"type": getattr(err, "kind", "internal"), "message": msg}, code))
        return
    conn.send(("ready", w.pid))
    pool = None
    if prefetch:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(1, thread_name_prefix="vidmm-prefetch")
    ahead: dict[int, object] = {}
    pending: deque = deque()
    closing = False
    try:
        while True:
            if not pending and not closing:
                msg = conn.recv()
                if msg is None:
                    closing = True
                else:
                    pending.append(msg)
            while not closing and conn.poll():
                msg = conn.recv()
                if msg is None:
                    closing = True
                else:
                    pending.append(msg)
            if not pending:
                break
            seq, path, identity = pending.popleft()
            if pool is not None:
                for nseq, npath, _ in pending:
                    if nseq not in ahead:
                        ahead[nseq] = pool.submit(w.prefetch, npath)
            fut = ahead.pop(seq, None)
            if fut is not None:
                fut.result()
            conn.send(("record", seq, w.run(path, identity)))
        conn.send(("stats", w.stats()))
    except (EOFError, BrokenPipeError):
        pass
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
    # Everything is sent and every cache entry is a whole file: skip the interpreter's teardown of torch and
    # the other libraries, which kept the parent waiting 0.5 s (1 worker) to 1.2 s (2 workers) at the end
    # of every batch (measured on the 2-core box).
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


@dataclass
class _Slot:
    proc: mp.process.BaseProcess
    conn: Connection
    held: deque = field(default_factory=deque)  # (seq, path, identity) sent, not yet answered
    ready: bool = False
    done: bool = False  # told to stop and answered everything


class LocalEngine:
    name = "local"

    def __init__(self, task: str, options: dict, workers: int, threads: int, prefetch: bool = False):
        self.task, self.options, self.n, self.threads, self.prefetch = task, options, workers, threads, prefetch
        self.ctx = mp.get_context("spawn")
        self.slots: list[_Slot] = []
        self.stats: list[dict] = []
        self.early_deaths = 0
        self.depth = PREFETCH_DEPTH if prefetch else DEPTH

    def _start(self) -> _Slot:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=worker_main, args=(child, self.task, self.options, self.threads,
                                                          self.prefetch), daemon=True, name="vidmm-worker")
        proc.start()
        child.close()
        return _Slot(proc, parent)

    def run(self, items: list[tuple[int, str, str | None]], on_record: Callable[[int, dict], None],
            crash_record: Callable[[tuple[int, str, str | None], str], dict]) -> None:
        queue = deque(items)
        self.slots = [self._start() for _ in range(max(1, min(self.n, len(queue) or 1)))]
        try:
            while queue or any(s.held for s in self.slots):
                for s in self.slots:
                    while s.ready and queue and len(s.held) < self.depth:
                        item = queue.popleft()
                        s.held.append(item)
                        s.conn.send(item)
                live = [s for s in self.slots if not s.done]
                ready = wait([s.conn for s in live] + [s.proc.sentinel for s in live])
                for s in list(self.slots):
                    if s.conn in ready or s.proc.sentinel in ready:
                        self._service(s, queue, on_record, crash_record)
            for s in self.slots:  # no more work: let them say goodbye (stats) and exit
                if s.proc.is_alive():
                    try:
                        s.conn.send(None)
                    except (BrokenPipeError, OSError):
                        continue
            for s in self.slots:
                try:
                    while s.conn.poll(5):
                        msg = s.conn.recv()
                        if msg[0] == "stats":
                            self.stats.append(msg[1])
                            break
                except (EOFError, OSError):
                    pass
            for s in self.slots:
                s.proc.join(10)  # let them exit on their own (a terminated one may leak a semaphore)
        finally:
            self.close()

    def _service(self, s: _Slot, queue: deque, on_record, crash_record) -> None:
        try:
            while s.conn.poll():
                msg = s.conn.recv()
                kind = msg[0]
                if kind == "ready":
                    s.ready = True
                    self.early_deaths = 0
                elif kind == "fatal":
                    raise FatalWorkerError(msg[1], msg[2])
                elif kind == "record":
                    seq, rec = msg[1], msg[2]
                    if s.held and s.held[0][0] == seq:
                        s.held.popleft()
                    else:
                        s.held = deque(x for x in s.held if x[0] != seq)
                    on_record(seq, rec)
                elif kind == "stats":
                    self.stats.append(msg[1])
            if s.proc.is_alive():
                return
        except (EOFError, OSError):
            pass
        # The worker died: the file it was on gets an error record, the rest go to a new worker.
        s.proc.join(1)
        code = s.proc.exitcode
        i = self.slots.index(s)
        if not s.ready:
            self.early_deaths += 1
            if self.early_deaths >= MAX_EARLY_DEATHS:
                raise FatalWorkerError({"type": "internal",
                                        "message": f"worker process died while loading models (exit {code})"}, 1)
        if s.held:
            first = s.held.popleft()
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            on_record(first[0], crash_record(first, f"worker process died ({how}) while processing this file"))
            queue.extendleft(reversed(s.held))
        s.conn.close()
        self.slots[i] = self._start()

    def close(self) -> None:
        """End every worker now (their unfinished files are not recorded, so they are redone next run)."""
        for s in self.slots:
            if s.proc.is_alive():
                s.proc.terminate()
        for s in self.slots:
            s.proc.join(3)
            if s.proc.is_alive():
                s.proc.kill()
                s.proc.join(1)
            s.conn.close()
        self.slots = []


def default_workers(task) -> int:
    """What the machine allows: one worker per core (each with one thread per pool), fewer if memory is short
    (1.2 GB per model worker: a scene worker peaked at 675 MB, caption loads more models).

    Measured on the 2-core box (benchmarks/batch.py, 8 clips, --task scene, shared with other jobs): 2 workers
    x 1 thread ran 1.42-1.46x (whole run) and 1.43-1.78x (first to last record) the speed of 1 worker x 2
    threads. Decoding and shot detection (most of the time) run on one thread whatever torch is given, so a
    second thread buys one worker only 1.05-1.17x per video; and torch's 2 threads pay only when both cores
    are free: with other load on the box, embedding the frames of 7 clips took 3.2-3.6 s with 1 thread and
    11.6-14.0 s with 2."""
    from ..threads import cores as _cores

    cores = _cores()
    if not task.loads_models:
        return min(cores, 4)
    try:
        avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        mem = open("/proc/meminfo").read()
        for line in mem.splitlines():
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return cores
    return max(1, min(cores, int(avail // (1.2 * (1 << 30)))))
