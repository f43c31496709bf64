"""Template tags of the admin editor actions (image edit page panel)."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.urls import reverse

from ..forms import VariantForm
from ..operations.stylize import style_choices

register = template.Library()

SWATCH_PATH = "wagtail_gan/img/styles/style-{:02d}.jpg"


def style_swatches(image=None):
    """(index, label, swatch url, variant thumbnail image or None) for the 26 built-in styles.
    A style already applied to ``image`` (a kept variant) shows that variant instead."""
    from ..models import Variant

    made = {}
    if image is not None:
        for v in Variant.objects.filter(source_image=image, operation__regex=r"^stylize-\d+$",
                                        image__isnull=False).select_related("image"):
            made.setdefault(int(v.operation.split("-")[1]), v.image)
    return [(i, label, static(SWATCH_PATH.format(i)), made.get(i)) for i, label in style_choices()]


@register.inclusion_tag("wagtail_gan/admin/image_panel.html", takes_context=True)
def gan_image_panel(context, image, form=None):
    from .. import permissions
    from ..models import GenerationJob, Variant

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
    variant_of = Variant.objects.filter(image=image).select_related("source_image", "user").first()
    variants = list(Variant.objects.filter(source_image=image).select_related("image", "user")[:24])
    open_jobs = list(
        GenerationJob.objects.filter(source_image=image, user=user)
        .exclude(status__in=[GenerationJob.Status.CANCELLED])
        .filter(result_image__isnull=True)
        .order_by("-created_at")[:10]
    )
    open_jobs = [j for j in open_jobs if j.is_active or j.outputs or j.status == "failed"][:5]
    return {
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
        "swatches": style_swatches(image) if can_generate else [],
        "action_url": reverse("wagtail_gan_admin:generate_variant", args=[image.pk]),
        "interpret_url": reverse("wagtail_gan_admin:interpret", args=[image.pk]),
    }


@register.simple_tag
def gan_variant_form_media():
    return VariantForm().media
