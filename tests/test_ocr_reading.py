"""How the text channel reads, with the real PP-OCRv6 models on real media: vidmm's own pre- and
post-processing reads what rapidocr's pipeline reads; looking first at a small copy finds the small text
the detector finds at full size."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import media

RECEIPT = media("mmocr_receipt.jpeg")


def _rgb(path) -> np.ndarray:
    from PIL import Image, ImageOps

    return np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))


@pytest.fixture(scope="module")
def model():
    from vidmm.models.ocr import load_ocr

    return load_ocr()


def test_vidmm_reads_what_rapidocr_reads_on_the_labelled_photos(model):
    """Same boxes from the detector, same texts from the recogniser: vidmm's decoding follows rapidocr's
    (which it does not import: half a second per command)."""
    from rapidocr import RapidOCR
    from rapidocr.ch_ppocr_rec import TextRecInput

    from vidmm.models.ocr import DET_FILE, MAX_SIDE, REC_FILE, crop, model_dir

    folder = model_dir()
    engine = RapidOCR(params={"Global.log_level": "error", "Global.use_cls": False,
                              "Det.model_path": str(folder / DET_FILE), "Rec.model_path": str(folder / REC_FILE),
                              "Det.limit_type": "max", "Det.limit_side_len": MAX_SIDE})
    det, rec = engine._load_det_model(), engine._load_rec_model()
    for name in ("easyocr_street_sign_zh.jpg", "easyocr_road_sign_ko.png", "mmocr_receipt.jpeg"):
        rgb = _rgb(media(name))
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        theirs = np.asarray(det(bgr).boxes, np.float32)
        ours = model.detect(rgb)
        assert ours.shape == theirs.shape and len(ours) >= 4, name
        # the same boxes, in another order (rapidocr sorts them by rows)
        assert max(min(np.abs(q - t).max() for t in theirs) for q in ours) <= 1, name
        their_text = rec(TextRecInput(img=[crop(bgr, q) for q in theirs]))
        read = model.recognise(rgb, theirs)
        assert [t for t, _ in read] == [" ".join(str(t).split()) for t in their_text.txts], name
        assert max(abs(s - float(u)) for (_, s), u in zip(read, their_text.scores)) < 0.01, name


def test_regions_pad_what_rises_and_give_up_on_a_busy_picture():
    from vidmm.models.ocr_regions import LOW, regions

    prob = np.zeros((90, 160), np.float32)
    assert regions(prob, 640, 360) == []
    prob[40:44, 30:90] = 0.9  # a thin line of text on the small copy
    prob[70, 150] = LOW + 0.01  # a speck: not a region
    (x0, y0, x1, y1), = regions(prob, 640, 360)
    assert x0 < 4 * 30 and x1 > 4 * 90 and y0 < 4 * 40 and y1 > 4 * 44  # the line, padded, in full pixels
    assert (x1 - x0) * (y1 - y0) < 0.2 * 640 * 360
    assert regions(np.full((90, 160), 0.5, np.float32), 640, 360) is None  # read the whole picture


def test_looking_first_finds_the_small_lines_found_at_full_size(model):
    """The receipt at half a 720p frame's height (lines about 1.6 % of it): the boxes found by looking at
    a 360 px copy first read the same lines as the detector on the whole frame, and the full-size detector
    ran on a small part of the frame."""
    import cv2

    from vidmm.models.ocr import _bgr
    from vidmm.models.ocr_regions import regions
    from vidmm.tasks.ocr import match, norm

    pic = _rgb(RECEIPT)
    h = 360
    pic = cv2.resize(pic, (round(pic.shape[1] * h / pic.shape[0]), h), interpolation=cv2.INTER_AREA)
    frame = np.full((720, 1280, 3), 48, np.uint8)
    frame[180:180 + h, 400:400 + pic.shape[1]] = pic

    def texts(quads):
        return {norm(t) for t, s in model.recognise(frame, quads) if s >= model.min_score and len(norm(t)) > 1}

    whole, looked = texts(model.detect(frame)), texts(model.find(frame, 360))
    assert len(whole) >= 25
    missed = [t for t in whole if not any(match(t, u) >= 0.8 for u in looked)]  # (a box cut a little
    assert len(missed) <= 1, (missed, sorted(looked))  # differently may misread a letter)
    for phrase in ("grandemeal", "subtotal", "total", "12827", "mastercard"):
        assert any(phrase in t for t in looked), (phrase, sorted(looked))
    prob = model._map(_bgr(frame), (640, 360), area=True)[0, 0]
    where = regions(prob, 1280, 720)
    assert where and sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in where) < 0.5 * 1280 * 720
