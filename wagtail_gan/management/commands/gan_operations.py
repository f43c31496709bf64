"""``manage.py gan_operations``: the operations of this site as a Markdown table (from the
registry); ``--update FILE ...`` regenerates the marked tables in those files (docs/image-edits.md
in this repository), ``--check FILE ...`` only says which are out of date (exit 1)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wagtail_gan.operations import docs


class Command(BaseCommand):
    help = ("Print the operations table (Markdown), or regenerate (--update) / check (--check) "
            "the <!-- operations-table --> blocks of the files named.")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", type=Path)
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--update", action="store_true", help="rewrite the marked tables")
        mode.add_argument("--check", action="store_true",
                          help="exit 1 when a marked table differs from the registry's")

    def handle(self, *args, files, update, check, **options):
        if not (update or check):
            if files:
                raise CommandError("name files with --update or --check")
            self.stdout.write(docs.table(), ending="")
            return
        stale = []
        for path in files:
            text = path.read_text(encoding="utf-8")
            if not docs.BLOCK.search(text):
                raise CommandError(f"{path}: no <!-- operations-table --> block")
            new = docs.update_blocks(text)
            if new != text:
                stale.append(path)
                if update:
                    path.write_text(new, encoding="utf-8")
        verb = "updated" if update else "out of date"
        for path in stale:
            self.stdout.write(f"{path}: {verb}")
        if check and stale:
            raise CommandError("operations tables out of date: run "
                               "`manage.py gan_operations --update " +
                               " ".join(str(p) for p in stale) + "`")
