"""Where to look for text: regions of a picture from the text detector's probability map on a small copy.

The detector (DBNet, vidmm.models.ocr) costs in proportion to the pixels it sees, and small text needs many
of them: a receipt line 1.6 % of the frame tall is found at 720 px and lost at 480 (docs/ocr.md). Most of
a video frame shows no text, though, and the detector's map on a copy at 360 px, read at a threshold well
under the one that makes boxes, still rises where small text is (docs/ocr.md measures it). ``regions``
turns that map into rectangles of the full picture, padded so a line cut short by the small copy is whole
in them; the detector then runs at full size on those rectangles only (``OcrModel.find``).
"""

from __future__ import annotations

import numpy as np

#: A pixel of the small copy's map at or above this may be text (the detector's own threshold is 0.3;
#: docs/ocr.md: at 0.1 a few lines 1.6 % of the frame high were missed, at 0.05 none).
LOW = 0.05
#: Padding around a region, in pixels of the small copy: ``PAD`` plus half the region's height, twice that
#: sideways (a line's ends fade first).
PAD = 6
#: Regions covering more than this share of the picture: the whole picture is read instead.
MOST = 0.5
#: Specks of fewer pixels of the small copy are not regions (noise on texture).
SPECK = 3
#: A region whose grey levels on the small copy spread less than this (standard deviation, 0-255) is flat:
#: no text, though the map rises there (up to 0.44 on an all-black frame, over 28 % of it: a fade).
FLAT = 4.0


def regions(prob: np.ndarray, width: int, height: int,
            grey: np.ndarray | None = None) -> list[tuple[int, int, int, int]] | None:
    """Rectangles (x0, y0, x1, y1) in pixels of a ``width`` x ``height`` picture that may hold text, from the
    detector's map ``prob`` on a small copy of it (and that copy in ``grey``, the same size: where it is
    flat there is no text, whatever the map says); ``[]`` when nothing rises, ``None`` when the regions
    would cover most of the picture (read it whole)."""
    import cv2

    mask = (prob >= LOW).astype(np.uint8)
    if grey is not None and float(grey.std()) < FLAT:
        return []
    if not mask.any():
        return []
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(mask, np.ones((3, 9), np.uint8)))
    ink = np.bincount(labels[mask > 0], minlength=n)  # pixels of each region that rose, before joining
    sx, sy = width / prob.shape[1], height / prob.shape[0]
    rects = []
    for (x, y, w, h, _), risen in zip(stats[1:], ink[1:]):  # (the letters of one line joined sideways)
        if risen < SPECK or (grey is not None and float(grey[y:y + h, x:x + w].std()) < FLAT):
            continue
        pad = PAD + h / 2
        rects.append([max(0.0, (x - 2 * pad) * sx), max(0.0, (y - pad) * sy),
                      min(float(width), (x + w + 2 * pad) * sx), min(float(height), (y + h + pad) * sy)])
    rects = _merged(rects)
    if sum((r[2] - r[0]) * (r[3] - r[1]) for r in rects) > MOST * width * height:
        return None
    return [(int(r[0]), int(r[1]), int(np.ceil(r[2])), int(np.ceil(r[3]))) for r in rects]


def _merged(rects: list[list[float]]) -> list[list[float]]:
    """Overlapping rectangles joined into their bounding rectangle, until none overlap."""
    while True:
        out: list[list[float]] = []
        for r in rects:
            for o in out:
                if r[0] < o[2] and o[0] < r[2] and r[1] < o[3] and o[1] < r[3]:
                    o[:] = [min(o[0], r[0]), min(o[1], r[1]), max(o[2], r[2]), max(o[3], r[3])]
                    break
            else:
                out.append(list(r))
        if len(out) == len(rects):
            return out
        rects = out
