"""Emotion's visual evidence: the faces on the sampled frames, followed as tracks, and what they show
in each segment. The faces and their expression probabilities come from the Extractor's cached face
channel (vidmm.channels); this module only tracks and weighs them."""

from __future__ import annotations

import numpy as np

from .emotion_result import Evidence, FaceObservation, FaceTrack


def _face_weight(score: float, box) -> float:
    height = box[3] - box[1]
    return float(score) * min(1.0, max(height, 0.0) / 48.0)


def analyze_faces(path: str, extractor, sampling, models) -> tuple[list[FaceObservation], list[float], list[int]]:
    """Faces and expression probabilities on each sampled frame (the extractor's cached face channel, with
    ``models.detector`` and ``models.expression``), with IoU track ids. Returns (observations, frame
    times, faces per frame)."""
    from ..models.faces import Face, IoUTracker

    found = extractor.faces(path, models.detector, sampling, models.expression)
    tracker = IoUTracker()
    obs: list[FaceObservation] = []
    counts = []
    for i, t in enumerate(found.times):
        idx = found.faces_on(i)
        faces = tracker.update([Face(tuple(float(v) for v in found.boxes[k]), float(found.scores[k])) for k in idx])
        for k, f in zip(idx, faces):
            obs.append(FaceObservation(float(t), int(f.track), f.box, f.score,
                                       np.asarray(found.probs[k], np.float64)))
        counts.append(len(faces))
    return obs, [float(t) for t in found.times], counts


def track_faces(obs: list[FaceObservation], min_frames: int = 2) -> tuple[list[FaceTrack], dict[int, int]]:
    """Tracks seen in at least ``min_frames`` frames (all tracks if none is), renumbered 1, 2, ... by first
    appearance. Returns the tracks and the map old id -> new id."""
    by: dict[int, list[FaceObservation]] = {}
    for o in obs:
        by.setdefault(o.track, []).append(o)
    keep = [k for k, v in by.items() if len(v) >= min_frames] or list(by)
    keep.sort(key=lambda k: by[k][0].time)
    renum = {k: i + 1 for i, k in enumerate(keep)}
    tracks = []
    for k in keep:
        v = by[k]
        w = np.array([_face_weight(o.score, o.box) for o in v]) + 1e-9
        p = (np.stack([o.probs for o in v]) * w[:, None]).sum(0) / w.sum()
        tracks.append(FaceTrack(renum[k], v[0].time, v[-1].time, len(v), p))
    return tracks, renum


def visual_evidence(obs, frame_times, frame_counts, a: float, b: float, renum) -> tuple[Evidence | None, list[int]]:
    in_seg = [i for i, t in enumerate(frame_times) if a <= t < b]
    if not in_seg:
        return None, []
    with_face = sum(1 for i in in_seg if frame_counts[i] > 0)
    seg_obs = [o for o in obs if a <= o.time < b]
    if not seg_obs:
        return Evidence(None, 0.0, detail={"frames": len(in_seg), "frames_with_faces": 0}), []
    w = np.array([_face_weight(o.score, o.box) for o in seg_obs]) + 1e-9
    p = (np.stack([o.probs for o in seg_obs]) * w[:, None]).sum(0) / w.sum()
    faces = sorted({renum[o.track] for o in seg_obs if o.track in renum})
    return Evidence(p, with_face / len(in_seg), detail={"frames": len(in_seg), "frames_with_faces": with_face}), faces
