"""Bulk Keep and Discard on the AI jobs listing (Wagtail's bulk actions: the listing's
checkboxes, a confirmation page, then the action). The rules are the single Keep/Discard's
(``jobs/review.py``): only the editor who started a job, or a superuser, may review it; keeping
needs permission to add to the job's collection. Only results awaiting review are acted on;
a job with several candidates is kept from its own page (the editor picks one)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail.admin.views.bulk_action import BulkAction

from .. import jobs
from ..jobs import review_state
from ..models import GenerationJob
from ..permissions import can_manage_job
from .listing_columns import job_title

MAX_MESSAGES = 10


class JobBulkAction(BulkAction):
    models = [GenerationJob]
    template_name = "wagtail_gan/admin/confirm_bulk_review.html"

    def check_perm(self, job):
        return can_manage_job(self.request.user, job)

    @classmethod
    def get_queryset(cls, model, object_ids):
        ids = [i for i in object_ids if str(i).isdigit()]
        return list(model.objects.filter(pk__in=ids).select_related("source_image", "user"))

    def get_all_objects_in_listing_query(self, parent_id):
        # "Select all in listing": the user's results that wait for review (what Keep and
        # Discard act on), never other users' jobs.
        return review_state.awaiting_review(self.request.user).values_list("pk", flat=True)

    def object_context(self, job):
        return {"item": job, "title": job_title(job),
                "awaiting": review_state.review_state(job) == review_state.AWAITING}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["action"] = self
        context["actionable"] = [i for i in context["items"] if i["awaiting"]]
        context["question"] = self.question(len(context["actionable"]))
        return context

    def question(self, count: int) -> str:
        raise NotImplementedError

    def get_execution_context(self):
        return {"request": self.request}

    @classmethod
    def review(cls, job, request) -> None:
        raise NotImplementedError

    @classmethod
    def execute_action(cls, objects, request=None, **kwargs):
        done, skipped, refused = 0, 0, []
        for job in objects:
            if review_state.review_state(job) != review_state.AWAITING:
                skipped += 1
                continue
            try:
                cls.review(job, request)
            except (jobs.JobError, PermissionDenied) as exc:
                refused.append(f"{job_title(job)}: {getattr(exc, 'message', None) or exc}")
            else:
                done += 1
        for line in refused[:MAX_MESSAGES]:
            messages.error(request, line)
        if skipped:
            messages.info(request, ngettext(
                "%(count)d job was not awaiting review and was left as it was.",
                "%(count)d jobs were not awaiting review and were left as they were.",
                skipped) % {"count": skipped})
        return done, 0


class KeepJobsBulkAction(JobBulkAction):
    display_name = gettext_lazy("Keep")
    action_type = "gan_keep"
    aria_label = gettext_lazy("Keep the selected results: add them to the image library")
    action_priority = 10
    verb = gettext_lazy("Keep")
    explanation = gettext_lazy("Each result is added to the image library, with its "
                               "provenance, in the collection its job was started for.")

    def question(self, count: int) -> str:
        return ngettext("Keep this result?", "Keep these %(count)d results?", count) % {
            "count": count}

    @classmethod
    def review(cls, job, request) -> None:
        if len(job.outputs) > 1:
            raise jobs.JobError(_("it made %(count)d candidates: choose one on its page.")
                                % {"count": len(job.outputs)}, None)
        jobs.keep_job(job, request.user, 0)

    def get_success_message(self, num_parent_objects, num_child_objects):
        if not num_parent_objects:
            return None
        return ngettext("%(count)d result added to the image library.",
                        "%(count)d results added to the image library.",
                        num_parent_objects) % {"count": num_parent_objects}


class DiscardJobsBulkAction(JobBulkAction):
    display_name = gettext_lazy("Discard")
    action_type = "gan_discard"
    aria_label = gettext_lazy("Discard the selected results: nothing is added to the library")
    action_priority = 20
    classes = {"serious"}
    verb = gettext_lazy("Discard")
    explanation = gettext_lazy("The results are deleted; nothing is added to the library. "
                               "This cannot be undone.")

    def question(self, count: int) -> str:
        return ngettext("Discard this result?", "Discard these %(count)d results?", count) % {
            "count": count}

    @classmethod
    def review(cls, job, request) -> None:
        jobs.discard_job(job, request.user)

    def get_success_message(self, num_parent_objects, num_child_objects):
        if not num_parent_objects:
            return None
        return ngettext("%(count)d result discarded.", "%(count)d results discarded.",
                        num_parent_objects) % {"count": num_parent_objects}
