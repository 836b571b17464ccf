"""Batch augmentation in torch: random crop/shift, flip, small rotation and scale (one affine
warp per image), brightness/contrast jitter and random erasing. Shapes and the [0, 1] range are
kept; normalisation happens after."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from moodtune.training.config import AugmentConfig


def to_tensor(images_u8: torch.Tensor) -> torch.Tensor:
    """``(B, H, W)`` uint8 -> ``(B, 1, H, W)`` float in [0, 1]."""
    return images_u8.unsqueeze(1).float().div_(255.0)


def augment(x: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """Augment a ``(B, C, H, W)`` float batch in [0, 1]; returns a new tensor of the same shape."""
    b = x.shape[0]

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return torch.rand(b, generator=generator) * (hi - lo) + lo

    angle = uniform(-cfg.rotate_deg, cfg.rotate_deg) * (math.pi / 180)
    scale = uniform(1 - cfg.scale, 1 + cfg.scale)
    tx, ty = uniform(-cfg.shift, cfg.shift) * 2, uniform(-cfg.shift, cfg.shift) * 2
    flip = (torch.rand(b, generator=generator) < 0.5).float() * 2 - 1 if cfg.hflip else torch.ones(b)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    # Random draws stay on the CPU generator (reproducible on any device); the warp runs on x's.
    grid = F.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)

    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    contrast = uniform(1 - cfg.contrast, 1 + cfg.contrast).view(b, 1, 1, 1).to(x.device)
    bright = uniform(-cfg.brightness, cfg.brightness).view(b, 1, 1, 1).to(x.device)
    out = ((out - mean) * contrast + mean + bright).clamp_(0.0, 1.0)

    if cfg.erase_p > 0:
        h, w = out.shape[-2:]
        erase = torch.rand(b, generator=generator) < cfg.erase_p
        for i in torch.nonzero(erase).flatten().tolist():
            frac = float(torch.rand(1, generator=generator)) * cfg.erase_max_frac + 0.05
            eh, ew = max(1, int(h * math.sqrt(frac))), max(1, int(w * math.sqrt(frac)))
            top = int(torch.randint(0, h - eh + 1, (1,), generator=generator))
            left = int(torch.randint(0, w - ew + 1, (1,), generator=generator))
            out[i, :, top : top + eh, left : left + ew] = float(torch.rand(1, generator=generator))
    return out
