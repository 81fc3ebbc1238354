"""`vidmm search --speech`: does what is said find its clip, in any language, without spoiling picture queries?

    python benchmarks/search_speech.py [--json]

The folder: the 13 labelled video clips of ../shared/media (symlinks), its five speech audio files, and,
when espeak-ng is installed, a synthetic Spanish reading (tests/speech_synth.py). Queries:
* the 13 labels (picture queries): is the described clip first, without and with --speech?
* speech queries, written as a person would ask (not the exact words): is the file that says it first?
  The Chinese and Spanish ones can only match through the English translation.
Then the cosines of every speech query with every file's best segment, matching file vs the others, from
which SPEECH_MIN and SPEECH_WEIGHT (vidmm/tasks/search_speech.py) were chosen.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
MEDIA = Path(os.environ.get("VIDMM_MEDIA", REPO.parent / "shared" / "media"))

SPEECH_FILES = ["whisper_jfk.flac", "sr_english.wav", "ds_LDC93S1.wav", "fw_stereo_diarization.wav",
                "sr_chinese.flac"]
#: (query, the file that says it). Paraphrases, not quotes.
SPEECH_QUERIES = [
    ("what you can do for your country", "whisper_jfk.flac"),
    ("counting to three", "sr_english.wav"),
    ("a dark suit washed in greasy water", "ds_LDC93S1.wav"),
    ("the wizard disappeared behind a curtain", "fw_stereo_diarization.wav"),
    ("work harder and be smarter", "short_hamilton_clip.mp4"),
    ("swirl in from the outer corner", "mmaction2_test.avi"),
    ("hurting your own foot", "sr_chinese.flac"),
    ("trains to the airport every twenty minutes", "es_reading.wav"),
]


def labelled() -> list[dict]:
    with open(MEDIA / "MANIFEST.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [r for r in rows if r["kind"] == "video" and r["task"] in ("action", "scene")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from speech_synth import espeak_available, reading

    from vidmm.cache import Cache
    from vidmm.features import Extractor
    from vidmm.models.speech import load_speech_model
    from vidmm.tasks import search_speech
    from vidmm.tasks.search import search

    folder = Path(tempfile.mkdtemp(prefix="search-speech-"))
    rows = labelled()
    for r in rows:
        (folder / r["file"]).symlink_to(MEDIA / r["file"])
    for name in SPEECH_FILES:
        (folder / name).symlink_to(MEDIA / name)
    queries = list(SPEECH_QUERIES)
    if espeak_available():
        import soundfile as sf

        sf.write(str(folder / "es_reading.wav"), reading("es"), 22050)
    else:
        queries = [q for q in queries if q[1] != "es_reading.wav"]
    extractor = Extractor(cache=Cache())
    model = load_speech_model()
    report: dict = {"clips": len(rows), "audio_files": len(SPEECH_FILES) + espeak_available(),
                    "speech_weight": search_speech.SPEECH_WEIGHT, "speech_min": search_speech.SPEECH_MIN}

    def first(query: str, speech: bool) -> str:
        res = search(folder, query, extractor, top_k=3, speech_model=model if speech else None)
        return res.results[0].file if res.results else ""

    for speech in (False, True):
        hits = sum(first(r["label"], speech) == r["file"] for r in rows)
        report[f"label_queries_first{'_with_speech' if speech else ''}"] = f"{hits}/{len(rows)}"
    found = {q: first(q, True) for q, _ in queries}
    report["speech_queries"] = [{"query": q, "want": want, "first": found[q], "ok": found[q] == want}
                                for q, want in queries]
    report["speech_queries_first"] = f"{sum(x['ok'] for x in report['speech_queries'])}/{len(queries)}"
    # cosines of each speech query with each file's best segment (SPEECH_MIN = 0 to see them all)
    keep = search_speech.SPEECH_MIN
    search_speech.SPEECH_MIN = -1.0
    files = [r["file"] for r in rows] + SPEECH_FILES + (["es_reading.wav"] if espeak_available() else [])
    right, wrong = [], []
    for q, want in queries:
        for rel, m in search_speech.speech_matches(folder, files, q, extractor, model).items():
            (right if rel == want else wrong).append(round(m.score, 3))
    search_speech.SPEECH_MIN = keep
    report["cosine_matching_file"] = sorted(right)
    report["cosine_other_files_top5"] = sorted(wrong)[-5:]
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    print(f"label queries, described clip first: {report['label_queries_first']} pictures only, "
          f"{report['label_queries_first_with_speech']} with --speech")
    print(f"speech queries, file that says it first: {report['speech_queries_first']}")
    for x in report["speech_queries"]:
        print(f"  {'ok ' if x['ok'] else 'MISS'} {x['query']!r} -> {x['first']} (want {x['want']})")
    print(f"cosine with the matching file's best segment: {report['cosine_matching_file']}")
    print(f"highest cosines with other files: {report['cosine_other_files_top5']}")


if __name__ == "__main__":
    main()
