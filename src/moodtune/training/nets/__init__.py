"""Architectures, registered by name: ``build_model(name, **kwargs)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from moodtune.errors import ConfigError

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}


def register(name: str) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    def deco(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        _REGISTRY[name] = fn
        return fn

    return deco


def build_model(name: str, **kwargs: Any) -> nn.Module:
    # Import for the side effect of registering the constructors.
    from moodtune.training.nets import cnn, efficientnet_lite  # noqa: F401

    if name not in _REGISTRY:
        raise ConfigError(f"unknown architecture {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](**kwargs)


def available() -> list[str]:
    from moodtune.training.nets import cnn, efficientnet_lite  # noqa: F401

    return sorted(_REGISTRY)
