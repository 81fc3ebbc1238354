"""Reproducibly train the demo scene head from the labelled clips of ../shared/media, with its model card.

    python scripts/train_default_heads.py --out DIR [--seed 0]

Writes DIR/scene-demo/ (head.safetensors, head.json, MODEL_CARD.md) for the default backbone. The data is
13 labelled video clips, one per label, cut into 2-second segments (vidmm.fusion.segments); per clip the
last segment is test, the one before it validation, the rest training. That is far too little for a head
anyone should trust: every class is ONE scene, and the test segments come from the same clips as the
training ones. The card says so. No emotion head is trained: the only emotion-labelled media here are six
face stills (four classes), no video, and vidmm's emotion task fuses expression and voice features that
these heads do not see yet.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MEDIA = Path(os.environ.get("VIDMM_MEDIA", REPO.parent / "shared" / "media"))

CARD = """# scene-demo (vidmm fusion head, strategy: {strategy})

**Too small to trust.** Trained on {n_train} segments of {n_sources} clips (one clip per label); validated
on {n_val}, tested on {n_test} held-out segments of the SAME clips. It recognises these scenes again; it has
not been shown to generalise to new footage. Use it to try `--head`, not for results.

- Data: the labelled video clips of `../shared/media` (MANIFEST.tsv, labels from the manifest), cut into
  {seconds} s segments with PyAV (`vidmm.fusion.segments.labelled_set`); per clip the last segment is test,
  the one before it validation (clips with 4+ segments), the rest training.
- Labels ({n_labels}): {labels}
- Backbone: `{backbone}` (the head is refused on any other).
- Strategy chosen by validation macro-F1 among early, late, attention (seed {seed}).
- Held-out test: accuracy {acc:.3f}, macro-F1 {f1:.3f} on {n_test} segments (chance {chance:.3f}).
- Reproduce: `python scripts/train_default_heads.py --out DIR --seed {seed}`.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=2.0)
    args = ap.parse_args()

    from vidmm.features import Extractor
    from vidmm.fusion import evaluate, fit, load_head
    from vidmm.fusion.segments import labelled_set

    with open(MEDIA / "MANIFEST.tsv", newline="") as f:
        sources = {r["file"]: r["label"] for r in csv.DictReader(f, delimiter="\t")
                   if r["kind"] == "video" and r["label"]}
    work = Path(tempfile.mkdtemp(prefix="vidmm-heads-"))
    csv_path, segs = labelled_set(MEDIA, work, sources, args.seconds, max_segments=6)
    ex = Extractor()
    out = Path(args.out) / "scene-demo"
    res = fit(csv_path, out, ex, ("early", "late", "attention"), task="scene", seed=args.seed)
    head = load_head(out)
    ev = evaluate(csv_path, head, ex)
    (out / "MODEL_CARD.md").write_text(CARD.format(
        strategy=head.strategy, n_train=res.counts["train"], n_val=res.counts["val"],
        n_test=int(ev.report.support.sum()), n_sources=len(sources), seconds=args.seconds,
        n_labels=len(res.labels), labels=", ".join(res.labels), backbone=head.backbone, seed=args.seed,
        acc=ev.report.accuracy, f1=ev.report.macro_f1, chance=1 / len(res.labels)), encoding="utf-8")
    cfg = json.loads((out / "head.json").read_text())
    cfg["card"] = {"trust": "too small to trust", "test": ev.report.to_dict() | {"confusion": None}}
    (out / "head.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{out}: {head.strategy}, test accuracy {ev.report.accuracy:.3f}, macro-F1 {ev.report.macro_f1:.3f}")


if __name__ == "__main__":
    main()
