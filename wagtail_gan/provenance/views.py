"""Admin page "Check an image": upload any file; is it one of ours, which variant, from which
source, does its C2PA manifest validate. Nothing uploaded is stored."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..permissions import image_permission_policy
from .inspect import MAX_CHECK_BYTES, inspect_file


def user_can_check(user) -> bool:
    """Editors who can add, change or choose images may check files."""
    if not (user and user.is_active and user.is_authenticated):
        return False
    return image_permission_policy().user_has_any_permission(user, ["add", "change", "choose"])


class CheckImageForm(forms.Form):
    file = forms.FileField(
        label=_("Image file"),
        help_text=_("Any image file (JPEG, PNG, WebP...), up to %(mb)d MB. It is not stored.")
        % {"mb": MAX_CHECK_BYTES // 2**20},
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_CHECK_BYTES:
            raise forms.ValidationError(
                _("This file is %(size).1f MB; the limit is %(mb)d MB.")
                % {"size": f.size / 2**20, "mb": MAX_CHECK_BYTES // 2**20}
            )
        return f


class CheckImageView(WagtailAdminTemplateMixin, FormView):
    template_name = "wagtail_gan/provenance/check.html"
    form_class = CheckImageForm
    page_title = _("Check an image")
    header_icon = "image"

    def dispatch(self, request, *args, **kwargs):
        if not user_can_check(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        data = upload.read()
        report = inspect_file(data, name=upload.name, user=self.request.user)
        match = report.get("match") or {}
        if match.get("image"):  # a pooled rendition: link its image
            match["image"]["edit_url"] = reverse("wagtailimages:edit", args=[match["image"]["id"]])
        if match.get("variant"):
            match["variant"]["edit_url"] = reverse(
                "wagtailimages:edit", args=[match["variant"]["image_id"]]
            )
            src = match["variant"]["rights"].get("derived_from") or {}
            if src.get("exists"):
                src["edit_url"] = reverse("wagtailimages:edit", args=[src["id"]])
        return self.render_to_response(
            self.get_context_data(form=self.form_class(), report=report)
        )
