"""A labelled set from few clips: cut each real clip into short segments, one file per time window.

The labelled media here is one clip per label, too few to train or test a head on. Different time windows
of one real clip are different (if correlated) examples of its label, so the tests, the benchmark and the
default-heads script cut each source clip into segments with PyAV (video scaled down and re-encoded, the
audio track kept when there is one). Segments of one source share the scene, so accuracy on held-out
segments is optimistic: it measures "recognises this scene again", not generalisation to new footage.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

#: Width of the cut segments (height follows the aspect, even).
WIDTH = 320
FPS = 12
AUDIO_RATE = 16000


@dataclass
class Segment:
    path: str
    label: str
    source: str
    start: float
    end: float


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def cut(source: str | Path, out_dir: str | Path, label: str, seconds: float = 2.5,
        max_segments: int | None = None) -> list[Segment]:
    """Cut ``source`` into back-to-back segments of ``seconds`` (the last partial one dropped)."""
    import av

    source = Path(source)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frames: list[tuple[float, np.ndarray]] = []
    with av.open(str(source)) as inp:
        vs = inp.streams.video[0]
        vs.thread_type = "SLICE"
        for f in inp.decode(vs):
            if f.time is None:
                continue
            h = _even(WIDTH * f.height / f.width)
            frames.append((float(f.time), f.reformat(width=WIDTH, height=h, format="rgb24").to_ndarray()))
    audio = np.zeros(0, np.float32)
    with av.open(str(source)) as inp:
        if inp.streams.audio:
            res = av.AudioResampler(format="fltp", layout="mono", rate=AUDIO_RATE)
            chunks = []
            for f in inp.decode(audio=0):
                chunks += [g.to_ndarray() for g in res.resample(f)]
            if chunks:
                audio = np.concatenate(chunks, axis=1)[0].astype(np.float32)
    has_audio = audio.size > 0
    if not frames:
        return []
    t0 = frames[0][0]
    duration = frames[-1][0] - t0
    n = int(duration // seconds)
    if max_segments is not None:
        n = min(n, max_segments)
    out = []
    for k in range(n):
        a, b = t0 + k * seconds, t0 + (k + 1) * seconds
        chosen = [img for t, img in frames if a <= t < b]
        if not chosen:
            continue
        # Resample to a fixed rate by nearest frame, so every segment has the same timing.
        times = np.arange(0, seconds, 1.0 / FPS)
        src_t = np.array([t for t, _ in frames if a <= t < b]) - a
        pick = [chosen[int(np.argmin(np.abs(src_t - t)))] for t in times]
        path = out_dir / f"{source.stem}_{k:02d}.mp4"
        _write(path, pick, audio[int((a - t0) * AUDIO_RATE): int((b - t0) * AUDIO_RATE)] if has_audio else None)
        out.append(Segment(str(path), label, source.name, a, b))
    return out


def _write(path: Path, images: list[np.ndarray], audio: np.ndarray | None) -> None:
    import av

    h, w = images[0].shape[:2]
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4", rate=FPS)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.time_base = Fraction(1, FPS)
        as_ = None
        if audio is not None and audio.size:
            as_ = out.add_stream("aac", rate=AUDIO_RATE)
            as_.layout = "mono"
        for i, img in enumerate(images):
            fr = av.VideoFrame.from_ndarray(img, format="rgb24")
            fr.pts = i
            out.mux(vs.encode(fr))
        out.mux(vs.encode(None))
        if as_ is not None:
            step = 1024
            for i in range(0, len(audio), step):
                chunk = np.ascontiguousarray(audio[i: i + step][None, :])
                af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                af.sample_rate = AUDIO_RATE
                af.pts = i
                af.time_base = Fraction(1, AUDIO_RATE)
                out.mux(as_.encode(af))
            out.mux(as_.encode(None))


def write_csv(segments: list[Segment], csv_path: str | Path, splits: dict[str, str] | None = None) -> Path:
    """``path,label[,split]`` with paths relative to the CSV's folder. ``splits`` maps a path to its split."""
    csv_path = Path(csv_path)
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "split"] if splits else ["path", "label"])
        for s in segments:
            rel = Path(s.path).resolve().relative_to(csv_path.parent.resolve()) \
                if Path(s.path).resolve().is_relative_to(csv_path.parent.resolve()) else Path(s.path)
            w.writerow([str(rel), s.label] + ([splits[s.path]] if splits else []))
    return csv_path


def labelled_set(media_dir: str | Path, out_dir: str | Path, sources: dict[str, str], seconds: float = 2.0,
                 max_segments: int | None = 6) -> tuple[Path, list[Segment]]:
    """Cut every ``sources`` clip (file name -> label) and write ``out_dir/data.csv`` with a split column:
    per source, the last segment is test, the one before it validation (when there are 4+), the rest train."""
    segs, splits = [], {}
    for name, label in sources.items():
        got = cut(Path(media_dir) / name, out_dir, label, seconds, max_segments)
        for k, s in enumerate(got):
            splits[s.path] = "test" if k == len(got) - 1 else "val" if (k == len(got) - 2 and len(got) >= 4) \
                else "train"
        segs += got
    return write_csv(segs, Path(out_dir) / "data.csv", splits), segs


#: Views made of one still: (crop share of the short side at the start, at the end, mirrored).
STILL_VIEWS = ((1.0, 0.92, False), (0.8, 0.72, False), (1.0, 0.92, True), (0.8, 0.72, True))


def still_views(image: str | Path, out_dir: str | Path, label: str, seconds: float = 1.0,
                views=STILL_VIEWS) -> list[Segment]:
    """Short clips made of one still (a labelled face photo): per view a slow centred zoom from one crop to
    a tighter one, optionally mirrored. Views of one image are near-duplicates: never split them between
    training and test (split by ``Segment.source``)."""
    from PIL import Image, ImageOps

    image = Path(image)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    img = ImageOps.exif_transpose(Image.open(image)).convert("RGB")
    w, h = img.size
    n = max(2, int(round(seconds * FPS)))
    out = []
    for k, (c0, c1, mirror) in enumerate(views):
        frames = []
        for i in range(n):
            c = c0 + (c1 - c0) * i / (n - 1)
            cw, ch = w * c, h * c
            box = ((w - cw) / 2, (h - ch) / 2, (w + cw) / 2, (h + ch) / 2)
            f = img.crop(tuple(int(round(v)) for v in box)).resize((WIDTH, _even(WIDTH * ch / cw)))
            frames.append(np.asarray(ImageOps.mirror(f) if mirror else f))
        path = out_dir / f"{image.stem}_v{k}.mp4"
        _write(path, frames, None)
        out.append(Segment(str(path), label, image.name, 0.0, seconds))
    return out
