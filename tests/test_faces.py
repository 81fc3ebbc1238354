"""Face detectors on the real faces in ../shared/media, and the IoU tracker across sampled frames."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
MEDIA = Path(os.environ.get("VIDMM_MEDIA", REPO.parent / "shared" / "media"))
MODELS = Path(os.environ.get("VIDMM_MODELS", REPO.parent / "shared" / "models"))
FACE_IMAGES = ["faceapi_happy.jpg", "faceapi_sad.jpg", "faceapi_angry.jpg", "faceapi_neutral.jpg",
               "deepface_img25.jpg", "deepface_img30.jpg", "facerec_obama.jpg"]

pytestmark = pytest.mark.skipif(not (MODELS / "yunet").is_dir() or not MEDIA.is_dir(),
                                reason="shared models/media not available")


def _rgb(name: str) -> np.ndarray:
    import cv2

    return cv2.imread(str(MEDIA / name))[:, :, ::-1].copy()


@pytest.fixture(scope="module")
def detectors():
    from vidmm.models.faces import load_detector

    return {n: load_detector(n, MODELS) for n in ("yunet", "ultraface-rfb-320", "ultraface-slim-320")}


@pytest.mark.parametrize("name", ["yunet", "ultraface-rfb-320", "ultraface-slim-320"])
def test_one_face_on_each_single_face_photo(detectors, name):
    for img_name in FACE_IMAGES:
        img = _rgb(img_name)
        faces = detectors[name].detect(img)
        assert len(faces) == 1, (name, img_name, len(faces))
        f = faces[0]
        x1, y1, x2, y2 = f.box
        assert 0 <= x1 < x2 <= img.shape[1] + 2 and 0 <= y1 < y2 <= img.shape[0] + 2
        assert f.score > 0.7
        # A face is a sizeable part of these portraits.
        assert f.width > 0.08 * img.shape[1]


def test_yunet_landmarks_sit_inside_the_face(detectors):
    f = detectors["yunet"].detect(_rgb("facerec_obama.jpg"))[0]
    assert f.landmarks.shape == (5, 2)
    x1, y1, x2, y2 = f.box
    assert np.all((f.landmarks[:, 0] > x1) & (f.landmarks[:, 0] < x2))
    assert np.all((f.landmarks[:, 1] > y1) & (f.landmarks[:, 1] < y2))
    eyes_y, mouth_y = f.landmarks[:2, 1].mean(), f.landmarks[3:, 1].mean()
    assert eyes_y < f.landmarks[2, 1] < mouth_y  # eyes above nose above mouth


def test_blank_frame_has_no_face(detectors):
    blank = np.full((360, 640, 3), 127, np.uint8)
    for d in detectors.values():
        assert d.detect(blank) == []


def test_birthday_clip_one_face_one_track(detectors):
    from vidmm.media.frames import Sampling, sample_frames
    from vidmm.models.faces import IoUTracker

    tracker = IoUTracker()
    tracks = []
    frames = list(sample_frames(MEDIA / "birthday.mp4", Sampling.every(1.0), size=360))
    assert len(frames) >= 15
    for fr in frames:
        faces = tracker.update(detectors["yunet"].detect(fr.image))
        assert len(faces) == 1
        tracks.append(faces[0].track)
    assert set(tracks) == {1}


def test_tracker_keeps_two_people_apart():
    from vidmm.models.faces import Face, IoUTracker

    tr = IoUTracker()
    a, b = (10, 10, 60, 70), (200, 20, 250, 80)
    ids1 = [f.track for f in tr.update([Face(a, 0.9), Face(b, 0.9)])]
    shifted = [Face((x + 8, y, x2 + 8, y2), 0.9) for x, y, x2, y2 in (b, a)]
    ids2 = [f.track for f in tr.update(shifted)]
    assert ids2 == ids1[::-1]
    tr.update([])  # one empty frame, then the first person again keeps the id
    assert tr.update([Face(a, 0.9)])[0].track == ids1[0]


def test_unknown_detector_is_a_usage_error():
    from vidmm.errors import UsageError
    from vidmm.models.faces import load_detector

    with pytest.raises(UsageError):
        load_detector("haar")
