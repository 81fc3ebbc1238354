"""Text search over a folder of clips: which clips, and which moments (shots), match a query.

Every clip is embedded once through the Extractor (shots + sampled frames, cached per file content), and
the folder gets an index: the frame vectors of all its clips in one array, so a query is one matrix
product plus pooling per shot and per clip (tasks/zeroshot.py), milliseconds for hundreds of clips.

Where the index lives: in vidmm's cache dir, ``<cache>/search/<key>/index.npz + index.json``, the key
hashing the folder's absolute path, the backbone fingerprint and the sampling. Not inside the folder:
folders of footage are often read-only or shared, and an index there would be picked up by backups and
sync tools. ``index.npz`` holds the arrays (saved and loaded with ``allow_pickle=False``), ``index.json``
the clips (relative path, size, mtime, shots, or the error that kept a clip out). Both carry a
generation number; a pair that does not match (a writer killed between the two files) is rebuilt.

Refresh: every search lists the folder (recursively, skipping hidden folders) and compares each video's
size and mtime with the index. New or changed clips are embedded, vanished ones dropped, and files that
failed are retried only once they change. Without changes the index is just read.

Scores are cosine similarities of the query's text embedding with the pooled frame embeddings (mean +
attention by similarity, as in `scene`), plus what the clip's on-screen text adds when it holds the query
(tasks/search_text.py), clips ranked by their score. With ``speech`` (``--speech``) what is said counts
too, in any language, and audio files are searched by it (tasks/search_speech.py). How often the described
clip comes first on the labelled clips, and the alternatives that did no better: docs/search.md.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..cache import make_key
from ..errors import InputError, UsageError, VidmmError
from ..fileio import atomic_write
from ..media.kinds import extensions
from .zeroshot import ATTN_SCALE, MIX, pool_groups

INDEX_VERSION = "search-index-v3"  # v2: the clips' on-screen text; v3: read on the sampled frames
#: What a folder's index holds: videos and photos (a photo is a one-frame clip).
SEARCHED_EXTS = extensions(("video", "image"))
#: Moments (shots) listed per clip.
MOMENTS_PER_CLIP = 3


# -- the index ------------------------------------------------------------------------------------------
@dataclass
class ClipEntry:
    path: str  # relative to the folder, "/"-separated
    size: int
    mtime_ns: int
    duration: float | None = None
    shots: list[tuple[float, float]] = field(default_factory=list)
    n_frames: int = 0
    error: str | None = None
    text: list | None = None  # [start, end, text] of the lines shown (tasks/search_text.py); None: not read

    def to_json(self) -> dict:
        return {"path": self.path, "size": self.size, "mtime_ns": self.mtime_ns, "duration": self.duration,
                "shots": [[round(a, 4), round(b, 4)] for a, b in self.shots], "n_frames": self.n_frames,
                "error": self.error, "text": self.text}

    @classmethod
    def from_json(cls, d: dict) -> ClipEntry:
        return cls(d["path"], int(d["size"]), int(d["mtime_ns"]), d.get("duration"),
                   [(float(a), float(b)) for a, b in d.get("shots", [])], int(d.get("n_frames", 0)), d.get("error"),
                   d.get("text"))


@dataclass
class FolderIndex:
    """All frame vectors of a folder's clips, with the clip and shot each frame belongs to."""

    folder: str
    fingerprint: str
    clips: list[ClipEntry]
    vectors: np.ndarray  # (N, D) float32, grouped by clip in `clips` order (failed clips have none)
    times: np.ndarray  # (N,)
    frame_clip: np.ndarray  # (N,) index into clips
    frame_shot: np.ndarray  # (N,) index into the flat shot table
    shot_clip: np.ndarray  # (S,)
    shot_start: np.ndarray  # (S,)
    shot_end: np.ndarray  # (S,)
    path: Path | None = None
    stats: dict = field(default_factory=dict)

    @property
    def ok_clips(self) -> int:
        return sum(c.error is None for c in self.clips)

    @classmethod
    def assemble(cls, folder: str, fingerprint: str, entries: list[tuple[ClipEntry, dict | None]]) -> FolderIndex:
        """Build the flat arrays from (entry, {"vectors", "times", "shot"}) pairs."""
        vecs, times, fclip, fshot, sclip, sstart, send = [], [], [], [], [], [], []
        clips = []
        dim = 0
        for entry, arrays in entries:
            ci = len(clips)
            clips.append(entry)
            if entry.error is not None or arrays is None:
                continue
            base = len(sclip)
            for a, b in entry.shots:
                sclip.append(ci)
                sstart.append(a)
                send.append(b)
            v = np.asarray(arrays["vectors"], np.float32)
            dim = v.shape[1]
            vecs.append(v)
            times.append(np.asarray(arrays["times"], np.float64))
            fclip.append(np.full(len(v), ci, np.int32))
            fshot.append(base + np.asarray(arrays["shot"], np.int32))
        return cls(
            folder, fingerprint, clips,
            np.concatenate(vecs) if vecs else np.zeros((0, dim), np.float32),
            np.concatenate(times) if times else np.zeros(0),
            np.concatenate(fclip) if fclip else np.zeros(0, np.int32),
            np.concatenate(fshot) if fshot else np.zeros(0, np.int32),
            np.asarray(sclip, np.int32), np.asarray(sstart, np.float64), np.asarray(send, np.float64),
        )

    def clip_arrays(self, ci: int) -> dict:
        m = self.frame_clip == ci
        first_shot = int(np.flatnonzero(self.shot_clip == ci)[0]) if np.any(self.shot_clip == ci) else 0
        return {"vectors": self.vectors[m], "times": self.times[m], "shot": self.frame_shot[m] - first_shot}

    # -- files ---------------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        gen = secrets.randbits(62)
        arrays = {"vectors": self.vectors, "times": self.times, "frame_clip": self.frame_clip,
                  "frame_shot": self.frame_shot, "shot_clip": self.shot_clip, "shot_start": self.shot_start,
                  "shot_end": self.shot_end, "generation": np.array([gen], np.int64)}
        meta = {"version": INDEX_VERSION, "folder": self.folder, "backbone": self.fingerprint,
                "generation": gen, "clips": [c.to_json() for c in self.clips]}
        atomic_write(path / "index.npz", lambda f: np.savez(f, **arrays), durable=False)
        atomic_write(path / "index.json", lambda f: f.write(json.dumps(meta, ensure_ascii=False).encode()),
                     durable=False)
        self.path = path

    @classmethod
    def load(cls, path: Path, fingerprint: str) -> FolderIndex | None:
        """The index saved at ``path``, or None when absent, damaged, stale or for another backbone."""
        try:
            meta = json.loads((path / "index.json").read_text(encoding="utf-8"))
            with np.load(path / "index.npz", allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None
        if (meta.get("version") != INDEX_VERSION or meta.get("backbone") != fingerprint
                or int(arrays.get("generation", [-1])[0]) != meta.get("generation")):
            return None
        idx = cls(meta["folder"], fingerprint, [ClipEntry.from_json(c) for c in meta["clips"]],
                  arrays["vectors"], arrays["times"], arrays["frame_clip"], arrays["frame_shot"],
                  arrays["shot_clip"], arrays["shot_start"], arrays["shot_end"], path)
        return idx


def list_videos(folder: Path, exts: frozenset[str] = SEARCHED_EXTS) -> list[tuple[str, os.stat_result]]:
    """(relative path, stat) of every video and photo (``exts``) under ``folder``, hidden folders skipped."""
    out = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or Path(name).suffix.lower() not in exts:
                continue
            full = Path(root) / name
            try:
                st = full.stat()  # follows symlinks: a linked clip counts as the clip
            except OSError:
                continue
            out.append((full.relative_to(folder).as_posix(), st))
    return out


def index_dir(folder: Path, extractor) -> Path:
    """Where the index of ``folder`` lives for this extractor's backbone and sampling (see module doc)."""
    from .. import __version__
    from ..media.shots import VERSION as SHOTS_VERSION

    # vidmm's version and the shot detector's: a new release may sample other frames for the same file.
    key = make_key(INDEX_VERSION, __version__, SHOTS_VERSION, str(folder.resolve()), extractor.backbone.fingerprint,
                   extractor.max_frames, extractor.frames_per_shot, extractor.fps)
    return Path(extractor.cache.root) / "search" / key[:32]


def build_index(folder: str | os.PathLike, extractor, progress=None, ocr=None) -> FolderIndex:
    """The folder's index, refreshed: unchanged clips reused, new/changed ones embedded, gone ones dropped.
    With an ``ocr`` model each clip's on-screen text is read too (once: a reused clip without it is read).

    ``progress(done, total, path)`` is called for each clip that has to be (re)embedded."""
    from .search_text import clip_text

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("is not a folder", path=str(folder), hint="vidmm search DIR \"QUERY\"")
    fp = extractor.backbone.fingerprint
    where = index_dir(folder, extractor)
    old = FolderIndex.load(where, fp) if extractor.cache.enabled else None
    known = {c.path: (i, c) for i, c in enumerate(old.clips)} if old is not None else {}
    files = list_videos(folder)
    todo = [rel for rel, st in files
            if rel not in known or (known[rel][1].size, known[rel][1].mtime_ns) != (st.st_size, st.st_mtime_ns)]
    entries: list[tuple[ClipEntry, dict | None]] = []
    stats = {"clips": len(files), "reused": 0, "added": 0, "updated": 0, "removed": 0, "failed": 0}
    done = 0
    read_text = False
    for rel, st in files:
        if rel not in todo:
            i, c = known[rel]
            if ocr is not None and c.text is None and c.error is None:
                c.text, read_text = clip_text(extractor, str(folder / rel), ocr), True
            entries.append((c, None if c.error else old.clip_arrays(i)))
            stats["reused"] += 1
            stats["failed"] += c.error is not None
            continue
        if progress is not None:
            progress(done, len(todo), rel)
        done += 1
        stats["updated" if rel in known else "added"] += 1
        entry = ClipEntry(rel, st.st_size, st.st_mtime_ns)
        path = str(folder / rel)
        try:
            info = extractor.require_video(path)
            fe = extractor.frame_embeddings(path)
            shots = extractor.shots(path)
        except VidmmError as err:
            entry.error = err.message
            stats["failed"] += 1
            entries.append((entry, None))
            continue
        entry.duration = info.duration
        entry.shots = [(s.start, s.end) for s in shots]
        entry.n_frames = len(fe)
        entry.text = clip_text(extractor, path, ocr) if ocr is not None else None
        entries.append((entry, {"vectors": fe.vectors, "times": fe.times, "shot": fe.shot}))
    stats["removed"] = len(set(known) - {rel for rel, _ in files})
    index = FolderIndex.assemble(str(folder.resolve()), fp, entries)
    if old is not None and not todo and not stats["removed"] and not read_text:
        index.path = where
    elif extractor.cache.enabled:
        index.save(where)
    index.stats = stats
    return index


# -- the query ------------------------------------------------------------------------------------------
@dataclass
class Moment:
    file: str
    start: float
    end: float
    score: float

    def to_dict(self, with_file: bool = True) -> dict:
        d = {"file": self.file} if with_file else {}
        d.update(start=round(self.start, 3), end=round(self.end, 3), score=round(float(self.score), 4))
        return d


@dataclass
class ClipHit:
    file: str
    score: float
    duration: float | None
    moments: list[Moment]
    speech: dict | None = None  # the best-matching transcript segment (--speech), when it matched
    text: list | None = None  # the on-screen line the query matched: [start, end, text]

    def to_dict(self) -> dict:
        best = self.moments[0] if self.moments else None
        d = {"file": self.file, "score": round(float(self.score), 4),
             "start": None if best is None else round(best.start, 3),
             "end": None if best is None else round(best.end, 3),
             "duration": None if self.duration is None else round(self.duration, 3),
             "moments": [m.to_dict(with_file=False) for m in self.moments]}
        if self.speech is not None:
            d["speech"] = self.speech
        if self.text:
            d["text"] = {"start": self.text[0], "end": self.text[1], "text": self.text[2]}
        return d


@dataclass
class SearchResult:
    folder: str
    query: str
    results: list[ClipHit]
    moments: list[Moment]
    models: dict
    index: dict
    elapsed_s: float = 0.0
    skipped: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        from .. import __version__

        return {"vidmm": __version__, "task": "search", "folder": self.folder, "query": self.query,
                "models": self.models, "index": self.index,
                "results": [r.to_dict() for r in self.results],
                "moments": [m.to_dict() for m in self.moments],
                "skipped": self.skipped,
                "elapsed_s": round(self.elapsed_s, 4)}


def rank(index: FolderIndex, query_vec: np.ndarray, top_k: int = 10,
         moments_per_clip: int = MOMENTS_PER_CLIP, query: str = "") -> tuple[list[ClipHit], list[Moment]]:
    """Clips ranked by the query (pooled over all their frames, plus what their on-screen text adds when
    it holds ``query``: tasks/search_text.py), each with its best shots; and the best shots of the folder."""
    from .search_text import text_bonus

    if len(index.vectors) == 0:
        return [], []
    n_clips, n_shots = len(index.clips), len(index.shot_clip)
    clip_scores = pool_groups(index.vectors, index.frame_clip, n_clips, query_vec, ATTN_SCALE, MIX)
    shot_scores = pool_groups(index.vectors, index.frame_shot, n_shots, query_vec, ATTN_SCALE, MIX)
    if not np.all(np.isfinite(shot_scores)):  # a shot with no sampled frame: its clip's score stands in
        missing = ~np.isfinite(shot_scores)
        shot_scores[missing] = clip_scores[index.shot_clip[missing]]
    clip_add, shot_add, matched = text_bonus(query, index) if query else (0.0, 0.0, {})
    clip_scores, shot_scores = clip_scores + clip_add, shot_scores + shot_add
    order = [int(c) for c in np.argsort(-clip_scores, kind="stable") if np.isfinite(clip_scores[c])][:top_k]
    hits = []
    for ci in order:
        clip = index.clips[ci]
        shots = np.flatnonzero(index.shot_clip == ci)
        best = shots[np.argsort(-shot_scores[shots], kind="stable")][:moments_per_clip]
        hits.append(ClipHit(clip.path, float(clip_scores[ci]), clip.duration,
                            [Moment(clip.path, float(index.shot_start[s]), float(index.shot_end[s]),
                                    float(shot_scores[s])) for s in best], text=matched.get(ci)))
    top_shots = np.argsort(-shot_scores, kind="stable")[:top_k]
    moments = [Moment(index.clips[index.shot_clip[s]].path, float(index.shot_start[s]), float(index.shot_end[s]),
                      float(shot_scores[s])) for s in top_shots]
    return hits, moments


def search(folder: str | os.PathLike, query: str, extractor, top_k: int = 10, progress=None,
           speech_model=None, ocr=None) -> SearchResult:
    """Rank the clips of ``folder`` (and their shots) by how well they match ``query``: with an ``ocr``
    model, by the text they show too; with a ``speech_model``, by what is said, audio files included
    (tasks/search_speech.py).

    ``elapsed_s`` covers the index refresh and the query, not model loading."""
    query = " ".join(str(query).split())
    if not query:
        raise UsageError("the query is empty", hint='vidmm search DIR "a dog on a skateboard"')
    backbone = extractor.backbone
    start = time.perf_counter()
    index = build_index(folder, extractor, progress, ocr)
    if index.ok_clips == 0:
        raise InputError("no readable video files (or photos) in this folder", path=str(folder),
                         hint=f"looked for {', '.join(sorted(SEARCHED_EXTS))}")
    qvec = backbone.encode_labels([query])[0]
    top_k = max(1, int(top_k))
    hits, moments = rank(index, qvec, top_k if speech_model is None else len(index.clips),
                         query=query if ocr is not None else "")
    models = {"backbone": backbone.fingerprint, **({"ocr": ocr.name} if ocr is not None else {})}
    if speech_model is not None:
        from ..media.kinds import extensions as kind_exts
        from .search_speech import fuse, speech_matches

        audio = [rel for rel, _ in list_videos(Path(folder), kind_exts(("audio",)))]
        files = [c.path for c in index.clips if c.error is None] + audio
        matches = speech_matches(Path(folder), files, query, extractor, speech_model, progress)
        durations = {c.path: c.duration for c in index.clips}
        durations.update({rel: extractor.probe(str(Path(folder) / rel)).duration for rel in matches if rel in audio})
        hits, moments = fuse(hits, moments, matches, durations, top_k)
        models["asr"] = speech_model.name
    return SearchResult(
        folder=str(folder), query=query, results=hits, moments=moments,
        models=models,
        index={"path": None if index.path is None else str(index.path), **index.stats},
        elapsed_s=time.perf_counter() - start,
        skipped=[{"file": c.path, "error": c.error} for c in index.clips if c.error is not None],
    )
