"""The Ray engine: the same workers as Ray actors (one model set per actor), the same records, the same writer.

The driver (this process) reads the inputs, hands paths to actors, and appends each record to the log as it
returns, exactly as the local engine does; so ``--resume``, error records and the output formats do not
change. Paths must be readable at the same place on every node (a shared or synced filesystem).

``--ray-address`` joins a running cluster (``ray start --head`` / ``auto``); without it a local Ray
instance is started for the run (or the one already started in this process is used, as tests do).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from ..errors import UsageError

INSTALL_HINT = "pip install 'vidmm[ray]'"
DEPTH = 2


def require_ray():
    try:
        import ray
    except ImportError:
        raise UsageError("--engine ray needs Ray, which is not installed", hint=INSTALL_HINT) from None
    return ray


class RayEngine:
    name = "ray"

    def __init__(self, task: str, options: dict, workers: int, threads: int, address: str | None = None,
                 prefetch: bool = False):
        self.ray = require_ray()
        self.task, self.options, self.n, self.threads, self.address = task, options, workers, threads, address
        self.stats: list[dict] = []
        self.actors: list = []
        self.started = False  # this engine started Ray (and shuts it down at the end)

    def _actor_class(self):
        ray = self.ray

        @ray.remote(num_cpus=1, max_restarts=0)
        class RayWorker:
            def __init__(self, task: str, options: dict, threads: int):
                from .worker import Worker, limit_threads

                limit_threads(threads)
                self.w = Worker(task, options, threads)

            def run(self, path: str, identity: str | None) -> dict:
                return self.w.run(path, identity)

            def stats(self) -> dict:
                return self.w.stats()

        return RayWorker

    def run(self, items: list[tuple[int, str, str | None]], on_record: Callable[[int, dict], None],
            crash_record: Callable[[tuple[int, str, str | None], str], dict]) -> None:
        ray = self.ray
        if not ray.is_initialized():
            self.started = True
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                     configure_logging=False, ignore_reinit_error=True)
        cls = self._actor_class()
        n = max(1, min(self.n, len(items) or 1))
        self.actors = [cls.remote(self.task, self.options, self.threads) for _ in range(n)]
        queue = deque(items)
        inflight: dict = {}  # ObjectRef -> (actor index, item)
        # Per actor, what it holds in submission order: an actor runs its calls one at a time in that order,
        # so when it dies the first is the file it died on and the others never started.
        held: list[deque] = [deque() for _ in range(n)]
        try:
            while queue or inflight:
                for i, actor in enumerate(self.actors):
                    while queue and len(held[i]) < DEPTH:
                        item = queue.popleft()
                        ref = actor.run.remote(item[1], item[2])
                        inflight[ref] = (i, item)
                        held[i].append((ref, item))
                done, _ = ray.wait(list(inflight), num_returns=1)
                for ref in done:
                    if ref not in inflight:
                        continue  # a dead actor's call, settled with the others it held
                    i, item = inflight.pop(ref)
                    try:
                        rec = ray.get(ref)
                        held[i] = deque(x for x in held[i] if x[0] != ref)
                    except ray.exceptions.RayActorError as err:
                        if "__init__" in str(err) or not _ever_ran(err):
                            raise _fatal(err) from None
                        # The file it died on gets the error record; the rest go back to the queue, first.
                        item = held[i][0][1]
                        for other, _ in held[i]:
                            inflight.pop(other, None)
                        queue.extendleft(reversed([x for _, x in list(held[i])[1:]]))
                        held[i].clear()
                        rec = crash_record(item, "Ray worker died while processing this file")
                        self.actors[i] = cls.remote(self.task, self.options, self.threads)
                    except ray.exceptions.RayTaskError as err:
                        held[i] = deque(x for x in held[i] if x[0] != ref)
                        rec = crash_record(item, f"Ray task failed: {str(err).splitlines()[0]}")
                    on_record(item[0], rec)
            self.stats = ray.get([a.stats.remote() for a in self.actors])
        finally:
            self.close()

    def close(self) -> None:
        for a in self.actors:
            try:
                self.ray.kill(a)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self.actors = []
        if self.started:
            self.started = False
            self.ray.shutdown()


def _ever_ran(err) -> bool:
    return "creation task" not in str(err)


def _fatal(err):
    from .local import FatalWorkerError

    text = " ".join(str(err).split())
    return FatalWorkerError({"type": "internal", "message": f"Ray workers could not start: {text[:300]}"}, 1)
