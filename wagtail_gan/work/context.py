"""Which rendition job the current worker thread is running (a context variable set by
``renditions.worker`` around Wagtail's ``generate_rendition_file``). Filter operations read
it to know they run on the worker (run the model) rather than in a web request (fallback)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class WorkerContext:
    filter: object
    job: object | None = None
    # Runs one operation: run(op, willow, image, env, filter, ctx) -> willow (set by the
    # worker, so the web-tier filter code never imports the engine).
    run: Callable | None = None
    model_ids: list[str] = field(default_factory=list)
    duration: float = 0.0


_worker_ctx: contextvars.ContextVar[WorkerContext | None] = contextvars.ContextVar(
    "wagtail_gan_worker", default=None
)


def current_worker_context() -> WorkerContext | None:
    return _worker_ctx.get()


def enter(ctx: WorkerContext):
    return _worker_ctx.set(ctx)


def leave(token) -> None:
    _worker_ctx.reset(token)
