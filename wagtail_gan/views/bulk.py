"""Bulk action on the image listing: the same variant for every selected image."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.images.views.bulk_actions.image_bulk_action import ImageBulkAction

from .. import jobs
from ..forms import BulkVariantForm, unavailable_message
from ..operations import InvalidSpec, parse_steps
from ..work.budget import OverBudget


class GenerateVariantBulkAction(ImageBulkAction):
    display_name = _("Generate variant")
    action_type = "gan_generate_variant"
    aria_label = _("Generate the same AI variant of each selected image")
    template_name = "wagtail_gan/admin/confirm_bulk_generate.html"
    action_priority = 60
    form_class = BulkVariantForm

    def check_perm(self, image):
        return self.permission_policy.user_has_permission_for_instance(
            self.request.user, "change", image
        )

    def get_execution_context(self):
        form = self.cleaned_form
        return {
            "request": self.request,
            "operation": form.operation_spec(),
            "instruction": form.cleaned_data.get("instruction") or None,
            "seed": form.cleaned_data.get("seed"),
            "strength": form.strength_fraction(),
        }

    @classmethod
    def execute_action(cls, images, request=None, operation=None, instruction=None, seed=None,
                       strength=None, **kwargs):
        queued, refused = 0, []
        try:
            steps = parse_steps(operation) if operation else []
        except InvalidSpec:
            steps = []  # submit_variant_job says what is wrong with it, per image
        for spec in steps:
            if not spec.available:  # refused once, not once per image
                messages.error(request, unavailable_message(spec.label))
                return 0, 0
        for image in images:
            try:
                jobs.submit_variant_job(user=request.user, image=image, operation=operation,
                                        instruction=instruction, seed=seed, strength=strength)
            except OverBudget as exc:  # the rest would be refused too: said once
                refused.append(str(exc))
                break
            except (jobs.JobError, PermissionDenied) as exc:
                refused.append(f"{image.title}: {exc}")
            else:
                queued += 1
        for line in refused[:10]:
            messages.error(request, line)
        return queued, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        if not num_parent_objects:
            return None  # nothing was queued: the errors say why, no green "0 jobs queued"
        return ngettext(
            "%(count)d variant job queued. Follow it under AI jobs.",
            "%(count)d variant jobs queued. Follow them under AI jobs.",
            num_parent_objects,
        ) % {"count": num_parent_objects}
