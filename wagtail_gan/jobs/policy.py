"""Improve on upload: ``WAGTAIL_GAN["IMPROVE_ON_UPLOAD"]`` rules propose variants of a new or
replaced image (``upscale-2x`` for small images, ``restore`` for heavily compressed JPEGs,
``removebg`` for a "Products" collection ...). A proposal is an ordinary variant job
(``source="policy"``) owned by the uploader: it runs on the worker and waits for review
(keep or discard) like an editor's variant. The original is never replaced.

A rule whose operation is not enabled or whose model is not installed proposes nothing (it
is logged): nobody is offered what cannot run. Proposals count against the uploader's
per-user budget (``JOB_RATE``, ``work.budget``); over it, the upload proposes nothing more
(logged), so a mass upload cannot queue unbounded work.
"""

from __future__ import annotations

import logging
from typing import Any

from PIL import Image as PILImage

from wagtail_gan.conf import gan_settings
from wagtail_gan.models import GenerationJob
from wagtail_gan.models_zoo.jpeg import jpeg_quality  # re-exported: policy.jpeg_quality
from wagtail_gan.operations import InvalidSpec, parse_steps
from wagtail_gan.work import submit as work_submit
from wagtail_gan.work.budget import OverBudget

from .submit import step_params

logger = logging.getLogger(__name__)

CONDITIONS = ("smaller_than", "jpeg_quality_below", "collection", "formats")


def _facts(image) -> dict[str, Any]:
    with image.open_file() as fh, PILImage.open(fh) as pil:
        return {"size": pil.size, "format": (pil.format or "").lower(),
                "jpeg_quality": jpeg_quality(pil) if pil.format == "JPEG" else None}


def reasons(rule: dict, image, facts: dict) -> list[str] | None:
    """Why ``rule`` applies to ``image`` (one phrase per condition), or None if it does not."""
    conditions = rule.get("if") or {}
    said = []
    if "smaller_than" in conditions:
        if max(facts["size"]) >= int(conditions["smaller_than"]):
            return None
        said.append(f"its longest side is {max(facts['size'])} px")
    if "jpeg_quality_below" in conditions:
        quality = facts["jpeg_quality"]
        if quality is None or quality >= int(conditions["jpeg_quality_below"]):
            return None
        said.append(f"it is a JPEG of estimated quality {quality}")
    if "collection" in conditions:
        wanted = str(conditions["collection"]).lower()
        collection = image.collection
        if collection is None or wanted not in (str(collection.pk), collection.name.lower()):
            return None
        said.append(f"it is in the collection “{collection.name}”")
    if "formats" in conditions:
        formats = {str(f).lower().replace("jpg", "jpeg") for f in conditions["formats"]}
        if facts["format"] not in formats:
            return None
        said.append(f"it is a {facts['format'].upper()}")
    return said


def config_errors() -> list[str]:
    """Rules that cannot work (for the system checks)."""
    errors = []
    for i, rule in enumerate(gan_settings.IMPROVE_ON_UPLOAD or []):
        if not isinstance(rule, dict) or not isinstance(rule.get("spec"), str):
            errors.append(f"IMPROVE_ON_UPLOAD[{i}] needs a 'spec' string")
            continue
        unknown = set(rule.get("if") or {}) - set(CONDITIONS)
        if unknown:
            errors.append(f"IMPROVE_ON_UPLOAD[{i}]: unknown conditions {sorted(unknown)} "
                          f"(use {', '.join(CONDITIONS)})")
        try:
            parse_steps(rule["spec"])
        except InvalidSpec as exc:
            errors.append(f"IMPROVE_ON_UPLOAD[{i}]: {exc}")
    return errors


def propose_improvements(image) -> list[GenerationJob]:
    """Create (and queue, after commit) one proposal job per rule that applies to ``image``."""
    rules = list(gan_settings.IMPROVE_ON_UPLOAD or [])
    if not rules or image.pk is None or image.is_svg():
        return []
    try:
        facts = _facts(image)
    except Exception:  # an unreadable upload: Wagtail reports it; nothing to propose
        logger.warning("wagtail-gan: cannot read image %s to propose improvements", image.pk)
        return []
    created = []
    for rule in rules:
        try:
            steps = parse_steps(rule["spec"])
        except (InvalidSpec, KeyError, TypeError):
            continue  # reported by the system checks
        said = reasons(rule, image, facts)
        if said is None:
            continue
        if not all(spec.op.variant and spec.op.is_enabled() and spec.op.is_available(spec)
                   and not spec.op.needs_instruction and not spec.op.inputs for spec in steps):
            logger.info("wagtail-gan: not proposing %s for image %s: not available here",
                        rule["spec"], image.pk)
            continue
        text = "|".join(spec.text for spec in steps)
        label = ", then ".join(spec.label for spec in steps)
        try:
            created.append(work_submit.create(
                GenerationJob, kind=GenerationJob.Kind.VARIANT,
                source=GenerationJob.Source.POLICY,
                user=image.uploaded_by_user, source_image=image, collection=image.collection,
                operation=text, params=step_params(steps, ""),
                interpretation={"spec": text, "label": label,
                                "explanation": "Proposed on upload because "
                                + " and ".join(said) + "."},
            ))
        except OverBudget:  # proposals count against the uploader's budget (JOB_RATE)
            logger.info("wagtail-gan: not proposing %s for image %s: its uploader is over "
                        "the job budget", rule["spec"], image.pk)
            break
    return created
