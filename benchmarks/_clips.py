"""Long test clips for benchmarks, made from real clips in ../shared/media by scaling and looping."""

from __future__ import annotations

import os
from pathlib import Path

MEDIA = Path(os.environ.get("VIDMM_MEDIA", Path(__file__).resolve().parents[2] / "shared" / "media"))
OUT = Path(os.environ.get("VIDMM_BENCH_DIR", "/tmp/vidmm-bench"))


def looped_clip(seconds: int, width: int = 1920, height: int = 1080, source: str = "testvideo.mp4",
                fps: int = 30, gop: int = 60) -> Path:
    """An H.264 clip of ``seconds`` made by looping and scaling a real clip (cached in OUT)."""
    import av

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{Path(source).stem}_{width}x{height}_{seconds}s.mp4"
    if path.exists():
        return path
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(MEDIA / source)) as inp:
        frames = [f.reformat(width=width, height=height, format="yuv420p") for f in inp.decode(video=0)]
    with av.open(str(tmp), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "veryfast", "crf": "23", "g": str(gop)}
        from fractions import Fraction

        vs.codec_context.time_base = Fraction(1, fps)
        for i in range(seconds * fps):
            f = frames[i % len(frames)]
            f.pts, f.time_base = i, Fraction(1, fps)
            for p in vs.encode(f):
                out.mux(p)
        for p in vs.encode():
            out.mux(p)
    tmp.rename(path)
    return path
