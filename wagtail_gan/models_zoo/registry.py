"""Model registry (torch-free)."""

from __future__ import annotations


def upscale_model_ids() -> list[str]:
    return []
