"""Enqueue a ping and wait for a worker to answer: is a ``run_huey`` consumer alive?"""

from __future__ import annotations

import time
import uuid

from django.core.management.base import BaseCommand, CommandError
from huey.contrib.djhuey import HUEY
from huey.exceptions import HueyException

from wagtail_gan.tasks import ping


class Command(BaseCommand):
    help = "Check that a wagtail-gan worker (manage.py run_huey) consumes this site's queue."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait")

    def handle(self, *args, timeout, **options):
        token = uuid.uuid4().hex
        started = time.monotonic()
        result = ping(token)
        if result is None:
            raise CommandError("The queue stores no results; cannot check the worker.")
        try:
            answer = result.get(blocking=True, timeout=timeout, revoke_on_timeout=True)
        except HueyException:
            answer = None
        if answer != token:
            raise CommandError(f"No worker answered within {timeout:.0f}s (queue {HUEY.name!r}).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Worker answered in {time.monotonic() - started:.2f}s on queue {HUEY.name!r} "
                f"({type(HUEY).__name__})."
            )
        )
