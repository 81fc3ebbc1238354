"""Reproducibly train vidmm's default heads from the labelled media of ../shared/media, with model cards.

    python scripts/train_default_heads.py [--out DIR] [--seed 0] [--only scene|emotion]

Writes DIR/scene-demo/ and DIR/emotion-demo/ (head.safetensors, head.json, MODEL_CARD.md) for the default
backbone. DIR defaults to ``<models folder>/heads`` ($VIDMM_MODELS, else the user data folder), where
``--head heads/NAME`` and `vidmm models list` find them. Nothing here is committed: the heads are rebuilt
from the data by this script (a few KB to ~0.5 MB each; see the card).

Neither head can be trusted, and the cards and `vidmm models list` say so (rule: vidmm.fusion.shipped.trust,
fewer than MIN_HELD_OUT independent held-out sources in any class):

* scene-demo: 13 labelled video clips, one per label, cut into 2-second segments; per clip the last
  segment is test, the one before it validation, the rest training. Every held-out segment comes from a
  training clip: no held-out example is independent of the training data.
* emotion-demo: the only emotion-labelled media here are six face photos (happy 2, neutral 2, sad 1, angry 1;
  no emotion-labelled video or voice). Each photo becomes four short clips (zooms, mirrored); per class with
  two photos the second (by file name) is held out whole, so sad and angry have no held-out example. The
  head sees backbone frame embeddings only (the photos have no sound).
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

CARD = """# {name} (vidmm fusion head, task: {task}, strategy: {strategy})

**{verdict}.** {reason}.

- Data: {data}
- Split: {split}
- Counts: {n_train} training and {n_val} validation {unit}; held-out test: {n_test} {unit} from
  {held_out} (independent held-out sources per class: {sources}).
- Labels ({n_labels}): {labels}
- Backbone: `{backbone}` (the head is refused on any other). Features: {features}.
- Strategy chosen by validation macro-F1 (training macro-F1 without a validation set) among early, late,
  attention (seed {seed}); weights {size_kb:.1f} KB.
- Held-out test: accuracy {acc:.3f}, macro-F1 {f1:.3f} (uniform guess over {n_labels} labels {chance:.3f});
  per class (precision / recall / support): {per_class}.
{check}- Trust rule: fewer than {min_held_out} independent held-out sources in any class -> "too small to trust".
- Reproduce: `python scripts/train_default_heads.py --out DIR --seed {seed} --only {task}`.
"""


def manifest() -> list[dict]:
    with open(MEDIA / "MANIFEST.tsv", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def write_split_csv(segs, splits: dict[str, str], path: Path) -> Path:
    from vidmm.fusion.segments import write_csv

    return write_csv(segs, path, splits)


def finish(name: str, out: Path, csv_path: Path, res, ex, seed: int, data: str, split: str, unit: str,
           held_out_sources: dict[str, int], held_out_names: list[str], check: str = "") -> None:
    """Evaluate the saved head on the test rows, write MODEL_CARD.md and the card into head.json."""
    from vidmm.fusion import evaluate, load_head
    from vidmm.fusion.shipped import MIN_HELD_OUT, trust

    head = load_head(out)
    ev = evaluate(csv_path, head, ex)
    rep = ev.report.to_dict()
    verdict, reason = trust({lab: held_out_sources.get(lab, 0) for lab in res.labels})
    per_class = "; ".join(f"{k} {v['precision']:.2f} / {v['recall']:.2f} / {v['support']}"
                          for k, v in rep["per_class"].items())
    size = (out / "head.safetensors").stat().st_size
    cfg = json.loads((out / "head.json").read_text())
    (out / "MODEL_CARD.md").write_text(CARD.format(
        name=name, task=cfg["task"], strategy=head.strategy, verdict=verdict[0].upper() + verdict[1:],
        reason=reason[0].upper() + reason[1:], data=data, split=split, n_train=res.counts["train"],
        n_val=res.counts["val"], n_test=rep["n"], unit=unit, held_out=", ".join(held_out_names) or "nothing",
        sources=", ".join(f"{k} {held_out_sources.get(k, 0)}" for k in res.labels), n_labels=len(res.labels),
        labels=", ".join(res.labels), backbone=head.backbone, features=json.dumps(cfg["features"]), seed=seed,
        size_kb=size / 1024, acc=rep["accuracy"], f1=rep["macro_f1"], chance=1 / len(res.labels),
        per_class=per_class, min_held_out=MIN_HELD_OUT, check=check), encoding="utf-8")
    cfg["card"] = {"trust": verdict, "reason": reason, "data": data, "split": split, "unit": unit, "check": check,
                   "held_out_sources": held_out_sources, "min_held_out": MIN_HELD_OUT,
                   "test": rep}
    (out / "head.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{out}: {head.strategy}, {verdict}; test accuracy {rep['accuracy']:.3f}, macro-F1 {rep['macro_f1']:.3f} "
          f"on {rep['n']} {unit}; weights {size / 1024:.1f} KB", flush=True)


def build_scene(root: Path, work: Path, ex, seed: int, seconds: float) -> None:
    from vidmm.fusion import fit
    from vidmm.fusion.segments import labelled_set

    sources = {r["file"]: r["label"] for r in manifest() if r["kind"] == "video" and r["label"]}
    csv_path, segs = labelled_set(MEDIA, work / "scene", sources, seconds, max_segments=6)
    out = root / "scene-demo"
    res = fit(csv_path, out, ex, ("early", "late", "attention"), task="scene", seed=seed)
    test = [r for r in csv.DictReader(open(csv_path)) if r["split"] == "test"]
    finish("scene-demo", out, csv_path, res, ex, seed,
           data=f"the {len(sources)} labelled video clips of ../shared/media (MANIFEST.tsv labels), one clip per "
                f"label, cut into {seconds:g} s segments (vidmm.fusion.segments.labelled_set)",
           split="per clip, the last segment is test, the one before it validation (clips with 4+ segments), "
                 "the rest training: test segments come from training clips",
           unit="segments", held_out_sources={}, held_out_names=[f"{len(test)} segments of the training clips"])


def build_emotion(root: Path, work: Path, ex, seed: int) -> None:
    from vidmm.fusion import fit
    from vidmm.fusion.segments import still_views

    rows = sorted((r for r in manifest() if r["kind"] == "image" and r["task"] == "expression" and r["label"]),
                  key=lambda r: r["file"])
    by_label: dict[str, list[str]] = {}
    for r in rows:
        by_label.setdefault(r["label"], []).append(r["file"])
    segs, splits, held_out = [], {}, {}
    for label, files in sorted(by_label.items()):
        test_file = files[-1] if len(files) >= 2 else None  # a class with one photo has nothing to hold out
        held_out[label] = int(test_file is not None)
        for f in files:
            for s in still_views(MEDIA / f, work / "emotion", label):
                segs.append(s)
                splits[s.path] = "test" if f == test_file else "train"
    csv_path = write_split_csv(segs, splits, work / "emotion" / "data.csv")
    out = root / "emotion-demo"
    res = fit(csv_path, out, ex, ("early", "late", "attention"), task="emotion", seed=seed)
    counts = ", ".join(f"{k} {len(v)}" for k, v in sorted(by_label.items()))
    # One check on real footage it never saw: birthday.mp4 shows a happy face (the manifest's notes).
    from vidmm.fusion import load_head
    from vidmm.tasks.emotion import analyze_with_head

    got = analyze_with_head(str(MEDIA / "birthday.mp4"), ex, load_head(out))
    check = (f"- Check on unseen video: birthday.mp4 (a happy face, per the manifest's notes; not a labelled "
             f"emotion clip) -> {got.label} {got.score:.2f} (segments: {', '.join(s.label for s in got.segments)}).\n")
    finish("emotion-demo", out, csv_path, res, ex, seed,
           data=f"the {len(rows)} emotion-labelled face photos of ../shared/media ({counts}; labels from the "
                "manifest); no emotion-labelled video, voice or audio exists there. Each photo becomes 4 one-second "
                "clips (slow zoom, two crops, mirrored: vidmm.fusion.segments.still_views); no sound, so the audio "
                "modality is always masked",
           split="by photo: in each class with two photos the second (by file name) is held out with all its views; "
                 "the rest trains (no validation set: the best epoch is chosen on training macro-F1)",
           unit="views", held_out_sources=held_out,
           held_out_names=[by_label[k][-1] for k in sorted(by_label) if held_out[k]], check=check)


def main() -> None:
    from vidmm.models.registry import default_dest

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=None, help="folder for the heads (default: <models folder>/heads)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=2.0, help="scene: segment length")
    ap.add_argument("--only", choices=("scene", "emotion"), default=None)
    args = ap.parse_args()

    from vidmm.features import Extractor

    root = Path(args.out) if args.out else default_dest() / "heads"
    work = Path(tempfile.mkdtemp(prefix="vidmm-heads-"))
    ex = Extractor()
    if args.only in (None, "scene"):
        build_scene(root, work, ex, args.seed, args.seconds)
    if args.only in (None, "emotion"):
        build_emotion(root, work, ex, args.seed)


if __name__ == "__main__":
    main()
