"""The operation reference, from the operation registry: the summary table of
``wagtail_gan.operations.docs`` (the same one docs/image-edits.md carries) and, per operation, its
spec forms, where it can be used, its strength, fallback, models and the error a bad spec
gets."""

from __future__ import annotations

from .django_env import package_defaults
from .markdown import code, label, prose

STRENGTH = {
    "spec": "part of the spec: `{name}-<1..100>` blends the result with the input",
    "blend": "editor/API jobs take an optional `strength` (0 < s ≤ 1) that blends the "
             "result with the input",
    None: "none",
}


def refusal(name: str) -> str:
    """What the registry answers to a spec with an argument the operation does not know."""
    from wagtail_gan.operations import InvalidSpec, parse_spec

    bad = f"{name}-zzz"
    try:
        parse_spec(bad)
    except InvalidSpec as exc:
        return f"`{bad}` is refused with: *{prose(str(exc))}*"
    return ""


def section(op) -> str:
    from wagtail_gan.operations import docs

    where = [w for w, yes in (("Wagtail image tags (a rendition filter)", op.filter),
                              ("editor and API variants", op.variant)) if yes]
    facts = [
        "- **Spec forms**: " + ", ".join(code(form) for form in op.grammar()),
        "- **Used in**: " + ("; ".join(where) or "its own endpoint and admin page"),
        "- **Strength**: " + STRENGTH.get(op.strength, str(op.strength)).format(name=op.name),
    ]
    if op.needs_instruction:
        facts.append("- **Needs** the editor's instruction (the API's `instruction`) as its "
                     "prompt")
    if op.filter:
        facts.append(f"- **Fallback while pending**: {docs.fallback_text(op)}")
    models = docs.default_models(op)
    facts.append("- **Default models**: " + (", ".join(
        f"{{ref}}`{m} <{label('model', m)}>`" for m in models) or "—"))
    bad = refusal(op.name)
    if bad:
        facts.append(f"- **Errors**: {bad}")
    return (f"({label('operation', op.name)})=\n## {op.label} (`{op.name}`)\n\n"
            f"{prose(op.description)}\n\n" + "\n".join(facts) + "\n")


def render() -> str:
    from wagtail_gan.operations import docs
    from wagtail_gan.operations.registry import all_operations

    with package_defaults():
        return "\n".join([docs.table()] + [section(op) for op in all_operations()])
