"""Embeddings and features on disk, so a second task or question on the same file decodes nothing.

An entry is one safetensors file (arrays + string metadata; never pickle) under
``<cache root>/<kind>/<key[:2]>/<key>.safetensors``. The key hashes the file's identity, the model's
fingerprint and the sampling, so a changed file, another backbone or other sampling is another entry.

File identity is cheap by default: size + mtime + a hash of three 1 MiB blocks (start, middle, end), so a
4 GB file is not read twice. ``VIDMM_FULL_HASH=1`` hashes the whole file instead.

Writes go to a temp file in the same folder, then ``os.replace``: a killed writer leaves at worst a
stray temp file (swept later), never a torn entry, and concurrent writers of one entry both write whole
files. Each entry carries a checksum of its arrays and metadata (``checksum``), verified on every read: an
entry damaged on disk, even behind a valid header, is dropped and rebuilt, never served. A cache folder that
cannot be written (``VIDMM_CACHE`` naming a file, a read-only disk) is said once on stderr and the run goes
on without the cache. Past the size cap (``VIDMM_CACHE_MAX_MB``, default 2048)
the least recently used entries go first (checked on a cache's first write, whenever its writes could
pass the cap, and every ``SCAN_EVERY`` writes; see there).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .fileio import atomic_write_bytes, is_temp, sha256_file

_BLOCK = 1 << 20
DEFAULT_MAX_MB = 2048
#: The folder is scanned for eviction on a cache's first write, when its own writes since the last scan
#: could pass the cap, and at least every this many writes (other processes write too). A scan per write
#: made a long batch quadratic: 93 ms per write at 1,000 entries, 135 ms at 3,000 (measured on the 2-core box).
SCAN_EVERY = 256


def default_root() -> Path:
    """vidmm's cache folder: env VIDMM_CACHE (``~`` expanded), else the platform's user cache dir."""
    env = os.environ.get("VIDMM_CACHE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("vidmm"))


def file_identity(path: str | os.PathLike, full: bool | None = None) -> str:
    """A hex digest naming the file's content (see module doc for what is read)."""
    full = os.environ.get("VIDMM_FULL_HASH") == "1" if full is None else full
    if full:
        return "f" + sha256_file(path)[:31]
    st = os.stat(path)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
        for offset in sorted({0, max(st.st_size // 2 - _BLOCK // 2, 0), max(st.st_size - _BLOCK, 0)}):
            f.seek(offset)
            h.update(f.read(_BLOCK))
    return "s" + h.hexdigest()[:31]


@contextlib.contextmanager
def file_lock(path: str | os.PathLike):
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` body.

    For work that every process would otherwise repeat at the same moment (label and class embeddings
    when N batch workers start on a cold cache): the first computes and writes it, the others wait and
    then read it. Without ``fcntl`` (Windows) or in a read-only folder there is no lock: at worst the
    work is done twice, as before."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        fcntl = None
    fd = None
    if fcntl is not None:
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            if fd is not None:
                os.close(fd)
            fd = None
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)  # releases the lock


def checksum(arrays: dict[str, np.ndarray], meta_json: str) -> str:
    """BLAKE2b of an entry's arrays (name, dtype, shape, bytes, in name order) and metadata text."""
    h = hashlib.blake2b(digest_size=16)
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}\x1f{a.dtype.str}\x1f{a.shape}\x1f".encode())
        h.update(a.data)
    h.update(meta_json.encode())
    return h.hexdigest()


_warned_unwritable: set[str] = set()


def _warn_unwritable(root: Path, err: OSError) -> None:
    """Say once per process and folder that the cache is off (a warning, not an error: results do not need it)."""
    import sys

    if str(root) in _warned_unwritable:
        return
    _warned_unwritable.add(str(root))
    print(f"vidmm: warning: cache folder {root} cannot be written ({err.strerror or err}): running without "
          "the cache (set VIDMM_CACHE to a writable folder)", file=sys.stderr, flush=True)


def make_key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]


@dataclass
class CacheInfo:
    root: str
    entries: int
    bytes: int
    max_bytes: int

    def to_dict(self) -> dict:
        return {"root": self.root, "entries": self.entries, "bytes": self.bytes, "max_bytes": self.max_bytes}


class Cache:
    """A folder of safetensors entries. ``Cache(enabled=False)`` stores nothing and finds nothing."""

    def __init__(self, root: str | os.PathLike | None = None, max_mb: float | None = None, enabled: bool = True):
        self.root = Path(root) if root is not None else default_root()
        if max_mb is None:
            max_mb = float(os.environ.get("VIDMM_CACHE_MAX_MB", DEFAULT_MAX_MB))
        self.max_bytes = int(max_mb * (1 << 20))
        self.enabled = enabled
        self.hits = 0
        self.misses = 0
        self._scanned_bytes: int | None = None  # the folder's size at the last scan
        self._writes_since, self._bytes_since = 0, 0

    def _path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / f"{key}.safetensors"

    def get(self, kind: str, key: str) -> tuple[dict[str, np.ndarray], dict] | None:
        """(arrays, metadata) or None. A damaged entry is removed and reported as a miss."""
        if not self.enabled:
            return None
        path = self._path(kind, key)
        if not path.exists():
            self.misses += 1
            return None
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="numpy") as f:
                header = f.metadata() or {}
                meta_json = header.get("vidmm", "{}")
                arrays = {name: f.get_tensor(name) for name in f.keys()}
            if header.get("checksum") != checksum(arrays, meta_json):
                raise ValueError("checksum mismatch")
            meta = json.loads(meta_json)
        except Exception:  # noqa: BLE001 - any damage means: rebuild
            with contextlib.suppress(OSError):
                path.unlink()
            self.misses += 1
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: evicted last
        self.hits += 1
        return arrays, meta

    def lock(self, kind: str, key: str):
        """``with cache.lock(kind, key):`` one process at a time builds this entry (see ``file_lock``)."""
        if not self.enabled:
            return contextlib.nullcontext()
        return file_lock(self._path(kind, key).with_name(f".lock-{key}"))

    def put(self, kind: str, key: str, arrays: dict[str, np.ndarray], meta: dict | None = None) -> None:
        if not self.enabled:
            return
        from safetensors.numpy import save

        path = self._path(kind, key)
        arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
        meta_json = json.dumps(meta or {})
        data = save(arrays, metadata={"vidmm": meta_json, "checksum": checksum(arrays, meta_json)})
        try:
            atomic_write_bytes(path, data, durable=False)  # a damaged entry is rebuilt: no fsync per entry
        except OSError as err:
            self.enabled = False
            _warn_unwritable(self.root, err)
            return
        self._writes_since += 1
        self._bytes_since += len(data)
        if (self._scanned_bytes is None or self._writes_since >= SCAN_EVERY
                or self._scanned_bytes + self._bytes_since > self.max_bytes):
            self.evict()

    def _entries(self) -> list[tuple[float, int, Path]]:
        out = []
        if not self.root.exists():
            return out
        for p in self.root.rglob("*"):
            if not p.is_file():
                continue
            try:
                st = p.stat()
            except OSError:
                continue
            if is_temp(p.name) and time.time() - st.st_mtime > 3600:
                with contextlib.suppress(OSError):
                    p.unlink()  # a writer killed long ago left this
                continue
            if p.suffix == ".safetensors":
                out.append((st.st_mtime, st.st_size, p))
        return out

    def evict(self) -> int:
        """Remove least recently used entries until the cache fits its cap. Returns entries removed."""
        entries = self._entries()
        total = sum(size for _, size, _ in entries)
        removed = 0
        for _, size, p in sorted(entries):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                p.unlink()
                total -= size
                removed += 1
        self._scanned_bytes, self._writes_since, self._bytes_since = total, 0, 0
        return removed

    def info(self) -> CacheInfo:
        entries = self._entries()
        return CacheInfo(str(self.root), len(entries), sum(s for _, s, _ in entries), self.max_bytes)

    def clear(self) -> int:
        entries = self._entries()
        for _, _, p in entries:
            with contextlib.suppress(OSError):
                p.unlink()
        return len(entries)
