"""``manage.py gan_pregenerate --spec "width-800|upscale-2x" [--spec ...] [--collection NAME]``

Requests ML renditions for existing images: each image gets its fallback rendition at once and
one ``generate_rendition`` job per spec (deduplicated like page renders; already-done specs are
left alone). ``--sync`` runs the models in this process instead of queueing them.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import override_settings
from wagtail.images import get_image_model
from wagtail.images.exceptions import InvalidFilterSpecError
from wagtail.images.models import Filter, SourceImageIOError
from wagtail.models import Collection

from wagtail_gan.conf import gan_settings


class Command(BaseCommand):
    help = "Pre-generate ML renditions (fallback now, model on the worker) for existing images."

    def add_arguments(self, parser):
        parser.add_argument("--spec", action="append", required=True,
                            help="Filter spec, e.g. 'width-800|upscale-2x' (repeatable).")
        parser.add_argument("--collection", action="append", default=[],
                            help="Collection name or id (repeatable; includes descendants).")
        parser.add_argument("--sync", action="store_true",
                            help="Run the models here instead of queueing them.")

    def handle(self, *args, spec, collection, sync, **options):
        for text in spec:
            try:
                Filter(spec=text).operations  # noqa: B018 - validates every part
            except InvalidFilterSpecError as exc:
                raise CommandError(f"{text}: {exc}") from exc
        images = get_image_model().objects.order_by("pk")
        if collection:
            images = images.filter(collection__in=self._collections(collection))
        total = images.count()
        overrides = {}
        if sync:
            overrides = {"WAGTAIL_GAN": {**getattr(settings, "WAGTAIL_GAN", {}),
                                         "SYNC_RENDITIONS": True}}
        errors = 0
        with override_settings(**overrides):
            assert not sync or gan_settings.SYNC_RENDITIONS
            for n, image in enumerate(images.iterator(), 1):
                for text in spec:
                    try:
                        image.get_rendition(text)
                    except SourceImageIOError as exc:
                        errors += 1
                        self.stderr.write(f"\nimage {image.pk}: {exc}")
                self._progress(n, total)
        self.stdout.write("")
        self.stdout.write(f"{total} image(s), {len(spec)} spec(s), {errors} error(s).")

    def _collections(self, names):
        found = []
        for name in names:
            qs = Collection.objects.filter(pk=int(name)) if (name.isascii() and name.isdigit()) else \
                Collection.objects.filter(name=name)
            collection = qs.first()
            if collection is None:
                raise CommandError(f"No collection {name!r}")
            found += list(collection.get_descendants(inclusive=True))
        return found

    def _progress(self, n, total, width=30):
        filled = int(width * n / total) if total else width
        bar = "#" * filled + "." * (width - filled)
        end = "\n" if not sys.stdout.isatty() else ""
        self.stdout.write(f"\r[{bar}] {n}/{total}", ending=end)
        self.stdout.flush()
