"""``manage.py gan_sweep``: one pass of the rendition sweeper (the worker also runs it every
minute): re-queue lost jobs, expire stuck ones, delete fallback files past their grace."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Re-queue lost ML rendition jobs, expire stuck ones, delete superseded fallbacks."

    def handle(self, *args, **options):
        from wagtail_gan.renditions import sweep

        counts = sweep()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
