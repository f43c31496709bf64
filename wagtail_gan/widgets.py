"""Admin form widgets that work under a strict Content-Security-Policy.

Wagtail's chooser widgets initialise themselves with an inline ``<script>new ImageChooser(...)
</script>``, which ``script-src 'self'`` blocks. Ours render the same markup and pass the
constructor's arguments in data-* attributes to the ``gan-chooser`` Stimulus controller
(``static/wagtail_gan/js/gan-chooser.js``), which calls the same constructor.
"""

from __future__ import annotations

import json

from django.utils.html import format_html
from wagtail.images.widgets import AdminImageChooser


class ImageChooser(AdminImageChooser):
    """Wagtail's image chooser, initialised by the ``gan-chooser`` controller."""

    def render(self, name, value, attrs=None, renderer=None):
        try:
            id_ = attrs["id"]
        except (KeyError, TypeError) as exc:
            raise TypeError("ImageChooser cannot be rendered without an 'id' attribute") from exc
        value_data = self.get_value_data(value)
        return format_html(
            '<div data-controller="gan-chooser" data-gan-chooser-widget-value="{}" '
            'data-gan-chooser-id-value="{}" data-gan-chooser-options-value="{}">{}</div>',
            self.js_constructor, id_,
            json.dumps(self.get_js_init_options(id_, name, value_data)),
            self.render_html(name, value_data, attrs),
        )
