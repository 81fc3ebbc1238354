"""The durable result log: one JSON record per line, appended, flushed and fsync'd as each file finishes.

Only the parent process writes it (one writer; an exclusive ``flock`` keeps a second ``vidmm batch`` on
the same file out). A record is one ``os.write`` of a whole line ending in a newline, so after a crash
(``kill -9``, power loss) at worst the *last* line lacks its newline or is cut short. Opening the log
detects that torn tail and truncates it away; its file is then simply redone. A damaged line elsewhere
(disk trouble, a hand edit) is dropped by rewriting the log to a temp file and ``os.replace``.

Each record carries ``identity`` (the file's content identity, vidmm.cache.file_identity), ``task`` and
``options_hash``; together (or the absolute path, for a file that could not be read) they are its key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import UsageError
from ..fileio import atomic_write_text, fsync_dir


def options_hash(task, opts) -> str:
    """The hash of the options that change ``task``'s result (`Task.hashed`): with the task and the file's
    identity, the key under which ``--resume`` finds a finished record."""
    import hashlib

    doc = json.dumps({"task": task.name, **task.hashed(opts)}, sort_keys=True, default=str)
    return hashlib.sha256(doc.encode()).hexdigest()[:16]


def record_key(rec: dict) -> tuple[str, str, str]:
    ident = rec.get("identity") or "path:" + os.path.abspath(str(rec.get("file")))
    return ident, str(rec.get("task")), str(rec.get("options_hash"))


class ResultLog:
    """Open with ``ResultLog(path)``: repairs the tail, loads the records, holds the write lock."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.torn = 0  # torn or damaged lines removed when opening
        self.records: list[dict] = []
        self._fd: int | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        existed = self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        if not existed:
            fsync_dir(self.path.parent)
        import fcntl

        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._fd)
            self._fd = None
            raise UsageError(f"another vidmm batch is writing {self.path}",
                             hint="wait for it to finish, or pass another --out") from None
        self._load()

    def _load(self) -> None:
        with open(self.path, "rb") as f:
            data = f.read()
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a torn last line: cut it away (its file is redone)
            os.ftruncate(self._fd, end)
            os.fsync(self._fd)
            self.torn += 1
            data = data[:end]
        good: list[bytes] = []
        bad = 0
        for line in data.splitlines():
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise ValueError("not an object")
            except ValueError:
                bad += 1
                continue
            good.append(line)
            self.records.append(rec)
        if bad:
            self.torn += bad
            self._rewrite(good)

    def _rewrite(self, lines: list[bytes]) -> None:
        """Replace the log by these lines (atomically); the lock moves to the new file."""
        atomic_write_text(self.path, "".join(line.decode("utf-8") + "\n" for line in lines))
        import fcntl

        new = os.open(self.path, os.O_RDWR | os.O_APPEND)
        fcntl.flock(new, fcntl.LOCK_EX)
        os.close(self._fd)
        self._fd = new

    def drop(self, predicate) -> int:
        """Remove the records ``predicate`` selects (``--retry-failed``), atomically. Returns how many."""
        keep = [r for r in self.records if not predicate(r)]
        n = len(self.records) - len(keep)
        if n:
            self.records = keep
            self._rewrite([json.dumps(r, ensure_ascii=False).encode("utf-8") for r in keep])
        return n

    def append(self, rec: dict) -> None:
        data = (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        os.fsync(self._fd)
        self.records.append(rec)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock
            self._fd = None

    def __enter__(self) -> ResultLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
