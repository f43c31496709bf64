"""``manage.py gan_sweep``: one pass of the sweeper (the worker also runs it every minute):
re-queue lost rendition jobs, expire stuck ones, delete fallback files past their grace;
fail generation jobs whose worker died, re-queue (once) queued ones no worker picked up."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from wagtail_gan.tasks import sweep_renditions


class Command(BaseCommand):
    help = ("Re-queue lost ML rendition jobs, expire stuck ones, delete superseded fallbacks; "
            "fail generation jobs whose worker died, re-queue lost queued ones.")

    def handle(self, *args, **options):
        counts = sweep_renditions.call_local()  # the periodic task's body, run here
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
