"""Speed and accuracy of `vidmm transcribe` with the default model (Whisper tiny.en, int8, CPU).

    python benchmarks/transcribe.py [--repeat 3] [--threads N] [--json]

Reports, per file: audio seconds, wall seconds (median of --repeat runs, no cache), real-time factor
(audio seconds per wall second: higher is faster), with and without word timestamps, and the word error
rate against MANIFEST.tsv where a reference exists. Then: the time to an empty transcript on audio
without speech (the speech gate answers before Whisper runs), a 60 s speech clip split into decode /
speech gate / Whisper, and the cached second call.
Media: ../shared/media (or VIDMM_MEDIA).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
MEDIA = Path(os.environ.get("VIDMM_MEDIA", REPO.parent / "shared" / "media"))

SPEECH = ["whisper_jfk.flac", "sr_english.wav", "ds_LDC93S1.wav", "fw_stereo_diarization.wav",
          "short_hamilton_clip.mp4", "mmaction2_test.avi", "sr_chinese.flac"]
LONG_CLIP = ["whisper_jfk.flac", "short_hamilton_clip.mp4", "mmaction2_test.avi", "skateboarding_dog.mp4",
             "ds_LDC93S1.wav", "sr_english.wav", "fw_stereo_diarization.wav", "flipping_a_pancake.mkv"]
NON_SPEECH = ["imagebind_bird_audio.wav", "imagebind_car_audio.wav", "big_buck_bunny_0_30.webm", "chaplin.mp4",
              "applausing.mp4"]


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="CTranslate2 CPU threads (default: all cores, <= 8)")
    ap.add_argument("--json", action="store_true", help="print the numbers as one JSON document")
    args = ap.parse_args()

    from vidmm.cache import Cache
    from vidmm.media.audio import load_audio
    from vidmm.metrics import WerCount, wer_count
    from vidmm.models.speech import load_speech_model
    from vidmm.models.vad import speech_spans
    from vidmm.tasks.transcribe import transcribe

    report: dict = {"model": "tiny.en", "cores": os.cpu_count(), "repeat": args.repeat}
    t = time.perf_counter()
    model = load_speech_model(cpu_threads=args.threads)
    report["model_load_s"] = round(time.perf_counter() - t, 3)
    transcribe(np.zeros(16000, np.float32) + 0.1 * np.sin(np.arange(16000) / 5).astype(np.float32), model)  # warm
    refs = references()

    rows, pooled = [], WerCount(0, 0)
    for name in SPEECH:
        path = str(MEDIA / name)
        wall, res = timed(lambda p=path: transcribe(p, model), args.repeat)
        wall_w, res_w = timed(lambda p=path: transcribe(p, model, word_timestamps=True), args.repeat)
        row = {"file": name, "audio_s": round(res.duration, 2), "wall_s": round(wall, 3),
               "rtf": round(res.duration / wall, 1), "wall_words_s": round(wall_w, 3),
               "rtf_words": round(res.duration / wall_w, 1), "language": res.language,
               "avg_logprob": None if res.avg_logprob is None else round(res.avg_logprob, 3), "text": res.text}
        if name in refs and res.language == "en":
            segs = sorted(res.segments, key=lambda s: (s.channel or 0, s.start))
            count = wer_count(refs[name], " ".join(s.text for s in segs))
            pooled = pooled + count
            row["wer"] = round(count.wer, 3)
            row["errors"] = f"{count.errors}/{count.words}"
        rows.append(row)
    report["speech"] = rows
    report["pooled_wer"] = {"wer": round(pooled.wer, 4), "errors": pooled.errors, "words": pooled.words}
    speech_rows = [r for r in rows if r["language"] == "en"]
    total_audio = sum(r["audio_s"] for r in speech_rows)
    report["overall_rtf"] = round(total_audio / sum(r["wall_s"] for r in speech_rows), 1)
    report["overall_rtf_words"] = round(total_audio / sum(r["wall_words_s"] for r in speech_rows), 1)

    empty = []
    for name in NON_SPEECH:
        path = str(MEDIA / name)
        wall, res = timed(lambda p=path: transcribe(p, model), args.repeat)
        empty.append({"file": name, "audio_s": round(res.duration, 2), "wall_s": round(wall, 3),
                      "text": res.text, "notes": res.notes})
    silence = np.zeros(60 * 16000, np.float32)
    wall, res = timed(lambda: transcribe(silence, model), args.repeat)
    empty.append({"file": "(60 s digital silence)", "audio_s": 60.0, "wall_s": round(wall, 4), "text": res.text,
                  "notes": res.notes})
    report["no_speech"] = empty

    # About 60 s of different real speech back to back (the same clip repeated would make Whisper's
    # repetition check fire and retry), split into its steps.
    ham = str(MEDIA / "short_hamilton_clip.mp4")
    decode_s, _ = timed(lambda: load_audio(ham), args.repeat)
    long_audio = np.concatenate([load_audio(str(MEDIA / n)) for n in LONG_CLIP])
    gate_s, _ = timed(lambda: speech_spans(long_audio), args.repeat)
    total_s, res = timed(lambda: transcribe(long_audio, model), 1)
    report["clip_60s"] = {"files": LONG_CLIP, "audio_s": round(len(long_audio) / 16000, 1),
                          "decode_10s_clip_s": round(decode_s, 3), "speech_gate_s": round(gate_s, 3),
                          "whisper_s": round(total_s - gate_s, 3), "total_s": round(total_s, 3),
                          "rtf": round(len(long_audio) / 16000 / total_s, 1), "segments": len(res.segments)}

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cache = Cache(root=tmp)
        first = transcribe(ham, model, cache=cache)
        second = transcribe(ham, model, cache=cache)
        report["cache"] = {"first_s": round(first.elapsed_s, 3), "second_s": round(second.elapsed_s, 4),
                           "speedup": round(first.elapsed_s / max(second.elapsed_s, 1e-6))}

    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    print(f"model tiny.en int8, {report['cores']} cores, load {report['model_load_s']} s; median of {args.repeat}")
    print(f"{'file':28s} {'audio':>6s} {'wall':>6s} {'RTF':>6s} {'+words':>7s} {'RTF':>6s}  {'WER':>11s}  lang")
    for r in rows:
        wer = f"{r['wer']:.3f} {r['errors']}" if "wer" in r else "-"
        print(f"{r['file']:28s} {r['audio_s']:6.2f} {r['wall_s']:6.2f} {r['rtf']:6.1f} {r['wall_words_s']:7.2f} "
              f"{r['rtf_words']:6.1f}  {wer:>11s}  {r['language']}")
    p = report["pooled_wer"]
    print(f"pooled WER (English references): {p['wer']:.3f} ({p['errors']}/{p['words']} words); "
          f"RTF on English speech: {report['overall_rtf']}x ({report['overall_rtf_words']}x with word timestamps)")
    print("\nno speech -> empty transcript")
    for r in empty:
        print(f"  {r['file']:28s} {r['audio_s']:6.2f} s audio -> {r['wall_s'] * 1000:7.1f} ms  text={r['text']!r} "
              f"{r['notes']}")
    c = report["clip_60s"]
    print(f"\n{c['audio_s']} s of speech: decode (10 s clip) {c['decode_10s_clip_s']} s, speech gate {c['speech_gate_s']} s, "
          f"Whisper {c['whisper_s']} s, total {c['total_s']} s, RTF {c['rtf']}x")
    k = report["cache"]
    print(f"cached second call: {k['first_s']} s -> {k['second_s']} s ({k['speedup']}x)")


if __name__ == "__main__":
    main()
