"""One worker: models loaded once, then file after file -> record. Used by worker processes and Ray actors.

A worker never writes the output; it returns records (plain JSON-able dicts) to the parent.
"""

from __future__ import annotations

import os
import time

from .log import options_hash


def limit_threads(threads: int) -> None:
    """Call first thing in a fresh worker process, before torch/numpy/onnxruntime start their pools."""
    from ..threads import limit

    limit(threads)


def set_torch_threads(threads: int) -> None:
    """Torch's intra-op pool to ``threads``, through the backbone's once-per-process setter (so the
    backbone does not later reset it to every core), and one inter-op thread."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return
    from ..models.backbones.base import set_torch_threads as set_once

    set_once(max(1, int(threads)))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set in this process
        pass


def error_record(path: str, task: str, opts_hash: str, identity: str | None, err: BaseException) -> dict:
    from .. import __version__
    from ..errors import VidmmError

    if isinstance(err, VidmmError):
        if err.path is None:
            err.path = path
        error = err.to_dict()
    else:
        error = {"type": "internal", "message": " ".join(f"{path}: {type(err).__name__}: {err}".split())}
    return {"vidmm": __version__, "task": task, "file": path, "identity": identity, "options_hash": opts_hash,
            "error": error}


def identity_of(path: str) -> str | None:
    """The file's content identity, or None when it cannot be read (the record is then keyed by path)."""
    from ..cache import file_identity

    try:
        if not os.path.isfile(path):
            return None
        return file_identity(path)
    except OSError:
        return None


class Worker:
    """Holds the Extractor and the task's models; ``run(path)`` never raises for a bad file.

    ``options`` is the task's options as a plain dict (it crosses process boundaries); the task's Options
    dataclass is built from it, checked, here."""

    def __init__(self, task: str, options: dict, threads: int = 1, extractor=None):
        from ..cache import Cache
        from ..features import Extractor
        from ..tasks.registry import get_task

        self.task = get_task(task)
        if self.task.uses_backbone:
            set_torch_threads(threads)
        self.opts = self.task.options(options)
        self.hash = options_hash(self.task, self.opts)
        self.extractor = extractor or Extractor(backbone=getattr(self.opts, "backbone", None),
                                                cache=Cache(enabled=not self.opts.no_cache),
                                                max_frames=int(getattr(self.opts, "max_frames", 32) or 32))
        self.state = self.task.load(self.extractor, self.opts)
        self.pid = os.getpid()

    def prefetch(self, path: str) -> None:
        try:
            self.task.prefetch(path, self.extractor)
        except Exception:  # noqa: BLE001 - run() meets the same problem and records it
            pass

    def run(self, path: str, identity: str | None = None) -> dict:
        identity = identity if identity is not None else identity_of(path)
        start = time.perf_counter()
        try:
            self.task.require(path, self.extractor)
            rec = self.task.execute(path, self.extractor, self.state, self.opts).to_dict()
        except KeyboardInterrupt:
            raise
        except Exception as err:  # noqa: BLE001 - one bad file never stops a batch
            return error_record(path, self.task.name, self.hash, identity, err)
        rec = dict(rec)
        rec["file"] = path
        rec["identity"] = identity
        rec["options_hash"] = self.hash
        rec.setdefault("elapsed_s", round(time.perf_counter() - start, 4))
        return rec

    def stats(self) -> dict:
        import resource
        import sys

        c = self.extractor.cache
        torch = sys.modules.get("torch")
        return {"pid": self.pid, "decoded_frames": self.extractor.decoded_frames, "cache_hits": c.hits,
                "cache_misses": c.misses,
                "torch_threads": torch.get_num_threads() if torch is not None else None,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
