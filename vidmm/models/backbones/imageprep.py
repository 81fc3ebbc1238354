"""Image preprocessing in torch alone (no PIL, no torchvision): resize, centre crop, normalise.

Every backbone describes its preprocessing with an `ImagePrep`; the description goes into the backbone's
fingerprint, since changing it changes every embedding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# PIL resample codes used in Hugging Face preprocessor configs -> torch interpolate modes.
_PIL_RESAMPLE = {0: "nearest", 2: "bilinear", 3: "bicubic", 1: "bilinear", 4: "bilinear", 5: "bicubic"}


@dataclass(frozen=True)
class ImagePrep:
    """``shortest_edge``: resize so the shorter side has this length (aspect kept), then centre crop
    ``crop`` x ``crop``; or ``resize_hw``: resize to exactly (h, w) (aspect not kept, as SigLIP)."""

    crop: int = 224
    shortest_edge: int | None = 224
    resize_hw: tuple[int, int] | None = None
    mode: str = "bicubic"
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)

    def key(self) -> str:
        r = f"s{self.shortest_edge}" if self.resize_hw is None else f"r{self.resize_hw[0]}x{self.resize_hw[1]}"
        m = ",".join(f"{v:.4g}" for v in self.mean + self.std)
        return f"{r}c{self.crop}{self.mode[:3]}[{m}]"

    @classmethod
    def from_hf_config(cls, cfg: dict, default_size: int = 224) -> ImagePrep:
        """From a Hugging Face ``preprocessor_config.json`` (CLIPImageProcessor, SiglipImageProcessor)."""
        size = cfg.get("size", default_size)
        crop = cfg.get("crop_size", None)
        mode = _PIL_RESAMPLE.get(int(cfg.get("resample", 3)), "bicubic")
        mean = tuple(float(v) for v in cfg.get("image_mean", (0.5, 0.5, 0.5)))
        std = tuple(float(v) for v in cfg.get("image_std", (0.5, 0.5, 0.5)))
        if isinstance(size, dict) and "shortest_edge" in size:
            edge = int(size["shortest_edge"])
            if isinstance(crop, dict):
                c = int(crop.get("height", edge))
            else:
                c = int(crop or edge)
            return cls(crop=c if cfg.get("do_center_crop", True) else edge, shortest_edge=edge, mode=mode,
                       mean=mean, std=std)
        if isinstance(size, dict):
            h, w = int(size.get("height", default_size)), int(size.get("width", default_size))
        else:
            h = w = int(size)
        return cls(crop=min(h, w), shortest_edge=None, resize_hw=(h, w), mode=mode, mean=mean, std=std)

    def __call__(self, images: Sequence[np.ndarray], device: str = "cpu"):
        """RGB uint8 HxWx3 arrays -> (N, 3, crop, crop) float32 tensor."""
        import torch
        from torch.nn import functional as F

        out = []
        for image in images:
            a = np.asarray(image)
            if a.ndim != 3 or a.shape[2] != 3:
                raise ValueError(f"expected an HxWx3 RGB image, got shape {a.shape}")
            t = torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1).unsqueeze(0).float()
            h, w = a.shape[:2]
            if self.resize_hw is not None:
                nh, nw = self.resize_hw
            else:
                scale = self.shortest_edge / min(h, w)
                nh, nw = max(self.crop, round(h * scale)), max(self.crop, round(w * scale))
            if (nh, nw) != (h, w):
                antialias = self.mode in ("bilinear", "bicubic")
                t = F.interpolate(t, size=(nh, nw), mode=self.mode, antialias=antialias,
                                  **({} if self.mode == "nearest" else {"align_corners": False}))
            top, left = (nh - self.crop) // 2, (nw - self.crop) // 2
            if self.resize_hw is None or (nh, nw) != (self.crop, self.crop):
                t = t[:, :, top : top + self.crop, left : left + self.crop]
            out.append(t)
        x = torch.cat(out).clamp_(0, 255).div_(255.0)
        mean = torch.tensor(self.mean, dtype=x.dtype).view(1, 3, 1, 1)
        std = torch.tensor(self.std, dtype=x.dtype).view(1, 3, 1, 1)
        return ((x - mean) / std).to(device)
