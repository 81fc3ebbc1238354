"""Speech to text: multilingual Whisper base (the default) beside Whisper tiny.en (English only), int8 on CPU.

    python benchmarks/transcribe.py [--repeat 3] [--threads 2] [--json]

Reports, on the real files of ../shared/media (MANIFEST.tsv):
* word error rate on the English files with a reference transcript, base and tiny.en;
* the language base identifies on every file with speech, and its probability;
* real-time factor (wall seconds per audio second, lower is faster; median of --repeat runs, no cache) of
  both models on the speech files, run side by side, file by file;
* words on the files without speech (music, applause, a silent film's score, birds, traffic), and on 60 s
  of digital silence: there must be none;
* the one-time join of base's two package parts into the models folder, and the model load times.
Then, on synthetic speech (espeak-ng; skipped without it; numbers about plumbing, not quality): language
identification per language, and a file that changes language part-way (English then Spanish, about 53 s):
the languages of its segments with vidmm, with faster-whisper's own ``multilingual=True`` for comparison,
and what ``--translate`` adds. Media: ../shared/media (or VIDMM_MEDIA).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
MEDIA = Path(os.environ.get("VIDMM_MEDIA", REPO.parent / "shared" / "media"))

ENGLISH = ["whisper_jfk.flac", "sr_english.wav", "ds_LDC93S1.wav", "fw_stereo_diarization.wav"]
#: Every file with speech, and its language.
SPEECH = {**{f: "en" for f in ENGLISH}, "short_hamilton_clip.mp4": "en", "mmaction2_test.avi": "en",
          "skateboarding_dog.mp4": "en", "sr_chinese.flac": "zh"}
NON_SPEECH = ["big_buck_bunny_0_30.webm", "applausing.mp4", "chaplin.mp4", "imagebind_bird_audio.wav",
              "imagebind_car_audio.wav"]
MODELS = ("base", "tiny.en")


def references() -> dict[str, str]:
    with open(MEDIA / "MANIFEST.tsv", newline="") as f:
        return {r["file"]: r["transcript"] for r in csv.DictReader(f, delimiter="\t") if r["transcript"]}


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def join_time() -> dict:
    """The first-run join of whisper-base into an empty models folder (what a fresh machine pays once)."""
    from vidmm.models.model_fetch import join_files
    from vidmm.models.model_table import JOINED

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        join_files(JOINED["whisper-base"], Path(tmp))
        return {"join_s": round(time.perf_counter() - t, 2), "bytes": JOINED["whisper-base"].bytes}


def synthetic(model, repeat: int, threads: int) -> dict:
    from faster_whisper import WhisperModel
    from speech_synth import espeak_available, reading, speech_file

    from vidmm.media.audio import load_audio
    from vidmm.models.vad import speech_spans
    from vidmm.tasks.transcribe import transcribe
    from vidmm.tasks.transcribe_language import language_runs

    if not espeak_available():
        return {"skipped": "espeak-ng is not installed"}
    out: dict = {"language_id": {}}
    with tempfile.TemporaryDirectory() as tmp:
        import soundfile as sf

        for lang in ("es", "it", "de", "fr", "ru"):
            path = Path(tmp) / f"{lang}.wav"
            sf.write(str(path), reading(lang), 22050)
            lid, prob, _ = model.whisper.detect_language(audio=load_audio(str(path)))
            out["language_id"][lang] = {"detected": lid, "probability": round(float(prob), 2)}
        for langs in (("en", "es"), ("en", "de")):
            path = speech_file(Path(tmp) / f"{'_'.join(langs)}.wav", langs)
            audio = load_audio(str(path))
            passes: list[int] = []
            runs = language_runs(model, audio, speech_spans(audio), on_detect=lambda p=passes: p.append(1))
            wall, res = timed(lambda p=path: transcribe(str(p), model), repeat)
            t = time.perf_counter()
            translated = transcribe(str(path), model, translate=True)
            translate_s = time.perf_counter() - t  # the transcript comes back from nothing: no cache here
            fw = WhisperModel(model.path, device="cpu", compute_type="int8", cpu_threads=threads)
            fw_langs = {}
            for multi in (False, True):
                segs, info = fw.transcribe(audio, beam_size=5, vad_filter=True, condition_on_previous_text=False,
                                           multilingual=multi)
                segs = list(segs)
                fw_langs["multilingual" if multi else "default"] = {
                    "language": info.language, "segments": len(segs),
                    "text_end": " ".join(s.text for s in segs)[-120:]}
            out["_".join(langs)] = {
                "audio_s": round(len(audio) / 16000, 1), "detection_passes": len(passes),
                "runs": [{"language": r.language, "start": round(r.start, 1), "end": round(r.end, 1),
                          "probability": round(r.probability, 2)} for r in runs],
                "languages": [(k, round(v, 1)) for k, v in res.languages],
                "segments": [(s.language, round(s.start, 1), s.text) for s in res.segments],
                "wall_s": round(wall, 2), "rtf": round(wall / res.duration, 3),
                "translate_extra_s": round(translate_s - wall, 2),
                "translations": [s.translation for s in translated.segments if s.translation],
                "faster_whisper": fw_langs}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="CTranslate2 CPU threads (default 2)")
    ap.add_argument("--json", action="store_true", help="print the numbers as one JSON document")
    ap.add_argument("--no-synthetic", action="store_true", help="skip the espeak-ng part")
    args = ap.parse_args()

    from vidmm.metrics import WerCount, wer_count
    from vidmm.models.speech import load_speech_model
    from vidmm.tasks.transcribe import transcribe

    report: dict = {"cores": os.cpu_count(), "threads": args.threads, "repeat": args.repeat, "compute": "int8"}
    report["join"] = join_time()
    models, load = {}, {}
    for name in MODELS:
        t = time.perf_counter()
        models[name] = load_speech_model(name, cpu_threads=args.threads)
        load[name] = round(time.perf_counter() - t, 2)
        transcribe(str(MEDIA / "sr_english.wav"), models[name])  # warm up
    report["load_s"] = load
    refs = references()

    rows, pooled = [], {m: WerCount(0, 0) for m in MODELS}
    for name, lang in SPEECH.items():
        row: dict = {"file": name, "language": lang}
        for m in MODELS:
            wall, res = timed(lambda p=str(MEDIA / name), mm=models[m]: transcribe(p, mm), args.repeat)
            row["audio_s"] = round(res.duration, 2)
            row[m] = {"wall_s": round(wall, 2), "rtf": round(wall / res.duration, 3), "language": res.language,
                      "text": res.text}
            if m == "base":
                row[m]["probability"] = None if res.language_probability is None else round(res.language_probability, 3)
            if name in refs and lang == "en":
                segs = sorted(res.segments, key=lambda s: (s.channel or 0, s.start))
                count = wer_count(refs[name], " ".join(s.text for s in segs))
                pooled[m] = pooled[m] + count
                row[m]["errors"] = f"{count.errors}/{count.words}"
        rows.append(row)
    report["speech"] = rows
    report["pooled_wer"] = {m: {"wer": round(pooled[m].wer, 4), "errors": f"{pooled[m].errors}/{pooled[m].words}"}
                            for m in MODELS}
    report["language_id_right"] = f"{sum(r['base']['language'] == r['language'] for r in rows)}/{len(rows)}"
    audio = sum(r["audio_s"] for r in rows)
    report["rtf"] = {m: round(sum(r[m]["wall_s"] for r in rows) / audio, 3) for m in MODELS}

    empty = []
    for name in NON_SPEECH:
        res = transcribe(str(MEDIA / name), models["base"], word_timestamps=True)
        empty.append({"file": name, "words": len(res.words), "text": res.text, "notes": res.notes,
                      "dropped": [d.reason for d in res.dropped]})
    res = transcribe(np.zeros(60 * 16000, np.float32), models["base"])
    empty.append({"file": "(60 s digital silence)", "words": len(res.words), "text": res.text, "notes": res.notes})
    report["no_speech"] = empty
    if not args.no_synthetic:
        report["synthetic"] = synthetic(models["base"], 1, args.threads)

    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    print(f"int8, {args.threads} threads of {report['cores']} cores; median of {args.repeat}; join of whisper-base "
          f"{report['join']['join_s']} s ({report['join']['bytes'] / 1e6:.0f} MB); load {load}")
    print(f"{'file':26s} {'audio':>6s} | {'base RTF':>8s} {'err':>6s} {'lang':>5s} {'p':>5s} | {'tiny RTF':>8s} {'err':>6s}")
    for r in rows:
        b, t = r["base"], r["tiny.en"]
        print(f"{r['file']:26s} {r['audio_s']:6.2f} | {b['rtf']:8.3f} {b.get('errors', '-'):>6s} {b['language']:>5s} "
              f"{b['probability'] if b['probability'] is not None else '-':>5} | {t['rtf']:8.3f} {t.get('errors', '-'):>6s}")
    p = report["pooled_wer"]
    print(f"pooled WER: base {p['base']['wer']:.3f} ({p['base']['errors']}), tiny.en {p['tiny.en']['wer']:.3f} "
          f"({p['tiny.en']['errors']}); language right {report['language_id_right']}; RTF over all speech files: "
          f"base {report['rtf']['base']}, tiny.en {report['rtf']['tiny.en']}")
    print("\nno speech (base):")
    for r in empty:
        print(f"  {r['file']:28s} words={r['words']} text={r['text']!r} {r['notes']} {r.get('dropped', '')}")
    syn = report.get("synthetic")
    if syn and "skipped" not in syn:
        print("\nsynthetic (espeak-ng) language identification:",
              ", ".join(f"{k}->{v['detected']} {v['probability']}" for k, v in syn["language_id"].items()))
        for key in ("en_es", "en_de"):
            s = syn[key]
            print(f"\n{key}: {s['audio_s']} s, {s['detection_passes']} detection passes, runs {s['runs']}, "
                  f"languages {s['languages']}, RTF {s['rtf']}, --translate +{s['translate_extra_s']} s")
            for lang, start, text in s["segments"]:
                print(f"  {lang} {start:5.1f}  {text[:80]}")
            for k, v in s["faster_whisper"].items():
                print(f"  faster-whisper {k}: language {v['language']}, {v['segments']} segments, ends: "
                      f"...{v['text_end'][-70:]!r}")


if __name__ == "__main__":
    main()
