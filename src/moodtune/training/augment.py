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

    if cfg.blur_p > 0:
        out = _random_blur(out, cfg, generator)
    if cfg.noise_std > 0:
        sigma = (torch.rand(b, generator=generator) * cfg.noise_std).view(b, 1, 1, 1).to(x.device)
        noise = torch.randn(out.shape, generator=generator).to(x.device)
        out = (out + noise * sigma).clamp_(0.0, 1.0)

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


def _random_blur(x: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """Blur a random share ``blur_p`` of the faces with a Gaussian of random sigma (up to
    ``blur_sigma`` pixels at 48 px, scaled with the input size); the rest pass unchanged."""
    b, c, h, _ = x.shape
    scale = h / 48.0
    chosen = torch.rand(b, generator=generator) < cfg.blur_p
    sigma = (torch.rand(b, generator=generator) * cfg.blur_sigma * scale).clamp_min(1e-3)
    if not bool(chosen.any()):
        return x
    radius = max(1, math.ceil(2.5 * cfg.blur_sigma * scale))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernels = torch.exp(-(t[None, :] ** 2) / (2 * sigma[:, None] ** 2))
    kernels = (kernels / kernels.sum(1, keepdim=True)).to(x.device, x.dtype).repeat_interleave(c, 0)
    pad = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    # Separable: rows then columns, one kernel per face and channel (a grouped convolution).
    k, n = 2 * radius + 1, b * c
    flat = pad.reshape(1, n, *pad.shape[-2:])
    rows = F.conv2d(flat, kernels.view(n, 1, 1, k), groups=n)
    both = F.conv2d(rows, kernels.view(n, 1, k, 1), groups=n).reshape(x.shape)
    return torch.where(chosen.view(b, 1, 1, 1).to(x.device), both, x)
