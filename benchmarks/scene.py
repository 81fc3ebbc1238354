"""Scene and search: speed end to end against a full decode, and (``--calibrate``) the constants of
vidmm/tasks/scene.py. The measured numbers, with these commands, are in docs/scene.md.

    python benchmarks/scene.py                 # the three 60 s 1080p clips, caption with sound, search
    python benchmarks/scene.py --clip gop2s    # one clip only; --no-audio, --no-search skip those parts
    python benchmarks/scene.py --first-run     # `vidmm scene`/`caption` on an empty cache vs warm vs --no-cache
    python benchmarks/scene.py --rss           # peak RSS on a 30 s and a 3-minute 1080p clip
    python benchmarks/scene.py --workdir DIR   # keep the generated clips between runs
    python benchmarks/scene.py --calibrate     # temperature, pooling and "none of these" on ../shared/media
    python benchmarks/scene.py --calibrate-audio   # sound labels: weight of YAMNet's evidence

Three 60 s 1080p clips made from ../shared/media (benchmarks/_speed.py): "testvideo" (PySceneDetect's test
video looped; x264 places keyframes itself, at cuts and at most 250 frames apart; fades and a dark third),
"camera" (the skateboarding dog looped; a busy stream with a keyframe every second and none at cuts, as a
camera records) and "gop2s" (testvideo again, x264 with a keyframe at least every 2 s, and at cuts).
Per clip, after the model is loaded, on a cold feature cache: scene and caption end to end against a full
threaded decode of the clip, the decoding and embedding scene needs done alone (its overhead), scene with
``--shots exact``, and a cached re-run (_speed.py says what each measures). Then caption on a 60 s clip
with sound (the audio's share), and search over a folder of 100 clips (symlinks to the labelled clips):
index build time and query latency on the built index. Everything runs on the machine's CPU with the
embedded default backbone; compare ratios within one run (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _speed import CLIPS, main_speed, timed  # noqa: E402

MEDIA = Path(os.environ.get("VIDMM_MEDIA", REPO.parent / "shared" / "media"))

#: Labels that fit none of the labelled clips: the negatives for the "none of these" threshold.
FOREIGN = ["underwater coral reef", "snow-covered mountain peak", "rocket launch", "surgery in an operating room",
           "sand dunes in a desert", "airplanes on an airport runway", "tennis match", "horse race",
           "volcano eruption", "sailing boat on the ocean", "skiing down a slope", "server room", "golf course",
           "swimming pool", "ice hockey game", "library bookshelves", "supermarket aisle", "waterfall",
           "subway train", "aquarium fish", "boxing match", "car repair garage", "classroom with students",
           "helicopter flying", "bowling alley", "laboratory with microscopes", "traffic jam on a highway",
           "cows in a pasture", "fireworks at night", "chess game"]


def labelled_clips() -> list[dict]:
    with open(MEDIA / "MANIFEST.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [r for r in rows if r["kind"] == "video" and r["task"] in ("action", "scene")]


# -- calibration ----------------------------------------------------------------------------------------
def calibrate() -> None:
    from vidmm.cache import Cache
    from vidmm.features import Extractor
    from vidmm.labels import LabelSet, vocab
    from vidmm.tasks import zeroshot
    from vidmm.tasks.scene import REFERENCE_TEMPLATES, REFERENCE_VOCAB

    rows = labelled_clips()
    ex = Extractor(cache=Cache())
    bb = ex.backbone
    names = [r["label"] for r in rows]
    right = zeroshot.label_vectors(bb, LabelSet.of(names), ex.cache)
    foreign = zeroshot.label_vectors(bb, LabelSet.of(FOREIGN), ex.cache)
    ref = zeroshot.label_vectors(bb, vocab(REFERENCE_VOCAB), ex.cache, REFERENCE_TEMPLATES)
    clips = []
    for r in rows:
        p = str(MEDIA / r["file"])
        fe, shots = ex.frame_embeddings(p), ex.shots(p)
        groups = []
        for s in shots:
            idx = np.flatnonzero(fe.shot == s.index)
            if idx.size == 0:
                idx = np.array([int(np.argmin(np.abs(fe.times - (s.start + s.end) / 2)))])
            groups.append((fe.vectors[idx], max(s.end - s.start, 1e-3)))
        clips.append(groups)
    print(f"{len(rows)} labelled clips, {len(names)} labels; chance: top-1 {1 / len(names):.1%}, "
          f"top-3 {3 / len(names):.1%}; uniform cross-entropy {np.log(len(names)):.2f}")

    def shot_scores(groups, vecs, attn, mix):
        return [(zeroshot.pool(v, vecs, attn, mix).score, w) for v, w in groups]

    print("\npooling (softmax scale 11): attn_scale, mix -> top-1, top-3, cross-entropy")
    for attn in (5.0, 10.0, 20.0):
        for mix in (0.0, 0.5, 1.0):
            top1 = top3 = 0
            nll = 0.0
            for i, groups in enumerate(clips):
                ss = shot_scores(groups, right, attn, mix)
                p = sum(zeroshot.softmax(11.0 * s) * w for s, w in ss) / sum(w for _, w in ss)
                rank = list(np.argsort(-p)).index(i)
                top1 += rank == 0
                top3 += rank < 3
                nll -= np.log(p[i])
            print(f"  {attn:5.1f} {mix:4.2f} -> {top1}/{len(clips)} {top3}/{len(clips)} {nll / len(clips):.3f}")

    attn, mix = zeroshot.ATTN_SCALE, zeroshot.MIX
    print(f"\ntemperature (attn {attn}, mix {mix}): softmax scale -> cross-entropy of the true label")
    per_clip = [shot_scores(g, right, attn, mix) for g in clips]
    for scale in (3, 5, 8, 10, 11, 12, 15, 20, 30, 50):
        nll = 0.0
        for i, ss in enumerate(per_clip):
            p = sum(zeroshot.softmax(scale * s) * w for s, w in ss) / sum(w for _, w in ss)
            nll -= np.log(p[i])
        print(f"  {scale:3d} -> {nll / len(per_clip):.3f}")

    print("\n'none of these': z of the best label against the reference vocabulary")
    rng = np.random.default_rng(0)
    pos1, neg1, posm, negm = [], [], [], []
    for i, groups in enumerate(clips):
        w = np.array([w for _, w in groups])
        w = w / w.sum()

        def clip_score(vecs, groups=groups, w=w):
            return w @ np.stack([zeroshot.pool(v, vecs, attn, mix).score for v, _ in groups])

        r_s, f_s, ref_s = clip_score(right), clip_score(foreign), clip_score(ref)
        mu, sd = ref_s.mean(), ref_s.std()
        pos1.append((r_s[i] - mu) / sd)
        neg1.extend((f_s - mu) / sd)
        posm.append((r_s.max() - mu) / sd)
        for _ in range(10):
            negm.append((f_s[rng.choice(len(f_s), len(names), replace=False)].max() - mu) / sd)
    for what, p, q in (("1 label", pos1, neg1), (f"{len(names)} labels", posm, negm)):
        p, q = np.array(p), np.array(q)
        best = max((((p >= t).mean() + (q < t).mean()) / 2, t, (p >= t).mean(), (q < t).mean())
                    for t in np.unique(np.concatenate([p, q])))
        keep90 = float(np.quantile(p, 0.1))
        print(f"  {what}: right z p10/median {np.quantile(p, .1):.2f}/{np.median(p):.2f}, foreign median "
              f"{np.median(q):.2f}; best threshold {best[1]:.2f} (keeps {best[2]:.0%} right, flags {best[3]:.0%} "
              f"foreign, balanced {best[0]:.2f}); threshold keeping 90% right: {keep90:.2f} "
              f"(flags {(q < keep90).mean():.0%} foreign)")


def calibrate_audio() -> None:
    """Sound labels: top-1/top-3 on the labelled clips with YAMNet evidence mixed in, per weight and match."""
    from vidmm.cache import Cache
    from vidmm.features import Extractor
    from vidmm.labels import LabelSet
    from vidmm.models.audio_events import load_yamnet
    from vidmm.tasks import evidence, zeroshot
    from vidmm.tasks.scene import Scorer, SoundLabels

    rows = labelled_clips()
    ex = Extractor(cache=Cache())
    bb = ex.backbone
    labels = LabelSet.of([r["label"] for r in rows])
    scorer = Scorer.build(bb, labels, ex.cache, none_check=False)
    yamnet = load_yamnet()
    clips = []  # per clip: [(visual pooled scores (M,), YAMNet mean class scores (521,) or None, weight)]
    for r in rows:
        p = str(MEDIA / r["file"])
        fe, shots, snd = ex.frame_embeddings(p), ex.shots(p), evidence.sounds(p, ex, yamnet)
        shot_rows = []
        for s in shots:
            idx = np.flatnonzero(fe.shot == s.index)
            if idx.size == 0:
                idx = np.array([int(np.argmin(np.abs(fe.times - (s.start + s.end) / 2)))])
            shot_rows.append((scorer.score(fe.vectors[idx])[1], None if snd is None else snd.mean(s.start, s.end),
                              max(s.end - s.start, 1e-3)))
        clips.append(shot_rows)
    with_sound = [i for i, c in enumerate(clips) if c[0][1] is not None]
    print(f"{len(rows)} labelled clips ({len(with_sound)} with sound), {len(labels)} labels, scale {scorer.scale}")
    for match in (0.55, 0.6, 0.65, 0.7):
        sl = SoundLabels.build(bb, labels, yamnet.class_names, ex.cache, match)
        print(f"\nmatch >= {match}: sound labels {sl.matched(labels)}")
        for w in (0.0, 0.02, 0.05, 0.1, 0.2, 0.3):
            top1 = top3 = s1 = s3 = 0
            nll = 0.0
            for i, c in enumerate(clips):
                p = sum(zeroshot.softmax(scorer.scale * (v + (0 if a is None else w * sl.evidence(a)))) * d
                        for v, a, d in c) / sum(d for _, _, d in c)
                rank = list(np.argsort(-p, kind="stable")).index(i)
                top1 += rank == 0
                top3 += rank < 3
                nll -= np.log(p[i])
                if i in with_sound:
                    s1 += rank == 0
                    s3 += rank < 3
            print(f"  weight {w:4.2f}: top-1 {top1}/{len(clips)} top-3 {top3}/{len(clips)} "
                  f"(clips with sound: {s1}/{len(with_sound)}, {s3}/{len(with_sound)}), "
                  f"cross-entropy {nll / len(clips):.3f}")


# -- timings: benchmarks/_speed.py --------------------------------------------------------------------
def bench_search(workdir: Path, bb, n_clips: int, n_queries: int) -> None:
    from vidmm.cache import Cache
    from vidmm.features import Extractor
    from vidmm.tasks.search import build_index, rank, search

    # 4. search over a folder of n_clips symlinks to the labelled clips
    folder = workdir / f"folder-{n_clips}"
    folder.mkdir(exist_ok=True)
    rows = labelled_clips()
    for i in range(n_clips):
        src = MEDIA / rows[i % len(rows)]["file"]
        link = folder / f"clip_{i:03d}{src.suffix}"
        if not link.exists():
            link.symlink_to(src)
    ex_s = Extractor(backbone=bb, cache=Cache(workdir / f"cache-s-{time.time_ns()}"))
    first, t_index = timed(search, folder, "a dog riding a skateboard", ex_s, top_k=5)
    print(f"\nsearch over {n_clips} clips ({len(rows)} distinct files): index built in {t_index:.1f} s "
          f"({first.index['added']} clips)")
    queries = [r["label"] for r in rows]
    lat = []
    for i in range(n_queries):
        ex_q = Extractor(backbone=bb, cache=Cache(ex_s.cache.root))  # nothing in memory: the index is read
        r, t = timed(search, folder, queries[i % len(queries)] + f" {i}", ex_q, top_k=10)
        assert r.index["reused"] == n_clips
        lat.append(t)
    print(f"  query latency on the built index (stat {n_clips} files + read index + embed query + rank): "
          f"median {statistics.median(lat) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms over {n_queries} queries")
    parts: dict[str, list[float]] = {"refresh + read index": [], "embed query": [], "rank": []}
    for i in range(n_queries):
        ex_q = Extractor(backbone=bb, cache=Cache(ex_s.cache.root))
        index, t = timed(build_index, folder, ex_q)
        parts["refresh + read index"].append(t)
        qvec, t = timed(lambda i=i: bb.encode_labels([queries[i % len(queries)] + f" #{i}"])[0])
        parts["embed query"].append(t)
        parts["rank"].append(timed(rank, index, qvec, 10)[1])
    print("  of which: " + ", ".join(f"{k} {statistics.median(v) * 1000:.0f} ms" for k, v in parts.items())
          + f" ({len(index.vectors)} frame vectors)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calibrate", action="store_true", help="measure the constants of tasks/scene.py")
    ap.add_argument("--calibrate-audio", action="store_true", help="measure the sound-label weight (YAMNet)")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the generated clips and caches here")
    ap.add_argument("--clips", type=int, default=100, help="clips in the search folder")
    ap.add_argument("--queries", type=int, default=10, help="queries timed")
    ap.add_argument("--clip", choices=[*CLIPS, "all"], default="all", help="which 60 s 1080p clip(s) to time")
    ap.add_argument("--no-audio", action="store_true", help="skip caption on the clip with sound")
    ap.add_argument("--repeat", type=int, default=3, help="runs per clip, interleaved; the fastest of each counts")
    ap.add_argument("--no-search", action="store_true", help="skip the search timings")
    ap.add_argument("--first-run", action="store_true", help="a machine's first run vs a warm run vs --no-cache")
    ap.add_argument("--rss", action="store_true", help="peak RSS on a 30 s and a 3-minute clip")
    args = ap.parse_args()
    if args.calibrate:
        calibrate()
        return
    if args.calibrate_audio:
        calibrate_audio()
        return
    main_speed(args)
    if not (args.first_run or args.rss or args.no_search):
        with tempfile.TemporaryDirectory(prefix="vidmm-bench-search-") as d:
            from vidmm.models.backbones import load_backbone

            bench_search(Path(d), load_backbone(), args.clips, args.queries)


if __name__ == "__main__":
    main()
