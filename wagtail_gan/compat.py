"""Where Wagtail versions differ, in one place (supported: Wagtail 7.4 LTS and 8.x).

Feature code asks this module; it never tests versions or catches ``ImportError`` itself.
(``renditions/compat.py`` is a different thing: the Wagtail rendition internals that the
rendition machinery relies on, the same on 7.4 and 8.x.)

* The image permission policy: Wagtail 8 keeps every policy in
  ``wagtail.permissions.policy_registry``; 7.4 has ``wagtail.images.permissions``'
  module-level ``permission_policy`` (re-set when ``WAGTAILIMAGES_IMAGE_MODEL`` changes).
"""

from __future__ import annotations

from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.images import get_image_model

if WAGTAIL_VERSION >= (8, 0):
    from wagtail.permissions import policy_registry
else:  # Wagtail 7.4
    policy_registry = None


def image_permission_policy():
    """Wagtail's permission policy for the site's image model."""
    if policy_registry is not None:
        return policy_registry.get_by_type(get_image_model())
    from wagtail.images import permissions  # noqa: PLC0415  (7.4: set in its AppConfig.ready)

    return permissions.permission_policy
