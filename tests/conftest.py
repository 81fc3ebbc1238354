"""Shared test fixtures: where the real media and models are, a private cache, generated clips.

Real media and models come from ../shared (or VIDMM_MEDIA / VIDMM_MODELS). Generated clips are encoded
with PyAV into a temp folder once per session: rotated phone video, variable frame rate, odd sizes,
10-bit, interlaced, B-frames, very short clips, and the bad-input corpus.
"""

from __future__ import annotations

import csv
import os
import shutil
import struct
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
MEDIA = Path(os.environ.get("VIDMM_MEDIA", REPO.parent / "shared" / "media"))
MODELS = Path(os.environ.get("VIDMM_MODELS", REPO.parent / "shared" / "models"))
os.environ.setdefault("VIDMM_MODELS", str(MODELS))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def pytest_configure(config):
    if not MEDIA.is_dir():
        raise pytest.UsageError(f"real media not found at {MEDIA}: set VIDMM_MEDIA")


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Every test session gets its own vidmm cache, so results never come from a developer's cache."""
    root = tmp_path_factory.mktemp("vidmm-cache")
    old = os.environ.get("VIDMM_CACHE")
    os.environ["VIDMM_CACHE"] = str(root)
    yield root
    if old is None:
        os.environ.pop("VIDMM_CACHE", None)
    else:
        os.environ["VIDMM_CACHE"] = old


def manifest() -> list[dict]:
    with open(MEDIA / "MANIFEST.tsv", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def media(name: str) -> str:
    return str(MEDIA / name)


def cli(*args):
    """``vidmm -q ARGS...`` through Typer's test runner (stdout and stderr apart)."""
    from typer.testing import CliRunner

    from vidmm._cli.app import build_app

    return CliRunner().invoke(build_app(), ["-q", *map(str, args)])


def cli_json(*args) -> dict:
    """The JSON document of ``vidmm -q ARGS... --json``, which must succeed."""
    import json

    r = cli(*args, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


# -- generated clips ---------------------------------------------------------------------------------
def _pattern(i: int, w: int, h: int) -> np.ndarray:
    """A frame that differs clearly from its neighbours: moving bars plus a brightness ramp."""
    x = np.arange(w)[None, :, None]
    y = np.arange(h)[:, None, None]
    img = ((x * 3 + y * 2 + i * 17) % 256).astype(np.uint8)
    img = np.repeat(img, 3, axis=2)
    img[..., 0] = (img[..., 0].astype(int) + i * 40) % 256
    return np.ascontiguousarray(img)


def make_clip(
    path: Path,
    w: int = 320,
    h: int = 180,
    n: int = 48,
    fps: int = 24,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    pts: list[int] | None = None,
    time_base: Fraction | None = None,
    options: dict | None = None,
    audio_s: float = 0.0,
    audio: np.ndarray | None = None,
) -> Path:
    """A clip of ``n`` patterned frames; with ``audio_s`` a 220 Hz tone of that length as its sound, or
    ``audio`` (16 kHz mono samples) as it."""
    import av

    if audio is not None:
        audio_s = len(audio) / 16000

    with av.open(str(path), "w") as out:
        vs = out.add_stream(codec, rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, pix_fmt
        if options:
            vs.options = options
        if time_base is not None:
            vs.time_base = time_base
        as_ = None
        if audio_s:
            as_ = out.add_stream("aac", rate=16000)
            as_.layout = "mono"
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(_pattern(i, w, h), format="rgb24")
            if pts is not None:
                frame.pts = pts[i]
                frame.time_base = time_base
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
        if as_ is not None:
            t = np.arange(int(audio_s * 16000)) / 16000
            samples = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)[None, :] if audio is None else \
                np.asarray(audio, np.float32)[None, :]
            for start in range(0, samples.shape[1], 1024):
                af = av.AudioFrame.from_ndarray(samples[:, start:start + 1024], format="flt", layout="mono")
                af.sample_rate = 16000
                af.pts = start
                for packet in as_.encode(af):
                    out.mux(packet)
            for packet in as_.encode():
                out.mux(packet)
    return path


def rotate_mp4(path: Path, degrees: int) -> Path:
    """Set the track header's display matrix, as phones do for portrait video."""
    data = bytearray(path.read_bytes())
    i = data.find(b"tkhd")
    # After "tkhd": version+flags (4), times/track id/duration (20 in version 0, 32 in version 1),
    # 8 reserved, layer/alternate group/volume/reserved (8), then the 3x3 matrix (36).
    times = 20 if data[i + 4] == 0 else 32
    matrix_at = i + 4 + 4 + times + 8 + 8
    one, w = 0x00010000, 0x40000000
    mats = {  # QuickTime matrices for a clockwise display rotation
        90: (0, one, 0, -one, 0, 0, 0, 0, w),
        180: (-one, 0, 0, 0, -one, 0, 0, 0, w),
        270: (0, -one, 0, one, 0, 0, 0, 0, w),
    }
    data[matrix_at:matrix_at + 36] = struct.pack(">9i", *mats[degrees])
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    out = {
        "plain": make_clip(d / "plain.mp4", n=72, audio_s=3.0),
        "bframes": make_clip(d / "bframes.mp4", n=72, options={"bf": "3", "g": "24"}),
        "odd": make_clip(d / "odd.mp4", w=321, h=179, pix_fmt="yuv444p"),
        "tenbit": make_clip(d / "tenbit.mp4", codec="libx265", pix_fmt="yuv420p10le",
                            options={"x265-params": "log-level=error"}),
        "short": make_clip(d / "short.mp4", n=3),
        "interlaced": make_clip(d / "interlaced.mp4", n=24, options={"flags": "+ildct+ilme"}),
    }
    # Variable frame rate: gaps of 1, 2 and 3 ticks of 1/24 s.
    ticks = np.cumsum([0] + [1 + (i % 3) for i in range(47)]).tolist()
    out["vfr"] = make_clip(d / "vfr.mp4", n=48, pts=ticks, time_base=Fraction(1, 24))
    out["upright"] = make_clip(d / "upright.mp4", w=320, h=180, n=24)
    # The same stream as "upright" with only the display matrix changed: two encodes of one pattern are not
    # byte-identical (x264's threads), and a test comparing their pixels failed now and then (diff 1.6-2.9).
    shutil.copyfile(out["upright"], d / "rotated.mp4")
    out["rotated"] = rotate_mp4(d / "rotated.mp4", 90)
    return out


@pytest.fixture(scope="session")
def bad_inputs(tmp_path_factory, clips) -> dict[str, Path]:
    """The bad-input corpus: each entry must fail with one clear line and a non-zero exit code."""
    d = tmp_path_factory.mktemp("bad inputs ünï")
    real = Path(media("skateboarding_dog.mp4"))
    out = {}
    out["empty"] = d / "empty.mp4"
    out["empty"].write_bytes(b"")
    out["text"] = d / "notes.mp4"
    out["text"].write_text("this is not a video\n" * 50)
    data = real.read_bytes()
    out["truncated"] = d / "truncated.mp4"
    out["truncated"].write_bytes(data[: int(len(data) * 0.3)])
    out["audio_only"] = Path(media("whisper_jfk.flac"))
    out["image"] = Path(media("faceapi_happy.jpg"))
    out["directory"] = d / "a folder"
    out["directory"].mkdir()
    out["missing"] = d / "does not exist.mp4"
    out["unreadable"] = d / "locked.mp4"
    shutil.copy(clips["plain"], out["unreadable"])
    os.chmod(out["unreadable"], 0)
    return out
