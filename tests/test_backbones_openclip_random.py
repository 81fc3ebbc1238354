"""open_clip backbones, loaded as users load them, from a tiny RANDOM-weight model.

open_clip needs torchvision, so this module runs only where the optional extra `openclip` is installed
(skipped otherwise). It registers a tiny architecture from a config dict, saves a random-weight checkpoint
as safetensors and loads it through `load_backbone("openclip:...")`. Plumbing only: shapes, unit norm,
batching, truncation, fingerprints, errors; never quality.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

open_clip = pytest.importorskip("open_clip")

from vidmm.errors import ModelMissingError  # noqa: E402
from vidmm.models.backbones import _loaded, load_backbone  # noqa: E402

ARCH = "vidmm-tiny-random"
CONTEXT = 16
MODEL_CFG = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 32, "head_width": 16, "patch_size": 8},
    "text_cfg": {"context_length": CONTEXT, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2},
}


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    """A folder as open_clip's hf-hub/local-dir layout has it: open_clip_config.json + safetensors weights."""
    import torch
    from safetensors.torch import save_model

    d = tmp_path_factory.mktemp("openclip-random")
    (d / f"{ARCH}.json").write_text(json.dumps(MODEL_CFG))
    open_clip.add_model_config(d / f"{ARCH}.json")
    torch.manual_seed(0)
    model = open_clip.create_model(ARCH, pretrained=None)
    folder = d / "model"
    folder.mkdir()
    save_model(model, str(folder / "open_clip_model.safetensors"))
    (folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": MODEL_CFG, "preprocess_cfg": {}}))
    return folder


@pytest.fixture(scope="module")
def tiny(tiny_dir):
    return load_backbone("openclip:" + str(tiny_dir))


def test_random_weights_open_clip_folder_loads(tiny, tiny_dir):
    """Random weights: the folder loads via `openclip:PATH` and as a bare path; attributes are filled in."""
    assert tiny.dim == 16 and tiny.input_size == 32 and tiny.logit_scale > 0 and not tiny.sigmoid
    _loaded.clear()
    again = load_backbone(str(tiny_dir))
    assert type(again).__name__ == "OpenClipBackbone"
    assert again.fingerprint == tiny.fingerprint


def test_random_weights_open_clip_checkpoint_with_arch(tiny, tiny_dir):
    """Random weights: `openclip:ARCH:/path/ckpt.safetensors` for a registered architecture."""
    b = load_backbone(f"openclip:{ARCH}:{tiny_dir / 'open_clip_model.safetensors'}")
    frames = [np.full((40, 60, 3), 90, dtype=np.uint8)]
    assert np.allclose(b.encode_frames(frames), tiny.encode_frames(frames), atol=1e-5)


def test_random_weights_open_clip_shapes_norms_batching_truncation(tiny):
    """Random weights: unit vectors, batch of 5 == one by one, overlong texts truncated to the context."""
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (40 + 7 * i, 64, 3), dtype=np.uint8) for i in range(5)]
    batch = tiny.encode_frames(frames)
    single = np.concatenate([tiny.encode_frames([f]) for f in frames])
    assert batch.shape == (5, 16) and np.allclose(np.linalg.norm(batch, axis=1), 1, atol=1e-5)
    assert np.allclose(batch, single, atol=1e-5)
    texts = ["a dog", "a cat on a sofa", "x", "a city street at night", "dog"]
    tb = tiny.encode_texts(texts)
    tiny._text_lru.clear()
    assert np.allclose(tb, np.concatenate([tiny.encode_texts([t]) for t in texts]), atol=1e-5)
    head = " ".join(["word"] * (4 * CONTEXT))
    v = tiny.encode_texts([head + " apples", head + " boats"])
    assert np.isfinite(v).all() and np.allclose(v[0], v[1], atol=1e-6)
    assert tiny.encode_labels(["dog", "cat"]).shape == (2, 16)


def test_missing_open_clip_pretrained_offline_is_model_missing(monkeypatch, tmp_path):
    """With HF_HUB_OFFLINE=1 and an empty HF cache, a pretrained tag fails with exit code 4 and a hint."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    with pytest.raises(ModelMissingError) as err:
        load_backbone("openclip:ViT-B-32:laion2b_s34b_b79k")
    assert err.value.exit_code == 4 and "vidmm models pull" in err.value.one_line()
