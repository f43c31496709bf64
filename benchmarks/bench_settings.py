"""Sandbox settings with one model thread, for benchmarks (web process and worker alike)."""

from sandbox.settings import *  # noqa: F403
from sandbox.settings import WAGTAIL_GAN

WAGTAIL_GAN = {**WAGTAIL_GAN, "TORCH_THREADS": 1, "DEVICE": "cpu"}
