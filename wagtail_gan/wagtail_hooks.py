"""Wagtail hooks. Each feature registers its hooks in its own module; importing the module
here is what makes Wagtail (which only autoloads ``wagtail_hooks``) see them."""
from . import (
    admin_hooks,  # noqa: E402,F401  (editor actions: variants, jobs, Generate new image)
    provenance_hooks,  # noqa: E402,F401  (admin page "Check an image")
    rendition_hooks,  # noqa: E402,F401  (rendition filters, ML renditions listing)
)
