"""Hugging Face revisions pinned on the Models page (or through the API), kept in the
database (``ModelPin``) until removed. The registry asks for them through the lookup set in
``AppConfig.ready`` (``registry.pinned``): installs, verifications and the worker's model
loads use them; a revision in ``WAGTAIL_GAN["MODELS"]`` (or a built-in one) wins.

Web tier and worker alike (no ML imports).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..conf import gan_settings
from ..models import ModelPin
from ..models_zoo.entries import COMMIT_RE


class PinRefused(ValueError):
    """A pin that cannot be kept; ``str(exc)`` says why (a 400 on field ``revision``)."""


def pinned_revision(model_id: str) -> str:
    """The revision pinned for ``model_id`` ("" for none): the registry's lookup."""
    return ModelPin.objects.filter(model_id=model_id).values_list("revision", flat=True).first() or ""


def clean_revision(entry, revision: str) -> str:
    """``revision`` normalised, or ``PinRefused`` saying why it cannot pin ``entry``."""
    revision = (revision or "").strip().lower()
    if entry.hf_source is None:
        raise PinRefused(_("Only a Hugging Face model is pinned to a revision."))
    if not entry.unpinned:
        raise PinRefused(_("“%(id)s” is pinned to %(rev)s by the site settings "
                           "(WAGTAIL_GAN['MODELS']), which win over a pin entered here.")
                         % {"id": entry.id, "rev": entry.hf_source.revision[:12]})
    if not COMMIT_RE.fullmatch(revision):
        raise PinRefused(_("A Hugging Face revision is a 40-character commit id (letters a–f "
                           "and digits), not a branch or tag name."))
    return revision


def set_pin(entry, revision: str, user=None) -> ModelPin:
    """Keep ``revision`` as ``entry``'s pin (replacing an earlier one)."""
    pin, _created = ModelPin.objects.update_or_create(
        model_id=entry.id, defaults={"revision": clean_revision(entry, revision), "user": user})
    return pin


def remove_pin(model_id: str) -> bool:
    return bool(ModelPin.objects.filter(model_id=model_id).delete()[0])


def pin_state(entry) -> dict:
    """What the page and the API show: the revision in use, and who pins it ("settings", the
    built-in entry, "page": a pin kept in the database, or "" for none)."""
    hf = entry.hf_source
    if hf is None:
        return {"revision": "", "pinned_by": ""}
    if not entry.unpinned:
        in_settings = entry.id in (gan_settings.MODELS or {})
        return {"revision": hf.revision, "pinned_by": "settings" if in_settings else "builtin"}
    revision = pinned_revision(entry.id)
    return {"revision": revision, "pinned_by": "page" if revision else ""}
