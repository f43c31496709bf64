"""The ``WAGTAIL_GAN`` settings reference, from ``wagtail_gan.conf.SETTINGS`` (each key's
default and doc are declared together there)."""

from __future__ import annotations

from .markdown import code, label, literal, prose, table


def render() -> str:
    from wagtail_gan.conf import SETTINGS

    rows = [[f"{{ref}}`{name} <{label('setting', name)}>`", code(literal(s.default))]
            for name, s in SETTINGS.items()]
    parts = [table(["key", "default"], rows)]
    for name, setting in SETTINGS.items():
        default = literal(setting.default)
        shown = (f"Default: {code(default)}\n" if "\n" not in default
                 else f"Default:\n\n```python\n{default}\n```\n")
        parts.append(f"({label('setting', name)})=\n## `{name}`\n\n{shown}\n"
                     f"{prose(setting.doc)}\n")
    return "\n".join(parts)
