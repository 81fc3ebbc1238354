"""The model-file registry: where vidmm's small model files live, fetching them, and what ``models list`` shows.

The table itself (which files each model has, their sha256, license and pinned upstream URL) is data, in
model_table.py; fetching and rebuilding files is model_fetch.py. This module answers the questions callers
ask: where is a model's file, is it intact, pull it, list everything.

Where files are looked for, in order:
1. the ``models_dir`` argument (``--models-dir``), else the ``VIDMM_MODELS`` environment variable;
2. the user data folder, ``platformdirs.user_data_dir("vidmm")/models``.

Models that ship inside PyPI packages (EfficientNet-Lite0, all-MiniLM-L6-v2, Whisper tiny.en) are
listed too, and so are those split over several packages (Whisper base), which are joined once into the
first writable folder above (``joined_folder``: a folder whose permission bits say read-only, such as a
shared models folder, is only read); and so are the named backbones (``vidmm.models.backbones.listing_rows``), so ``vidmm models
list`` shows everything; other registries (trained heads, cached Whisper models) add their rows through
:func:`add_listing_provider`, or a module named in ``LISTING_MODULES`` defines ``listing_rows``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from vidmm.errors import ModelFileError, ModelMissingError, UsageError
from vidmm.fileio import folder_size, sha256_file
from vidmm.models.model_fetch import CONVERTERS, fetch_files, join_files, joined_present
from vidmm.models.model_table import (
    ENV_VAR,
    JOINED,
    MODELS,
    PACKAGED,
    RAW_BASE,
    JoinedModel,
    ModelFile,
    ModelRow,
    ModelSpec,
    PackagedModel,
    Upstream,
)

#: The old name of fileio.sha256_file, kept for callers of the registry.
sha256_of = sha256_file

_listing_providers: list[Callable[[], Iterable[ModelRow]]] = []
# Modules asked for rows by convention, without registering (a plugin's registry): each may define
# ``listing_rows() -> Iterable[ModelRow]``. Imported only by list_models; their rows come last.
LISTING_MODULES: tuple[str, ...] = ()


def add_listing_provider(provider: Callable[[], Iterable[ModelRow]]) -> None:
    """Let another registry (trained heads, cached Whisper models) add its rows to ``list_models()``."""
    if provider not in _listing_providers:
        _listing_providers.append(provider)


def register(spec: ModelSpec) -> None:
    """Add a file model to the table (plugins, tests)."""
    MODELS[spec.name] = spec


# ---------------------------------------------------------------------------------------------
# Where files live


def user_models_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("vidmm")) / "models"


def search_dirs(models_dir: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched for model files, first match wins."""
    first = models_dir if models_dir is not None else os.environ.get(ENV_VAR) or None
    dirs = [Path(first).expanduser()] if first is not None else []
    dirs.append(user_models_dir())
    return dirs


def default_dest(models_dir: str | os.PathLike | None = None) -> Path:
    """Where ``pull`` writes: the explicit folder or VIDMM_MODELS, else the user data folder."""
    return search_dirs(models_dir)[0]


def writable_dir(path: Path) -> bool:
    """vidmm may write model files into ``path``: it (or the nearest folder above it that exists) is
    writable, and its permission bits do not mark it read-only (root may write anywhere; a shared, read-only
    models folder is still left alone)."""
    probe = Path(path).expanduser()
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        return probe.is_dir() and os.access(probe, os.W_OK) and bool(probe.stat().st_mode & 0o222)
    except OSError:
        return False


def spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(sorted(names()))
        raise UsageError(f"unknown model {name!r}", hint=f"known models: {known}") from None


def _hint(name: str) -> str:
    return f"run `vidmm models pull {name}` or set {ENV_VAR}=DIR"


def _root_with(s: ModelSpec, models_dir) -> Path | None:
    for root in search_dirs(models_dir):
        if all((root / f.relpath).is_file() for f in s.files if f.required):
            return root
    return None


def model_path(name: str, models_dir: str | os.PathLike | None = None) -> Path:
    """Path of the model's main file (its folder holds the others); ModelMissingError if absent."""
    if name in JOINED:
        return joined_folder(name, models_dir, join=False) / JOINED[name].joined
    s = spec(name)
    root = _root_with(s, models_dir)
    if root is None:
        where = ", ".join(str(d) for d in search_dirs(models_dir))
        raise ModelMissingError(f"model {name!r} not found (looked in {where})", hint=_hint(name))
    return root / s.main


def model_file(name: str, filename: str, models_dir: str | os.PathLike | None = None) -> Path:
    """Path of one named file of a model (e.g. the class map), from the same folder as the main file."""
    s = spec(name)
    f = s.file(filename)
    if f.required:
        model_path(name, models_dir)  # raises with the hint when absent
        return _root_with(s, models_dir) / f.relpath
    for root in search_dirs(models_dir):
        if (root / f.relpath).is_file():
            return root / f.relpath
    raise ModelMissingError(f"model file {f.relpath!r} not found", hint=_hint(name))


def verify(name: str, models_dir: str | os.PathLike | None = None) -> dict[str, str]:
    """Check every present file of a model against its sha256.

    Returns {relpath: "ok" | "missing" | "rebuilt"} ("rebuilt": a non-reproducible export with other
    bytes); raises ModelMissingError if a required file is absent, ModelFileError if one is damaged.
    """
    if name in JOINED:  # the joined file has a sha256; the copies are checked by presence
        m = JOINED[name]
        path = model_path(name, models_dir)
        if sha256_file(path) != m.sha256:
            raise ModelFileError(f"checksum mismatch for {m.main}", path=str(path),
                                 hint=f"delete {path.parent} and run `vidmm models pull {name}`")
        return {m.main: "ok", **{f"{m.folder}/{Path(f.inner).name}": "ok" for f in m.copies}}
    s = spec(name)
    model_path(name, models_dir)  # raises with the hint when absent
    root = _root_with(s, models_dir)
    status = {}
    for f in s.files:
        p = root / f.relpath
        if not p.is_file():
            status[f.relpath] = "missing"
            continue
        if sha256_file(p) == f.sha256:
            status[f.relpath] = "ok"
        elif not f.reproducible:
            status[f.relpath] = "rebuilt"
        else:
            raise ModelFileError(f"checksum mismatch for {f.relpath}", path=str(p),
                                 hint=f"delete it and run `vidmm models pull {name}`")
    return status


# ---------------------------------------------------------------------------------------------
# Fetching (model_fetch.py does the work)


def pull(name: str, dest: str | os.PathLike | None = None, base_url: str | None = None,
         models_dir: str | os.PathLike | None = None,
         on_file: Callable[[str, str], None] | None = None) -> Path:
    """Fetch a model's files into ``dest`` and check each sha256; returns the main file's path.

    Upstream files are downloaded (``base_url`` replaces https://raw.githubusercontent.com, so a mirror
    laid out as OWNER/REPO/COMMIT/PATH works); derived files are rebuilt from them. Everything is first
    written to a staging folder inside ``dest``, checked, then moved into place (fileio.replace_file), so a
    refused or failed download leaves nothing behind. Files already present with the right hash are kept.
    ``on_file(relpath, status)`` reports "present", "downloaded" or "built".
    """
    if name in JOINED:  # nothing to download: joined from the installed packages
        if dest is not None:
            return join_files(JOINED[name], Path(dest).expanduser(), on_file) / JOINED[name].joined
        return joined_folder(name, models_dir, on_file=on_file) / JOINED[name].joined
    dest = Path(dest).expanduser() if dest is not None else default_dest(models_dir)
    fetch_files(spec(name), dest, base_url, on_file)
    return model_path(name, dest)


def joined_folder(name: str, models_dir: str | os.PathLike | None = None, join: bool = True,
                  on_file: Callable[[str, str], None] | None = None) -> Path:
    """The folder of a model joined from PyPI packages (model_table.JOINED), found in the search folders, or,
    with ``join``, built now in the first writable one (model_fetch.join_files). Without ``join`` a missing
    folder is ModelMissingError; a missing package is ModelMissingError with the pip command either way."""
    m: JoinedModel = JOINED[name]
    dirs = search_dirs(models_dir)
    for root in dirs:
        if joined_present(m, root):
            if on_file is not None:
                on_file(m.main, "present")
            return root / m.folder
    if not join:
        raise ModelMissingError(f"model {name!r} is not joined yet (looked in {', '.join(map(str, dirs))})",
                                hint=f"run `vidmm models pull {name}` (it joins the installed packages "
                                     f"{' + '.join(m.packages)}; nothing is downloaded)")
    dest = next((d for d in dirs if writable_dir(d)), None)
    if dest is None:
        raise ModelFileError(f"no writable folder to join {name} into (looked at {', '.join(map(str, dirs))})",
                             hint=f"set {ENV_VAR}=DIR to a writable folder")
    return join_files(m, dest, on_file)


# ---------------------------------------------------------------------------------------------
# Listing


def _packaged_path(m: PackagedModel) -> Path | None:
    try:
        found = importlib.util.find_spec(m.module)
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    p = Path(list(found.submodule_search_locations)[0]) / m.inner
    return p if p.exists() else None


def packaged_path(name: str) -> Path:
    """Path of a PyPI-shipped model's file or folder; ModelMissingError with the pip command if absent."""
    m = PACKAGED[name]
    p = _packaged_path(m)
    if p is None:
        raise ModelMissingError(f"model {name!r} is not installed", hint=f"pip install {m.package}")
    return p


def list_models(models_dir: str | os.PathLike | None = None) -> list[ModelRow]:
    """Every model vidmm knows: files of this registry, PyPI-shipped ones, the backbones, then other
    providers' rows (registered ones, then LISTING_MODULES')."""
    from .backbones import listing_rows as backbone_rows

    rows = []
    for s in MODELS.values():
        root = _root_with(s, models_dir)
        rows.append(ModelRow(s.name, s.task, root is not None, s.size, s.license,
                             str(root / s.main) if root is not None else None, "file"))
    for m in PACKAGED.values():
        p = _packaged_path(m)
        rows.append(ModelRow(m.name, m.task, p is not None, folder_size(p) if p is not None else None,
                             m.license, str(p) if p is not None else None, f"pypi:{m.package}"))
    for j in JOINED.values():
        rows.append(_joined_row(j, models_dir))
    rows += backbone_rows()
    providers = list(_listing_providers)
    for module in LISTING_MODULES:
        try:
            fn = getattr(importlib.import_module(module), "listing_rows", None)
        except ImportError:
            fn = None
        if callable(fn) and fn not in providers:
            providers.append(fn)
    known = {r.name for r in rows}
    for provider in providers:
        for row in provider():
            if row.name not in known:
                rows.append(row)
                known.add(row.name)
    return rows


def _joined_row(m: JoinedModel, models_dir) -> ModelRow:
    from vidmm.models.model_fetch import package_file

    folder = next((root / m.folder for root in search_dirs(models_dir) if joined_present(m, root)), None)
    note = None
    if folder is None:
        try:
            for f in m.parts:
                package_file(f, m.packages)
            note = f"installed; joined into the models folder on first use, or now with `vidmm models pull {m.name}`"
        except ModelMissingError as err:
            note = err.one_line()
    source = "pypi:" + "+".join(m.packages)
    return ModelRow(m.name, m.task, folder is not None, folder_size(folder) if folder is not None else m.bytes,
                    m.license, str(folder / m.joined) if folder is not None else None, source, note)


def names() -> list[str]:
    """Names ``pull`` and ``path`` accept."""
    return list(MODELS) + list(PACKAGED) + list(JOINED)


__all__ = [
    "CONVERTERS", "ENV_VAR", "JOINED", "MODELS", "PACKAGED", "RAW_BASE", "JoinedModel", "ModelFile", "ModelRow",
    "ModelSpec", "PackagedModel", "Upstream",
    "add_listing_provider", "joined_folder", "list_models", "model_file", "model_path", "names", "packaged_path",
    "pull", "register", "search_dirs", "sha256_of", "spec", "verify", "writable_dir",
]
