"""The optional generative captioner's loading and generation path, on a TINY RANDOMLY INITIALISED model.

Random weights say nothing about caption quality: these tests check plumbing only (a folder saved with
save_pretrained loads through vidmm.models.captioner.load_captioner offline, generates a string for a
frame, and `caption(..., captioner)` puts it into the shot sentences). No real vision-language weights
(e.g. SmolVLM2) were available offline where this was written.
"""

from __future__ import annotations

import pytest
from conftest import media


@pytest.fixture(scope="module")
def tiny_random_blip(tmp_path_factory):
    """A 2-layer BLIP captioner with random weights and a 30-word vocabulary, saved like a real model."""
    import torch
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
    )

    folder = tmp_path_factory.mktemp("tiny-random-blip")
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "picture", "of", "dog", "man", "stage",
             "street", "on", "in", "the", "with", "music", "people", "kitchen", "cake", "is", "are",
             "sitting", "running", "red", "blue", "and", "tree", "car", "."]
    (folder / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    tok = BertTokenizer(str(folder / "vocab.txt"))
    tok.bos_token = "[CLS]"
    proc = BlipProcessor(BlipImageProcessor(size={"height": 32, "width": 32}), tok)
    torch.manual_seed(0)
    cfg = BlipConfig(
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                       "image_size": 32, "patch_size": 8},
        text_config={"vocab_size": len(words), "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                     "num_attention_heads": 2, "encoder_hidden_size": 32, "max_position_embeddings": 64,
                     "bos_token_id": 2, "sep_token_id": 3, "pad_token_id": 0},
        projection_dim=32)
    model = BlipForConditionalGeneration(cfg)
    model.save_pretrained(folder)
    proc.save_pretrained(folder)
    return folder


def test_random_tiny_captioner_loads_offline_and_generates_text(tiny_random_blip):
    import numpy as np

    from vidmm.models.captioner import load_captioner

    cap = load_captioner(tiny_random_blip)
    assert not cap.chat
    text = cap.describe(np.zeros((48, 64, 3), np.uint8), max_new_tokens=5)
    assert isinstance(text, str)


def test_random_tiny_captioner_feeds_the_caption_task(tiny_random_blip, private_cache):
    from vidmm.cache import Cache
    from vidmm.features import Extractor
    from vidmm.models.captioner import load_captioner
    from vidmm.tasks.caption import CaptionModels, caption

    ex = Extractor(cache=Cache())
    models = CaptionModels.load(ex, faces=False, sounds=False, speech=False)
    models.captioner = load_captioner(tiny_random_blip)
    res = caption(media("chaplin.mp4"), ex, models)
    assert res.models["captioner"] == str(tiny_random_blip)
    assert res.caption and all(s.caption for s in res.segments)


def test_missing_captioner_is_a_model_missing_error(tmp_path):
    from vidmm.errors import ModelMissingError
    from vidmm.models.captioner import load_captioner

    with pytest.raises(ModelMissingError):
        load_captioner("no-such-org/no-such-vlm-xyz")
    with pytest.raises(ModelMissingError):
        load_captioner(tmp_path)  # a folder without config.json
