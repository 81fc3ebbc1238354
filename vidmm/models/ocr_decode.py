"""The PP-OCR models' inputs and outputs: what goes around the two ONNX networks of vidmm.models.ocr.

The detector (DBNet) maps a picture to a probability of text per pixel; ``db_boxes`` turns that map into
quadrilaterals. The recogniser (SVTR, CTC head) maps a line 48 px high to a probability per character per
column; ``rec_batch`` makes its input and ``ctc_text`` reads its output. These follow PaddleOCR's
published post-processing with the settings rapidocr 3.10 uses for these models (``DB_*``, ``REC_*``), so
vidmm reads what rapidocr reads (tests/test_ocr.py compares the two on the labelled photos), without
importing rapidocr: its import reads its whole configuration and costs about half a second per command.
"""

from __future__ import annotations

import math

import numpy as np

#: A pixel of the map at or above this is text; a box whose mean probability is under ``DB_BOX`` is not
#: kept; kept boxes grow by ``DB_UNCLIP`` x area / perimeter (the network is trained on shrunk boxes).
DB_THRESH = 0.3
DB_BOX = 0.5
DB_UNCLIP = 1.6
DB_MAX_BOXES = 1000
DB_MIN_SIDE = 3
#: The recogniser's input height, the narrowest width ratio of a batch, lines per batch, and how much wider
#: than the narrowest line of a batch a line may be (every line is padded to the widest: a short line
#: batched with a long one costs as much as the long one).
REC_HEIGHT = 48
REC_MIN_RATIO = 320 / 48
REC_BATCH = 6
REC_SPREAD = 1.3


def normalised(bgr: np.ndarray) -> np.ndarray:
    """(1, 3, H, W) float32 in [-1, 1], the input both networks expect."""
    x = bgr.astype(np.float32) * np.float32(2 / 255) - np.float32(1)
    return x.transpose(2, 0, 1)[None]


def db_boxes(prob: np.ndarray, width: int, height: int) -> np.ndarray:
    """(N, 4, 2) float32 quads (clockwise from the top left) of the lines of text on a probability map
    ``prob`` (H, W), in pixels of a ``width`` x ``height`` picture."""
    import cv2

    h, w = prob.shape
    mask = cv2.dilate((prob > DB_THRESH).astype(np.uint8), np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(mask * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for contour in contours[:DB_MAX_BOXES]:
        points, side = _min_box(contour)
        if side < DB_MIN_SIDE or _mean_inside(prob, points) < DB_BOX:
            continue
        grown = _unclip(points)
        if grown is None:
            continue
        box, side = _min_box(grown)
        if side < DB_MIN_SIDE + 2:
            continue
        box[:, 0] = np.clip(np.round(box[:, 0] / w * width), 0, width)
        box[:, 1] = np.clip(np.round(box[:, 1] / h * height), 0, height)
        box = _clockwise(box.astype(np.int32).astype(np.float32))
        box[:, 0] = np.clip(box[:, 0], 0, width - 1).astype(np.int32)
        box[:, 1] = np.clip(box[:, 1], 0, height - 1).astype(np.int32)
        if int(np.linalg.norm(box[0] - box[1])) <= 3 or int(np.linalg.norm(box[0] - box[3])) <= 3:
            continue
        out.append(box)
    return np.array(out, np.float32).reshape(-1, 4, 2)


def _min_box(contour: np.ndarray) -> tuple[np.ndarray, float]:
    """The minimum-area rectangle around ``contour``: corners (top left, top right, bottom right, bottom
    left) and its shorter side."""
    import cv2

    rect = cv2.minAreaRect(contour)
    p = sorted(cv2.boxPoints(rect).tolist(), key=lambda q: q[0])
    left = (p[0], p[1]) if p[1][1] > p[0][1] else (p[1], p[0])  # (top, bottom)
    right = (p[2], p[3]) if p[3][1] > p[2][1] else (p[3], p[2])
    return np.array([left[0], right[0], right[1], left[1]], np.float32), min(rect[1])


def _mean_inside(prob: np.ndarray, box: np.ndarray) -> float:
    """Mean of ``prob`` inside the quad ``box``."""
    import cv2

    h, w = prob.shape
    x0, x1 = (int(np.clip(f(box[:, 0]), 0, w - 1)) for f in (lambda v: np.floor(v.min()), lambda v: np.ceil(v.max())))
    y0, y1 = (int(np.clip(f(box[:, 1]), 0, h - 1)) for f in (lambda v: np.floor(v.min()), lambda v: np.ceil(v.max())))
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    cv2.fillPoly(mask, [(box - [x0, y0]).astype(np.int32)], 1)
    return cv2.mean(prob[y0:y1 + 1, x0:x1 + 1], mask)[0]


def _unclip(box: np.ndarray) -> np.ndarray | None:
    """The box grown outwards by ``DB_UNCLIP`` x area / perimeter (rounded joins), as a contour."""
    import cv2
    import pyclipper

    length = cv2.arcLength(box, True)
    if length <= 0:
        return None
    distance = cv2.contourArea(box) * DB_UNCLIP / length
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(box.tolist(), pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    grown = offset.Execute(distance)
    if not grown:
        return None
    return np.array(grown[0], np.float32).reshape(-1, 1, 2)


def _clockwise(pts: np.ndarray) -> np.ndarray:
    """The four corners as top left, top right, bottom right, bottom left."""
    by_x = pts[np.argsort(pts[:, 0], kind="stable")]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1], kind="stable")]
    tr, br = right[np.argsort(right[:, 1], kind="stable")]
    return np.array([tl, tr, br, bl], np.float32)


def rec_batches(crops: list[np.ndarray]):
    """(indices, (B, 3, 48, W) float32) batches of line crops (BGR), lines of similar width together (at
    most ``REC_SPREAD`` apart): each crop scaled to 48 px high and padded on the right to the widest of its
    batch."""
    import cv2

    ratios = [max(REC_MIN_RATIO, c.shape[1] / c.shape[0]) for c in crops]
    order = [int(k) for k in np.argsort(ratios, kind="stable")]
    groups: list[list[int]] = []
    for k in order:
        if groups and len(groups[-1]) < REC_BATCH and ratios[k] <= REC_SPREAD * ratios[groups[-1][0]]:
            groups[-1].append(k)
        else:
            groups.append([k])
    for idx in groups:
        ratio = max(ratios[k] for k in idx)
        width = int(REC_HEIGHT * ratio)
        batch = np.zeros((len(idx), 3, REC_HEIGHT, width), np.float32)
        for j, k in enumerate(idx):
            h, w = crops[k].shape[:2]
            rw = min(width, int(math.ceil(REC_HEIGHT * w / h)))
            line = cv2.resize(crops[k], (rw, REC_HEIGHT))
            batch[j, :, :, :rw] = normalised(line)[0]
        yield idx, batch


def ctc_text(probs: np.ndarray, characters: list[str]) -> list[tuple[str, float]]:
    """(text, score) per line of the recogniser's output ``probs`` (B, T, C): the best character per column,
    repeats collapsed and blanks (index 0) dropped; the score is the mean probability of the characters
    kept (0 when none)."""
    best, p = probs.argmax(axis=2), probs.max(axis=2)
    out = []
    for row, prow in zip(best, p):
        keep = np.ones(len(row), bool)
        keep[1:] = row[1:] != row[:-1]
        keep &= row != 0
        text = "".join(characters[i] for i in row[keep])
        out.append((text, float(np.round(np.mean(prow[keep]), 5)) if keep.any() else 0.0))
    return out
