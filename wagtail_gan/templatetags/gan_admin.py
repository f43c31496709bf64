"""Template tags of the admin editor actions (image edit page panel)."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.apps import apps
from django.db.models import Q
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from .. import permissions
from ..forms import VariantForm
from ..jobs import review_state
from ..jobs.review import operation_title
from ..models import GenerationJob, Variant
from ..models_admin.access import can_manage_models, models_url
from ..operations import describe
from ..operations.stylize import style_choices

register = template.Library()

SWATCH_PATH = "wagtail_gan/img/styles/style-{:02d}.jpg"
FAILED_JOBS_SHOWN_FOR = timedelta(days=1)


def style_swatches(image=None, user=None):
    """(index, label, swatch url, variant thumbnail image or None) for the 26 built-in styles.
    A style already applied to ``image`` (a kept variant that ``user`` can see) shows that
    variant instead."""
    made = {}
    if image is not None:
        variants = Variant.objects.filter(source_image=image, operation__regex=r"^stylize-\d+$",
                                          image__isnull=False)
        if user is not None:
            variants = variants.filter(image__in=permissions.visible_images(user))
        for v in variants.select_related("image"):
            made.setdefault(int(v.operation.split("-")[1]), v.image)
    return [(i, label, static(SWATCH_PATH.format(i)), made.get(i)) for i, label in style_choices()]


@register.inclusion_tag("wagtail_gan/admin/image_panel.html", takes_context=True)
def gan_image_panel(context, image, form=None):
    if not isinstance(image, Variant._meta.get_field("image").related_model):
        # An image of another model than the one wagtail-gan's tables point at (a
        # WAGTAILIMAGES_IMAGE_MODEL changed after migrating, or overridden in tests): no panel.
        return {"unsupported": True}
    request = context["request"]
    user = request.user
    policy = permissions.image_permission_policy()
    can_change = policy.user_has_permission_for_instance(user, "change", image)
    protected = permissions.is_protected(image)
    can_add = permissions.collections_user_can_add_to(user).exists()
    vector = image.is_svg()
    can_generate = can_change and can_add and not protected and not vector
    if can_generate and form is None:
        form = VariantForm(user=user, image=image)
    # Only what the user can see: variants kept in other collections are not listed, and a
    # source they may not see is said like a deleted one (no title, no link).
    visible = permissions.visible_images(user)
    variant_of = Variant.objects.filter(image=image).select_related("source_image", "user").first()
    variants = list(Variant.objects.filter(source_image=image, image__in=visible)
                    .select_related("image", "user")[:24])
    # What still needs the editor: running jobs, outputs to review, and failures of the last
    # day (older failures stay in the AI jobs listing, not on the image forever).
    recent_failure = Q(status=GenerationJob.Status.FAILED,
                       finished_at__gte=timezone.now() - FAILED_JOBS_SHOWN_FOR)
    open_jobs = list(
        GenerationJob.objects.filter(source_image=image, user=user)
        .filter(Q(status__in=GenerationJob.UNFINISHED_STATUSES) | recent_failure
                | review_state.QUERIES[review_state.AWAITING])
        .order_by("-created_at")[:5]
    )
    for job in open_jobs:
        job.title = operation_title(job)
    if variant_of is not None:
        variant_of.source_hidden = not user.is_superuser and (
            variant_of.source_image_pk is not None or variant_of.source_image_id is not None
        ) and not (variant_of.source_image_id
                   and visible.filter(pk=variant_of.source_image_id).exists())
        variant_of.title = operation_title(variant_of, user)
        overridden = (variant_of.interpretation or {}).get("overridden_by")
        variant_of.changed_to = describe(overridden) if overridden else ""
    for v in variants:
        v.title = operation_title(v, user)
    return {
        "unavailable_labels": form.unavailable_labels() if form is not None else [],
        "models_url": models_url() if can_manage_models(user) else None,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "image": image,
        "form": form,
        "can_generate": can_generate,
        "protected": protected,
        "vector": vector and can_change,
        # may edit the image but add to no collection: say why there is no panel
        "no_target": can_change and not can_add and not protected and not vector,
        "variant_of": variant_of,
        "variants": variants,
        "open_jobs": open_jobs,
        "swatches": style_swatches(image, user) if can_generate else [],
        # video clips go to wagtailmedia's library: the button only where it is installed
        "clip_url": (reverse("wagtail_gan_video:clip") + f"?image={image.pk}"
                     if apps.is_installed("wagtailmedia") else None),
        "action_url": reverse("wagtail_gan_admin:generate_variant", args=[image.pk]),
        "interpret_url": reverse("wagtail_gan_admin:interpret", args=[image.pk]),
    }


@register.simple_tag
def gan_variant_form_media():
    return VariantForm().media
