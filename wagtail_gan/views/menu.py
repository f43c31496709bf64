"""The number of the user's results waiting for review, for the admin menu.

Counting on every admin page would add a query to pages that show none of wagtail-gan's data
(Wagtail's own tests count them), so the menu is rendered without it and the global admin
script (``static/wagtail_gan/js/gan-admin-global.js``) asks this view after the page has
loaded, then appends the number to the menu items marked ``data-gan-menu``."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..jobs import review_state


@require_GET
def awaiting_review(request):
    count = review_state.awaiting_review(request.user).count()
    labels = {}
    if count:
        labels = {
            "ai-images": _("AI images (%(count)d)") % {"count": count},
            "to-review": _("Results to review (%(count)d)") % {"count": count},
        }
    response = JsonResponse({"count": count, "labels": labels})
    response["Cache-Control"] = "private, no-store"
    return response
