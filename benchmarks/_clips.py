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


def photo_clip(path: Path, stills: list[tuple[str | None, float]], width: int = 1280, height: int = 720,
               fps: int = 25, zoom: tuple[float, float] = (0.9, 1.0), pan: float = 0.06) -> Path:
    """An H.264 clip showing photos in turn: ``stills`` is (photo path or None for a blank grey stretch,
    seconds). Each photo is fitted to the frame's height times ``zoom`` (from the first value to the
    second over its stretch) and slides sideways by ``pan`` of the frame's width: a slow pan and zoom, so
    no two frames are the same. Made with PyAV at test or benchmark time (nothing is committed)."""
    from fractions import Fraction

    import av
    import numpy as np
    from PIL import Image, ImageOps

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "veryfast", "crf": "20", "g": str(2 * fps)}
        vs.codec_context.time_base = Fraction(1, fps)
        i = 0
        for photo, seconds in stills:
            img = None if photo is None else ImageOps.exif_transpose(Image.open(photo)).convert("RGB")
            n = max(1, round(seconds * fps))
            for k in range(n):
                canvas = np.full((height, width, 3), 48, np.uint8)
                if img is not None:
                    u = k / max(n - 1, 1)
                    scale = height * (zoom[0] + (zoom[1] - zoom[0]) * u) / img.height
                    w, h = max(1, round(img.width * scale)), max(1, round(img.height * scale))
                    pic = np.asarray(img.resize((w, h), Image.BILINEAR))
                    x0 = round((width - w) / 2 + pan * width * (u - 0.5))
                    y0 = round((height - h) / 2)
                    xs, ys = max(0, x0), max(0, y0)
                    xe, ye = min(width, x0 + w), min(height, y0 + h)
                    canvas[ys:ye, xs:xe] = pic[ys - y0:ye - y0, xs - x0:xe - x0]
                frame = av.VideoFrame.from_ndarray(canvas, format="rgb24")
                frame.pts, frame.time_base = i, Fraction(1, fps)
                i += 1
                for p in vs.encode(frame):
                    out.mux(p)
        for p in vs.encode():
            out.mux(p)
    return path


def overlay_clip(path: Path, source: str, seconds: float, lines, width: int = 1280, height: int = 720,
                 fps: int = 25, size: float = 0.05) -> Path:
    """An H.264 clip of a real clip (``source`` in MEDIA, looped, scaled) with text burned in, as
    broadcasters and cameras burn it: white type with a black outline, ``size`` of the frame's height.
    ``lines`` maps a time in seconds to the texts on screen then, as (text, x, y) with x, y the share of
    the frame where the line's centre sits; e.g. a clock is a new text every second. Pillow's own scalable
    font is used, so no system font is needed. Made at test or benchmark time (nothing is committed)."""
    from fractions import Fraction

    import av
    import numpy as np
    from PIL import ImageDraw, ImageFont

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    font = ImageFont.load_default(size=max(8, round(size * height)))
    with av.open(str(MEDIA / source)) as inp:
        frames = [f.to_image().resize((width, height)) for f in inp.decode(video=0)]
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "veryfast", "crf": "20", "g": str(2 * fps)}
        vs.codec_context.time_base = Fraction(1, fps)
        for i in range(round(seconds * fps)):
            img = frames[i % len(frames)].copy()
            draw = ImageDraw.Draw(img)
            for text, x, y in lines(i / fps):
                draw.text((x * width, y * height), text, font=font, fill="white", anchor="mm",
                          stroke_width=max(1, round(size * height / 12)), stroke_fill="black")
            frame = av.VideoFrame.from_ndarray(np.asarray(img), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for p in vs.encode(frame):
                out.mux(p)
        for p in vs.encode():
            out.mux(p)
    return path
