"""The management command reference: every ``wagtail_gan`` command's own ``--help``."""

from __future__ import annotations

import os
from unittest import mock

from .markdown import label, prose

WIDTH = "100"  # argparse wraps at $COLUMNS: a fixed width gives the same text everywhere


def command_names() -> list[str]:
    from django.core.management import find_commands
    from django.core.management.base import BaseCommand  # noqa: F401  (Django is set up)

    import wagtail_gan

    return sorted(find_commands(os.path.join(os.path.dirname(wagtail_gan.__file__),
                                             "management")))


def help_text(name: str) -> str:
    from django.core.management import load_command_class

    command = load_command_class("wagtail_gan", name)
    with mock.patch.dict(os.environ, {"COLUMNS": WIDTH}):
        return command.create_parser("manage.py", name).format_help().rstrip()


def render() -> str:
    from django.core.management import load_command_class

    parts = []
    for name in command_names():
        summary = prose(str(load_command_class("wagtail_gan", name).help))
        parts.append(f"({label('command', name)})=\n## `{name}`\n\n{summary}\n\n"
                     f"```text\n$ python manage.py {name} --help\n{help_text(name)}\n```\n")
    return "\n".join(parts)
