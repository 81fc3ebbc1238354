"""Latency of `vidmm caption` on a 60 s clip with sound, split into its steps; and the cached second run.

    python benchmarks/caption.py [--seconds 60] [--json]
    python benchmarks/caption.py --words     # the z-scores the caption thresholds were read from

The clip is short_hamilton_clip.mp4 (speech, music, cuts) looped to 60 s with its audio (PyAV).
Steps, each timed on a fresh extractor with no cache: decode (shot detection + sampled frames), embed
(the backbone on those frames), faces (frames at 240 px + YuNet), sounds (audio decode + YAMNet),
speech (Whisper tiny.en, with its speech gate), compose (vocabulary scoring + sentences). Then the whole
caption cold (empty cache) and again (everything from the cache). Model loading is reported apart.
Accuracy: tests/test_caption.py (key concept in 6 of 13 labelled clips' captions).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def words() -> None:
    """Per labelled clip and vocabulary kind, the top words and their z-scores over all frames."""
    import csv
    import os

    import numpy as np

    from vidmm.features import Extractor
    from vidmm.tasks.evidence import Concepts

    media = Path(os.environ.get("VIDMM_MEDIA", REPO.parent / "shared" / "media"))
    with open(media / "MANIFEST.tsv", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["kind"] == "video" and r["label"]]
    ex = Extractor()
    con = Concepts.build(ex.backbone, ex.cache)
    for r in rows:
        fe = ex.frame_embeddings(str(media / r["file"]))
        z = con.all_zscores(fe.vectors)
        print(f"{r['file']}  [{r['label']}]")
        for kind, zs in z.items():
            names = con.labels(kind).names
            top = np.argsort(-zs)[:4]
            print(f"    {kind:8s} " + ", ".join(f"{names[j]} {zs[j]:.2f}" for j in top))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--words", action="store_true", help="print the z-scores behind the thresholds and stop")
    args = ap.parse_args()
    if args.words:
        words()
        return
    from _av_clip import looped_av_clip

    from vidmm.cache import Cache
    from vidmm.features import Extractor
    from vidmm.tasks.caption import CaptionModels, caption

    clip = str(looped_av_clip(args.seconds))
    report: dict = {"clip": clip, "seconds": args.seconds}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        ex = Extractor(cache=Cache(tmp))
        models = CaptionModels.load(ex)
        report["model_load_s"] = round(time.perf_counter() - t, 2)

        steps: dict[str, float] = {}
        t = time.perf_counter()
        shots = ex.shots(clip)
        sampling = ex.sampling_for(clip, shots)
        frames = ex.frames(clip, sampling)
        steps["decode"] = time.perf_counter() - t
        t = time.perf_counter()
        ex.backbone.encode_frames([f.image for f in frames])
        steps["embed"] = time.perf_counter() - t
        t = time.perf_counter()
        ex.faces(clip, models.detector)
        steps["faces"] = time.perf_counter() - t
        t = time.perf_counter()
        ex.sounds(clip, models.yamnet)
        steps["sounds"] = time.perf_counter() - t
        t = time.perf_counter()
        tr = ex.transcript(clip, models.speech)
        steps["speech"] = time.perf_counter() - t
        report["steps_s"] = {k: round(v, 3) for k, v in steps.items()}
        report["frames"] = len(frames)
        report["shots"] = len(shots)
        report["speech_rtf"] = round(args.seconds / max(steps["speech"], 1e-9), 1)
        report["transcript_words"] = len(tr.text.split()) if tr else 0

    with tempfile.TemporaryDirectory() as tmp:
        ex = Extractor(cache=Cache(tmp))
        models = CaptionModels.load(ex)  # loaded models are process-wide; the vocabulary re-embeds here
        first = caption(clip, ex, models)
        ex2 = Extractor(cache=Cache(tmp))  # a new run on the same cache: nothing decoded or embedded
        second = caption(clip, ex2, models)
        report["cold"] = {"elapsed_s": round(first.elapsed_s, 3), **{k: round(v, 3) for k, v in first.timings.items()}}
        report["cached"] = {"elapsed_s": round(second.elapsed_s, 3),
                            **{k: round(v, 3) for k, v in second.timings.items()}}
        report["cached_speedup"] = round(first.elapsed_s / max(second.elapsed_s, 1e-9), 1)
        report["caption"] = first.caption
        report["segments"] = len(first.segments)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"clip: {clip} ({args.seconds} s, {report['shots']} shots, {report['frames']} frames); "
          f"model load {report['model_load_s']} s")
    print("steps (fresh, no cache): " + ", ".join(f"{k} {v:.2f} s" for k, v in report["steps_s"].items()))
    print(f"speech real-time factor: {report['speech_rtf']}x")
    print("caption cold: " + ", ".join(f"{k} {v:.2f}" for k, v in report["cold"].items()))
    print("caption cached: " + ", ".join(f"{k} {v:.3f}" for k, v in report["cached"].items()))
    print(f"cached speed-up: {report['cached_speedup']}x")
    print(f"caption: {report['caption']}")


if __name__ == "__main__":
    main()
