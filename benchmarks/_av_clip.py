"""A long test clip WITH sound, made from real clips with audio (video and audio re-encoded with PyAV).

Looping one clip makes its speech repeat every few seconds, which the transcription's repetition screen
rightly drops; so the default joins different real clips with sound (speech, applause, music, kitchen
noise) back to back, scaled to one size, and loops that sequence up to the length asked for.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np

MEDIA = Path(os.environ.get("VIDMM_MEDIA", Path(__file__).resolve().parents[2] / "shared" / "media"))
OUT = Path(os.environ.get("VIDMM_BENCH_DIR", "/tmp/vidmm-bench"))
SOURCES = ("short_hamilton_clip.mp4", "mmaction2_test.avi", "skateboarding_dog.mp4", "applausing.mp4",
           "flipping_a_pancake.mkv", "chaplin.mp4")
FPS = 25
RATE = 44100
SIZE = (640, 360)


def _load(name: str):
    import av

    with av.open(str(MEDIA / name)) as inp:
        frames = []
        for f in inp.decode(video=0):
            frames.append((float(f.time or 0.0), f.reformat(width=SIZE[0], height=SIZE[1], format="rgb24").to_ndarray()))
    resampler = av.AudioResampler(format="fltp", layout="mono", rate=RATE)
    chunks = []
    with av.open(str(MEDIA / name)) as inp:
        for f in inp.decode(audio=0):
            chunks += [g.to_ndarray() for g in resampler.resample(f)]
    audio = np.concatenate(chunks, axis=1)[0].astype(np.float32) if chunks else np.zeros(0, np.float32)
    duration = max(frames[-1][0] + 1.0 / FPS, len(audio) / RATE)
    return frames, audio, duration


def looped_av_clip(seconds: int = 60, sources: tuple[str, ...] = SOURCES) -> Path:
    """H.264 + AAC clip of ``seconds`` from ``sources`` back to back (looped if short), cached in OUT."""
    import av

    OUT.mkdir(parents=True, exist_ok=True)
    tag = "loop1" if len(sources) == 1 else f"mix{len(sources)}"
    path = OUT / f"{Path(sources[0]).stem}_{tag}_{seconds}s_av.mp4"
    if path.exists():
        return path
    loaded = [_load(s) for s in sources]
    video, audio_parts, t = [], [], 0.0
    while t < seconds:
        for frames, audio, dur in loaded:
            times = np.array([x[0] for x in frames]) - frames[0][0]
            n = int(round(dur * FPS))
            for i in range(n):
                j = min(int(np.searchsorted(times, i / FPS, side="right")) - 1, len(frames) - 1)
                video.append(frames[max(j, 0)][1])
            a = np.zeros(int(round(dur * RATE)), np.float32)
            a[: min(len(a), len(audio))] = audio[: len(a)]
            audio_parts.append(a)
            t += dur
            if t >= seconds:
                break
    video = video[: seconds * FPS]
    audio = np.concatenate(audio_parts)[: seconds * RATE]
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        vs = out.add_stream("libx264", rate=FPS)
        vs.width, vs.height, vs.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        vs.options = {"preset": "veryfast", "crf": "23"}
        vs.codec_context.time_base = Fraction(1, FPS)
        aus = out.add_stream("aac", rate=RATE)
        aus.layout = "mono"
        for i, img in enumerate(video):
            f = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
            f.pts, f.time_base = i, Fraction(1, FPS)
            for p in vs.encode(f):
                out.mux(p)
        for p in vs.encode():
            out.mux(p)
        step = 1024
        for i in range(0, len(audio), step):
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio[None, i:i + step]), format="fltp",
                                            layout="mono")
            af.sample_rate, af.pts, af.time_base = RATE, i, Fraction(1, RATE)
            for p in aus.encode(af):
                out.mux(p)
        for p in aus.encode():
            out.mux(p)
    tmp.rename(path)
    return path
