"""Emotion benchmark: face detection recall and speed, expression accuracy, YAMNet speed, end to end.

    python benchmarks/emotion.py            # everything (about a minute on 2 cores)
    python benchmarks/emotion.py --crops    # also the crop-size sweep behind expression.CROP_ENLARGE
    python benchmarks/emotion.py --json     # one JSON document on stdout

What is measured, on the real media of ../shared (VIDMM_MEDIA / VIDMM_MODELS):

1. Detectors: frames sampled every 0.5 s at 360 px short side from short_hamilton_clip.mp4, birthday.mp4,
   mmaction2_test.avi, plus the 7 single-face photos. ``VISIBLE`` holds the faces a person counted in each
   sampled frame (clearly visible faces; the blurry audience in hamilton's cut-aways is not counted).
   Recall is counted per frame as min(found, visible) / visible; "extra" is found beyond visible (for
   YuNet those were checked by eye: mostly real, blurry audience faces).
2. Frame size: YuNet on the same frames at 360, 288 and 240 px short side (vidmm.channels.FACE_SIZE).
3. Detection + expression frames/s with the default models (YuNet + FER through onnxruntime).
4. Expression accuracy on the labelled photos (MANIFEST task=expression) against chance 1/7: the
   model on the detected box, and the whole task (`analyze`) on each photo and on each made into a
   2 s clip.
5. YAMNet: seconds of audio analysed per second, and its cue per window (``window_cue``, threshold 0.3)
   against the cue each labelled file holds (``CUE_FILES``, plus 5 s of digital silence); the vocal
   fusion weight is half the resulting kappa.
6. End to end: a 60 s clip (short_hamilton_clip.mp4 six times, re-encoded) through `analyze` with a
   cold cache, against decoding its sampled frames and audio alone (target: within 3x).

docs/emotion.md holds the numbers this prints and what they set in the code.
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MEDIA = Path(os.environ.get("VIDMM_MEDIA", REPO.parent / "shared" / "media"))
MODELS = Path(os.environ.get("VIDMM_MODELS", REPO.parent / "shared" / "models"))
os.environ.setdefault("VIDMM_MODELS", str(MODELS))

FACE_IMAGES = ["faceapi_happy.jpg", "faceapi_sad.jpg", "faceapi_angry.jpg", "faceapi_neutral.jpg",
               "deepface_img25.jpg", "deepface_img30.jpg", "facerec_obama.jpg"]
# Faces visible per frame sampled every 0.5 s (counted by eye on contact sheets).
VISIBLE = {
    "short_hamilton_clip.mp4": [2, 2, 2, 1, 1, 0, 0, 0] + [1] * 8 + [4] * 4,
    "birthday.mp4": [1] * 34,
    "mmaction2_test.avi": [1] * 14,
}


#: The cue every window of a file should show: four speech files, applause and two music tracks.
CUE_FILES = {"whisper_jfk.flac": "speech", "sr_english.wav": "speech", "ds_LDC93S1.wav": "speech",
             "fw_stereo_diarization.wav": "speech", "applausing.mp4": "applause",
             "big_buck_bunny_0_30.webm": "music", "chaplin.mp4": "music"}
FACE_SIZES = (360, 288, 240)


def sampled(path: Path, every: float = 0.5, size: int = 360) -> list[np.ndarray]:
    """The frames ``VISIBLE`` was counted on: decode in order, keep the first frame at or after each
    multiple of ``every`` seconds (of the stream's own timestamps), scaled to ``size`` short side.
    Kept independent of vidmm.media.frames so the by-eye labels stay aligned whatever the sampler does."""
    import av
    import cv2

    out, nxt = [], 0.0
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        for fr in c.decode(s):
            t = float(fr.pts * s.time_base)
            if t + 1e-6 >= nxt:
                img = fr.to_ndarray(format="rgb24")
                h, w = img.shape[:2]
                k = size / min(h, w)
                if k < 1:
                    img = cv2.resize(img, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
                out.append(img)
                nxt += every
    return out


def _rgb(name: str) -> np.ndarray:
    import cv2

    return cv2.imread(str(MEDIA / name))[:, :, ::-1].copy()


def bench_detectors() -> dict:
    from vidmm.models.faces import DETECTORS, load_detector

    frames = {name: sampled(MEDIA / name) for name in VISIBLE}
    for name, imgs in frames.items():
        if len(imgs) != len(VISIBLE[name]):  # a decoder change moved the samples: say so, count anyway
            print(f"warning: {name}: {len(imgs)} frames sampled, {len(VISIBLE[name])} labelled", file=sys.stderr)
    out = {}
    for det_name in DETECTORS:
        det = load_detector(det_name, MODELS)
        det.detect(frames["birthday.mp4"][0])  # warm-up
        found = visible = extra = n = 0
        t0 = time.perf_counter()
        for name, imgs in frames.items():
            for img, vis in zip(imgs, VISIBLE[name]):
                k = len(det.detect(img))
                found += min(k, vis)
                visible += vis
                extra += max(k - vis, 0)
                n += 1
        dt = time.perf_counter() - t0
        photos = sum(len(det.detect(_rgb(p))) == 1 for p in FACE_IMAGES)
        out[det_name] = {"frames_per_s": round(n / dt, 1), "recall": round(found / visible, 3),
                         "found": found, "visible": visible, "extra": extra,
                         "photos_one_face": f"{photos}/{len(FACE_IMAGES)}"}
    return out


def bench_sizes() -> dict:
    """YuNet's recall and speed on the ``VISIBLE`` frames at each short side in FACE_SIZES."""
    from vidmm.models.faces import load_detector

    det = load_detector("yunet", MODELS)
    out = {}
    for size in FACE_SIZES:
        frames = [(img, vis) for name in VISIBLE for img, vis in zip(sampled(MEDIA / name, size=size), VISIBLE[name])]
        det.detect(frames[0][0])
        found = visible = 0
        t0 = time.perf_counter()
        for img, vis in frames:
            found += min(len(det.detect(img)), vis)
            visible += vis
        out[str(size)] = {"frames_per_s": round(len(frames) / (time.perf_counter() - t0), 1), "found": found,
                          "visible": visible}
    return out


def still_clip(image_rgb: np.ndarray, path: Path, seconds: float = 2.0, fps: int = 5) -> Path:
    """A silent MPEG-4 clip showing one image (cropped to even sides)."""
    import av

    h, w = (image_rgb.shape[0] // 2) * 2, (image_rgb.shape[1] // 2) * 2
    with av.open(str(path), "w") as out:
        vs = out.add_stream("mpeg4", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image_rgb[:h, :w]), format="rgb24")
        for _ in range(int(seconds * fps)):
            for pkt in vs.encode(frame):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
    return path


def bench_task_on_faces() -> dict:
    """The whole emotion task on each labelled photo, as the photo and as a 2 s clip of it."""
    from vidmm.cache import Cache
    from vidmm.features import Extractor
    from vidmm.tasks.emotion import EmotionModels, analyze

    models = EmotionModels.load(MODELS)
    ex = Extractor(cache=Cache(enabled=False))
    photos, clips = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, label in labelled_faces():
            photos[name] = (label, analyze(str(MEDIA / name), ex, models).label)
            clip = still_clip(_rgb(name), Path(tmp) / (Path(name).stem + ".mp4"))
            clips[name] = (label, analyze(str(clip), ex, models).label)

    def tally(d):
        return {"right": sum(want == got for want, got in d.values()), "of": len(d),
                "wrong": {k: got for k, (want, got) in d.items() if want != got}}

    return {"photos": tally(photos), "clips": tally(clips)}


def bench_cues() -> dict:
    """YAMNet's cue per window against the cue of each labelled file (and of silence); kappa against 1/10."""
    from vidmm.media.audio import load_audio
    from vidmm.models.audio_events import CUES, AudioEvents, load_yamnet

    y = load_yamnet(MODELS)
    waves = {name: (load_audio(MEDIA / name), cue) for name, cue in CUE_FILES.items()}
    waves["5 s of silence"] = (np.zeros(5 * 16000, np.float32), "silence")
    right = total = 0
    per_file = {}
    for name, (wave, cue) in waves.items():
        ev: AudioEvents = y.events(wave)
        got = ev.window_cue(threshold=0.3)
        per_file[name] = f"{sum(g == cue for g in got)}/{len(got)}"
        right += sum(g == cue for g in got)
        total += len(got)
    acc, chance = right / total, 1 / len(CUES)
    return {"right": right, "windows": total, "accuracy": round(acc, 3), "cues": len(CUES),
            "kappa": round((acc - chance) / (1 - chance), 3), "per_file": per_file}


def labelled_faces() -> list[tuple[str, str]]:
    with open(MEDIA / "MANIFEST.tsv", newline="") as fh:
        return [(r["file"], r["label"]) for r in csv.DictReader(fh, delimiter="\t") if r["task"] == "expression"]


def bench_expression(crops_sweep: bool) -> dict:
    from vidmm.models.expression import LABELS, crop_faces, load_expression_model
    from vidmm.models.faces import load_detector

    det = load_detector("yunet", MODELS)
    model = load_expression_model("auto", MODELS)
    items = []
    for name, label in labelled_faces():
        img = _rgb(name)
        items.append((img, det.detect(img)[0].box, label))
    bday = [(img, det.detect(img)[0].box, "happy") for img in sampled(MEDIA / "birthday.mp4", every=1.0)]

    def score(enlarge: float, square: bool, data) -> tuple[float, float]:
        hits, p_true = [], []
        for img, box, label in data:
            p = model.predict(crop_faces(img, [box], enlarge, square))[0]
            hits.append(LABELS[int(p.argmax())] == label)
            p_true.append(p[LABELS.index(label)])
        return float(np.mean(hits)), float(np.mean(p_true))

    acc, p_true = score(1.1, True, items)
    out = {"backend": model.backend, "photos": len(items), "accuracy": round(acc, 3),
           "chance": round(1 / 7, 3), "mean_p_true": round(p_true, 3),
           "birthday_frames_happy": round(score(1.1, True, bday)[0], 3)}
    if crops_sweep:
        out["crop_sweep"] = {f"{e} {'square' if sq else 'box'}": {
            "photos": round(score(e, sq, items)[0], 3), "mean_p_true": round(score(e, sq, items)[1], 3),
            "birthday": round(score(e, sq, bday)[0], 3)}
            for e in (1.0, 1.1, 1.2, 1.3, 1.4, 1.6) for sq in (True, False)}
    return out


def bench_pipeline_speed() -> dict:
    """Detection + expression frames/s (default models) on the people clips."""
    from vidmm.models.expression import load_expression_model
    from vidmm.models.faces import load_detector

    det = load_detector("yunet", MODELS)
    expr = load_expression_model("auto", MODELS)
    imgs = [img for name in VISIBLE for img in sampled(MEDIA / name)]
    expr.classify(imgs[0], det.detect(imgs[0]))
    t0 = time.perf_counter()
    faces = 0
    for img in imgs:
        f = det.detect(img)
        expr.classify(img, f)
        faces += len(f)
    dt = time.perf_counter() - t0
    return {"frames": len(imgs), "faces": faces, "frames_per_s": round(len(imgs) / dt, 1),
            "expression_backend": expr.backend}


def bench_yamnet() -> dict:
    from vidmm.media.audio import load_audio
    from vidmm.models.audio_events import load_yamnet

    y = load_yamnet(MODELS)
    waves = [load_audio(MEDIA / n) for n in ("whisper_jfk.flac", "big_buck_bunny_0_30.webm", "applausing.mp4")]
    y.events(waves[0][:16000])
    t0 = time.perf_counter()
    for w in waves:
        y.events(w)
    dt = time.perf_counter() - t0
    secs = sum(len(w) for w in waves) / 16000
    return {"audio_s": round(secs, 1), "seconds_of_audio_per_s": round(secs / dt, 1)}


def make_60s_clip(folder: Path) -> Path:
    """short_hamilton_clip.mp4 (faces, speech, music) six times over, re-encoded to one 60 s file."""
    import av

    src = MEDIA / "short_hamilton_clip.mp4"
    out_path = folder / "hamilton_60s.mp4"
    with av.open(str(src)) as inp:
        vs_in = inp.streams.video[0]
        fps = int(round(float(vs_in.average_rate or 25)))
        frames = [f.to_ndarray(format="rgb24") for f in inp.decode(vs_in)]
    from vidmm.media.audio import load_audio

    audio = load_audio(src)
    with av.open(str(out_path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        vs.options = {"preset": "ultrafast"}
        as_ = out.add_stream("aac", rate=16000)
        as_.layout = "mono"
        for _ in range(6):
            for img in frames:
                for pkt in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                    out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        a = np.tile(audio, 6).astype(np.float32)[None, :]
        for start in range(0, a.shape[1], 1024):
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(a[:, start:start + 1024]), format="flt",
                                            layout="mono")
            af.sample_rate, af.pts = 16000, start
            for pkt in as_.encode(af):
                out.mux(pkt)
        for pkt in as_.encode():
            out.mux(pkt)
    return out_path


def bench_end_to_end() -> dict:
    from vidmm.cache import Cache
    from vidmm.channels import FACE_SIZE
    from vidmm.features import Extractor
    from vidmm.media.audio import load_audio
    from vidmm.media.frames import Sampling
    from vidmm.tasks.emotion import DEFAULT_FPS, DEFAULT_MAX_FRAMES, EmotionModels, analyze

    models = EmotionModels.load(MODELS)
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_60s_clip(Path(tmp))
        warm = Extractor(cache=Cache(Path(tmp) / "warm"))
        analyze(str(MEDIA / "mmaction2_test.avi"), warm, models)  # librosa/numba warm-up, once per process
        n = int(min(DEFAULT_MAX_FRAMES, round(60 * DEFAULT_FPS)))
        t0 = time.perf_counter()
        Extractor(cache=Cache(enabled=False)).frames(str(clip), Sampling.uniform(n), size=FACE_SIZE)
        load_audio(clip)
        decode_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = analyze(str(clip), Extractor(cache=Cache(Path(tmp) / "cold")), models)
        total_s = time.perf_counter() - t0
    return {"clip_s": round(res.duration, 1), "frames": res.frames, "segments": len(res.segments),
            "decode_only_s": round(decode_s, 2), "end_to_end_s": round(total_s, 2),
            "ratio": round(total_s / decode_s, 2), "target_ratio": 3.0, "label": res.label}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--crops", action="store_true", help="also sweep the crop size for the expression model")
    ap.add_argument("--json", action="store_true", help="one JSON document on stdout")
    args = ap.parse_args()
    report = {
        "cpus": os.cpu_count(),
        "detectors": bench_detectors(),
        "face_sizes": bench_sizes(),
        "detection_expression": bench_pipeline_speed(),
        "expression": bench_expression(args.crops),
        "task_on_faces": bench_task_on_faces(),
        "yamnet": bench_yamnet(),
        "cues": bench_cues(),
        "end_to_end": bench_end_to_end(),
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"cpus: {report['cpus']}")
    for name, r in report["detectors"].items():
        print(f"detector {name:20s} {r['frames_per_s']:6.1f} frames/s  recall {r['found']}/{r['visible']} "
              f"({r['recall']:.2f})  extra {r['extra']}  photos {r['photos_one_face']}")
    for size, r in report["face_sizes"].items():
        print(f"yunet at {size} px: {r['found']}/{r['visible']} visible faces, {r['frames_per_s']} frames/s")
    d = report["detection_expression"]
    print(f"detection + expression: {d['frames_per_s']} frames/s ({d['frames']} frames, {d['faces']} faces, "
          f"{d['expression_backend']})")
    e = report["expression"]
    print(f"expression on labelled photos: {e['accuracy']:.2f} (chance {e['chance']:.2f}, n={e['photos']}), "
          f"mean p(true) {e['mean_p_true']:.2f}; birthday frames happy {e['birthday_frames_happy']:.2f}")
    for k, v in e.get("crop_sweep", {}).items():
        print(f"   crop {k:12s} photos {v['photos']:.2f}  p(true) {v['mean_p_true']:.2f}  birthday {v['birthday']:.2f}")
    t = report["task_on_faces"]
    print(f"emotion task on the labelled faces: photos {t['photos']['right']}/{t['photos']['of']}, as 2 s clips "
          f"{t['clips']['right']}/{t['clips']['of']}; wrong: {t['photos']['wrong'] or '-'} {t['clips']['wrong'] or ''}")
    y = report["yamnet"]
    print(f"yamnet: {y['seconds_of_audio_per_s']} s of audio per second ({y['audio_s']} s analysed)")
    c = report["cues"]
    print(f"yamnet cue per window: {c['right']}/{c['windows']} ({c['accuracy']:.2f}, {c['cues']} cues, kappa "
          f"{c['kappa']:.2f}); per file {c['per_file']}")
    x = report["end_to_end"]
    print(f"end to end, {x['clip_s']} s clip ({x['frames']} frames, {x['segments']} segments): {x['end_to_end_s']} s "
          f"vs decode only {x['decode_only_s']} s -> {x['ratio']}x (target <= {x['target_ratio']}x); "
          f"label {x['label']}")


if __name__ == "__main__":
    main()
