"""Backbone registry and the shared Backbone plumbing (name resolution, config file, LRU, prompt ensembles).

No model weights are loaded here: the `CountingBackbone` below is a deterministic stand-in that only exercises
the base class's batching, normalisation and caching; it makes no claim about any model's quality."""

from __future__ import annotations

import numpy as np
import pytest

from vidmm.errors import ModelMissingError, UsageError
from vidmm.models import available_backbones
from vidmm.models.backbones import _kind, backbone_status, config_path, resolve_backbone_name
from vidmm.models.backbones.base import Backbone, l2_normalize, save_npy_atomic, weights_digest


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("VIDMM_BACKBONE", raising=False)
    monkeypatch.setenv("VIDMM_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("VIDMM_CACHE", str(tmp_path / "cache"))


def test_default_when_nothing_is_set():
    assert resolve_backbone_name() == "default"
    assert resolve_backbone_name("conse-effnetlite0-minilm") == "default"
    assert "default" in available_backbones()


def test_resolution_order_argument_env_config(monkeypatch, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('backbone = "openai/clip-vit-base-patch32"\n')
    monkeypatch.setenv("VIDMM_CONFIG", str(cfg))
    assert config_path() == cfg
    assert resolve_backbone_name() == "openai/clip-vit-base-patch32"
    monkeypatch.setenv("VIDMM_BACKBONE", "google/siglip-base-patch16-224")
    assert resolve_backbone_name() == "google/siglip-base-patch16-224"
    assert resolve_backbone_name("default") == "default"


def test_broken_config_file_is_a_usage_error(monkeypatch, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("backbone = \n")
    monkeypatch.setenv("VIDMM_CONFIG", str(cfg))
    with pytest.raises(UsageError) as err:
        resolve_backbone_name()
    assert "config.toml" in err.value.one_line()


def test_name_forms_pick_the_right_loader(tmp_path):
    assert _kind("default") == ("embedded", "default")
    assert _kind("openai/clip-vit-base-patch32") == ("hf", "openai/clip-vit-base-patch32")
    assert _kind("hf:google/siglip-base-patch16-224") == ("hf", "google/siglip-base-patch16-224")
    assert _kind("openclip:ViT-B-32:laion2b_s34b_b79k") == ("openclip", "ViT-B-32:laion2b_s34b_b79k")
    assert _kind("ViT-B-32:laion2b_s34b_b79k") == ("openclip", "ViT-B-32:laion2b_s34b_b79k")
    assert _kind("openclip:hf-hub:org/name") == ("openclip", "hf-hub:org/name")
    (tmp_path / "config.json").write_text("{}")
    assert _kind(str(tmp_path)) == ("hf", str(tmp_path))
    with pytest.raises(ModelMissingError):
        _kind(str(tmp_path / "nope" / "model"))
    with pytest.raises(UsageError):
        _kind("no such thing")


def test_status_of_the_default_says_present():
    row = backbone_status("default")
    assert row["present"] and row["size_bytes"] > 10_000_000 and "Apache" in row["license"]


class CountingBackbone(Backbone):
    """Deterministic stand-in for plumbing tests: a text's vector depends only on the text."""

    name = fingerprint = "counting"
    dim = 8
    text_batch_size = 3

    def __init__(self):
        super().__init__()
        self.text_calls = 0

    def _encode_frames_batch(self, images):
        return np.stack([np.asarray(im, dtype=np.float32).mean(axis=(0, 1)).tolist() + [1.0] * 5 for im in images])

    def _encode_texts_batch(self, texts):
        self.text_calls += len(texts)
        return np.stack([np.random.default_rng(abs(hash(t)) % 2**32).normal(size=self.dim) for t in texts])


def test_text_lru_and_prompt_ensemble():
    b = CountingBackbone()
    v = b.encode_texts(["a", "b", "a", "c", "d"])
    assert v.shape == (5, 8) and b.text_calls == 4
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert np.array_equal(v[0], v[2])
    b.encode_texts(["a", "b"])
    assert b.text_calls == 4  # from the LRU
    labels = b.encode_labels(["cat", "dog"], templates=["a photo of {}.", "{}"])
    manual = l2_normalize(b.encode_texts(["a photo of cat.", "cat"]).mean(axis=0))
    assert np.allclose(labels[0], manual, atol=1e-6)
    assert b.encode_labels([]).shape == (0, 8)


def test_frames_are_checked_and_normalised():
    b = CountingBackbone()
    frames = [np.full((4, 5, 3), i, dtype=np.uint8) for i in range(40)]
    v = b.encode_frames(frames)
    assert v.shape == (40, 8) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    with pytest.raises(ValueError):
        b.encode_frames([np.zeros((4, 4), dtype=np.uint8)])
    assert b.encode_frames([]).shape == (0, 8)


def test_atomic_npy_and_weights_digest(tmp_path):
    target = tmp_path / "x" / "a.npy"
    save_npy_atomic(target, np.arange(6, dtype=np.float32))
    assert np.array_equal(np.load(target), np.arange(6, dtype=np.float32))
    assert [p.name for p in target.parent.iterdir()] == ["a.npy"]
    w = tmp_path / "w.bin"
    w.write_bytes(b"weights")
    d1 = weights_digest([w])
    assert d1 == weights_digest([w]) and len(d1) == 12
    w.write_bytes(b"other weights")
    assert weights_digest([w]) != d1
