"""Optional generative captioner: a transformers vision-language model, from local files only.

``--captioner NAME`` takes a folder with a saved model (``config.json``, weights, processor files) or a
Hugging Face repo id that is already in the local Hugging Face cache (e.g.
``HuggingFaceTB/SmolVLM2-256M-Video-Instruct``); nothing is downloaded (vidmm runs offline). Any model
``AutoModelForImageTextToText`` knows loads the same way (SmolVLM/SmolVLM2, Idefics3, BLIP, ...).

Per shot the captioner sees the shot's middle frame and is asked for one sentence. Chat models (their
processor has a chat template) get the question as a chat turn; plain captioners (BLIP) get a short
text prefix. The rule-based caption stays the default: it is fast, and its words carry measured
confidences. No real VLM weights were available where vidmm was built, so only the loading and
generation path is tested (with a tiny randomly initialised model, tests/test_captioner_random.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelMissingError

PROMPT = "Describe this video frame in one short sentence."
PLAIN_PREFIX = "a picture of"
MAX_NEW_TOKENS = 40


def resolve(name: str | os.PathLike) -> Path:
    """A local folder, or the snapshot folder of a repo id in the local Hugging Face cache."""
    p = Path(name).expanduser()
    if p.is_dir():
        if not (p / "config.json").is_file():
            raise ModelMissingError(f"captioner folder {p} has no config.json",
                                    hint="point --captioner at a folder saved with save_pretrained")
        return p
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(str(name), local_files_only=True))
    except Exception:  # noqa: BLE001 - any failure means: not available offline
        raise ModelMissingError(
            f"captioner {name!r} is not a folder and not in the local Hugging Face cache",
            hint=f"download it once where there is network (`huggingface-cli download {name}`) "
                 "or pass a folder") from None


@dataclass
class Captioner:
    name: str
    model: Any
    processor: Any
    chat: bool

    def describe(self, image: np.ndarray, prompt: str = PROMPT, max_new_tokens: int = MAX_NEW_TOKENS) -> str:
        """One sentence about one RGB uint8 frame."""
        import torch
        from PIL import Image

        pil = Image.fromarray(np.asarray(image, dtype=np.uint8))
        if self.chat:
            messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}]
            text = self.processor.apply_chat_template(messages, add_generation_prompt=True)
            inputs = self.processor(text=text, images=[pil], return_tensors="pt")
        else:
            inputs = self.processor(images=pil, text=PLAIN_PREFIX, return_tensors="pt")
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
        start = inputs["input_ids"].shape[1] if self.chat else 0
        text = self.processor.batch_decode(out[:, start:], skip_special_tokens=True)[0]
        return " ".join(text.split()).strip()


def load_captioner(name: str | os.PathLike, device: str = "cpu") -> Captioner:
    """Load a vision-language model and its processor from local files only."""
    path = resolve(name)
    from transformers import AutoModelForImageTextToText, AutoProcessor

    processor = AutoProcessor.from_pretrained(str(path), local_files_only=True)
    model = AutoModelForImageTextToText.from_pretrained(str(path), local_files_only=True).to(device).eval()
    chat = bool(getattr(processor, "chat_template", None))
    return Captioner(str(name), model, processor, chat)
