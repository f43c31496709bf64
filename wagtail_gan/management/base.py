"""What wagtail-gan's file commands (``gan_run``, ``gan_video``) share."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class OneLineErrorCommand(BaseCommand):
    """Any failure is one line (exit 1), never a traceback: the commands take users' files."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except CommandError:
            raise
        except KeyboardInterrupt:
            raise CommandError("interrupted") from None
        except Exception as exc:  # never a traceback for a user
            msg = str(exc).splitlines()[0] if str(exc) else ""
            raise CommandError(f"{type(exc).__name__}: {msg}") from None
