"""Fusion heads side by side: training time per epoch, inference time per clip, held-out accuracy/macro-F1.

    python benchmarks/fusion.py [--seconds 2.0] [--segments 6] [--epochs 150] [--seed 0] [--out DIR]

The labelled set is cut from the labelled clips of ../shared/media (vidmm.fusion.segments): every video
clip with a scene/action label becomes one class, cut into 2-second segments; per source clip the last
segment is test, the one before it validation, the rest training. Test segments come from the same source
clips as the training ones, so accuracies are optimistic (same scene seen again, not new footage).
All strategies train on the same split and the same cached features; inference time per clip is the
head alone (features cached), plus the explanation (top frames, modality weights).
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MEDIA = Path(os.environ.get("VIDMM_MEDIA", REPO.parent / "shared" / "media"))


def sources() -> dict[str, str]:
    with open(MEDIA / "MANIFEST.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return {r["file"]: r["label"] for r in rows if r["kind"] == "video" and r["label"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--segments", type=int, default=6)
    ap.add_argument("--epochs", type=int, default=150)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    from vidmm.features import Extractor
    from vidmm.fusion import evaluate, fit, load_head
    from vidmm.fusion.segments import labelled_set

    work = Path(args.out or tempfile.mkdtemp(prefix="vidmm-fusion-"))
    t = time.perf_counter()
    csv_path, segs = labelled_set(MEDIA, work / "set", sources(), args.seconds, args.segments)
    print(f"cut {len(segs)} segments from {len(sources())} clips in {time.perf_counter() - t:.1f} s", flush=True)
    ex = Extractor()
    t = time.perf_counter()
    res = fit(csv_path, work / "heads", ex, ("early", "late", "attention"), seed=args.seed, epochs=args.epochs)
    print(f"features + training: {time.perf_counter() - t:.1f} s (features {res.extract_s:.1f} s); "
          f"counts {res.counts}", flush=True)
    rows = []
    for s, r in res.results.items():
        ev = evaluate(csv_path, load_head(work / "heads" / s), ex)
        rows.append({"strategy": s, "ms_per_epoch": round(1000 * r.seconds_per_epoch, 2), "epochs": r.epochs_run,
                     "best_epoch": r.best_epoch, "val_macro_f1": round(r.val.macro_f1, 3) if r.val else None,
                     "test_accuracy": round(ev.report.accuracy, 3), "test_macro_f1": round(ev.report.macro_f1, 3),
                     "ms_per_clip": round(1000 * ev.seconds_per_clip, 2), "n_test": int(ev.report.support.sum())})
    print(f"{'strategy':<10} {'ms/epoch':>9} {'epochs':>7} {'best':>5} {'val F1':>7} {'test acc':>9} "
          f"{'test F1':>8} {'ms/clip':>8}")
    for r in rows:
        print(f"{r['strategy']:<10} {r['ms_per_epoch']:>9} {r['epochs']:>7} {r['best_epoch']:>5} "
              f"{r['val_macro_f1']!s:>7} {r['test_accuracy']:>9} {r['test_macro_f1']:>8} {r['ms_per_clip']:>8}")
    print(json.dumps({"n_test": rows[0]["n_test"], "chance": round(1 / res.counts["labels"], 3), "rows": rows}))


if __name__ == "__main__":
    main()
