"""Wagtail hooks. Each feature registers its hooks in its own module; importing the module
here is what makes Wagtail (which only autoloads ``wagtail_hooks``) see them."""
from . import (
    admin_hooks,  # noqa: E402,F401  (editor actions: variants, jobs, Generate new image)
    rendition_hooks,  # noqa: E402,F401  (rendition filters, ML renditions listing)
)
from .pools import wagtail_hooks as pools_hooks  # noqa: E402,F401  (poolslot-<k> operation)
from .provenance import wagtail_hooks as provenance_hooks  # noqa: E402,F401  ("Check an image")
