"""The model reference, from the model registry (``wagtail_gan.models_zoo.registry``): the
built-in entries as a fresh site has them (``WAGTAIL_GAN["UPSCALE_DEFAULTS"]`` applied)."""

from __future__ import annotations

from .django_env import package_defaults
from .markdown import cell, code, label, prose, table

SPEEDS = {"fast": "fast (about a second per megapixel on a CPU worker)",
          "slow": "slow (minutes per megapixel on a CPU: use a GPU worker)"}


def size_text(size: int | None) -> str:
    return f"{size / 1e6:.1f} MB" if size else "—"


def speed(entry) -> str:
    return entry.speed or entry.defaults.get("speed_class", "")


def offline_text(entry) -> str:
    if not entry.needs_weights:
        return "no weights"
    return "yes" if entry.installable_offline else "no: downloads"


def source_line(src) -> str:
    if src.kind == "url":
        digest = (f"sha256 {code(src.sha256)}" if src.sha256
                  else "trust on first use (no published sha256)")
        where = f"{code(src.url)}, {digest}"
    elif src.kind == "hf":
        where = f"Hugging Face {code(src.repo)} at " + (
            code(src.revision) if src.revision else "a revision the site pins")
    elif src.kind in ("package", "ncnn"):
        verb = "shipped in" if src.kind == "package" else "converted from the ncnn weights in"
        where = f"{verb} the {code(src.package)} package ({', '.join(map(code, src.files))})"
    else:
        where = f"a file the site provides ({code(src.path)})"
    note = f" — {cell(src.note)}" if src.note else ""
    return f"- {where}{note}"


def render() -> str:
    from wagtail_gan.models_zoo import registry

    with package_defaults():
        entries = [e for e in registry.entries().values() if e.origin == "builtin"]
    rows = [[f"{{ref}}`{e.id} <{label('model', e.id)}>`", e.task,
             ", ".join(map(code, e.default_for)) or "—", size_text(e.size), offline_text(e),
             speed(e) or "—", e.licence]
            for e in entries]
    parts = [table(["model", "task", "default for", "size", "offline install", "speed",
                    "licence"], rows)]
    for e in entries:
        facts = [f"- **Task**: {code(e.task)}; **family** (backend): {code(e.family)}"
                 + (f"; **scale**: {e.scale}x" if e.scale else "")]
        if e.default_for:
            facts.append("- **Default model for**: " + ", ".join(map(code, e.default_for)))
        facts.append(f"- **Licence**: {cell(e.licence)}")
        if speed(e):
            facts.append(f"- **Speed**: {SPEEDS.get(speed(e), speed(e))}")
        facts.append(f"- **Size**: {size_text(e.size)}; **installs offline**: "
                     f"{offline_text(e)}")
        if e.citation:
            facts.append(f"- **Cite**: {cell(e.citation)}")
        sources = "\n".join(source_line(s) for s in e.sources) or "- none (no weights)"
        summary = f"{prose(e.summary)}\n\n" if e.summary else ""
        parts.append(f"({label('model', e.id)})=\n## `{e.id}`\n\n{summary}"
                     f"{prose(e.description)}\n\n" + "\n".join(facts)
                     + f"\n\nWeights, in the order tried:\n\n{sources}\n")
    return "\n".join(parts)
