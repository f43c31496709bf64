"""Rendition filters in Wagtail: the grammar of their specs (clear errors that list the choices),
registration, disabled operations, resizes first, and the focal point of an upscaled rendition."""

from __future__ import annotations

import pytest
from wagtail.images.exceptions import InvalidFilterSpecError
from wagtail.images.models import Filter

from tests.renditions.helpers import render
from tests.utils import gan_override
from wagtail_gan.models import RenditionJob
from wagtail_gan.renditions.filters import GanFilter
from wagtail_gan.templatetags.gan_renditions import gan_background_position

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_queue")]


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("upscale-2x", {"scale": 2}),
        ("upscale-4x", {"scale": 4}),
        ("winterize", {"strength": 100}),
        ("winterize-70", {"strength": 70}),
        ("stylize-3", {"styles": [3]}),
        ("stylize-3-12", {"styles": [3, 12]}),
        ("stylize-electric", {"styles": [3]}),
        ("stylize-electric-haze", {"styles": [3, 12]}),
        ("stylize-image7", {"style_image": 7}),
        ("stylize-monet", {"painter": "monet"}),
    ],
)
def test_filter_grammar(spec, expected):
    ops = Filter(spec=f"width-100|{spec}").operations
    assert ops[1].spec.params == expected


@pytest.mark.parametrize(
    "spec, hint",
    [
        ("upscale-3x", "upscale takes 2x, 4x"),
        ("upscale", "upscale takes 2x, 4x"),
        ("winterize-0", "winterize takes an optional strength 1..100"),
        ("winterize-abc", "1..100"),
        ("stylize-99", "0..25"),
        ("stylize", "stylize-monet"),
        ("stylize-picasso", "stylize-vangogh"),
    ],
)
def test_invalid_filter_args_list_choices(spec, hint):
    with pytest.raises(InvalidFilterSpecError) as exc:
        Filter(spec=f"width-100|{spec}").operations  # noqa: B018
    assert hint in str(exc.value)


def test_invalid_spec_in_template_raises_clear_error(make_image):
    image = make_image()
    with pytest.raises(InvalidFilterSpecError, match="0..25"):
        render("{% image img width-20 stylize-77 %}", img=image)
    assert not RenditionJob.objects.exists()


def test_disabled_operation_is_refused():
    with gan_override(ENABLED_OPERATIONS=["upscale"]):
        with pytest.raises(InvalidFilterSpecError, match="disabled"):
            Filter(spec="stylize-3").operations  # noqa: B018
        assert Filter(spec="upscale-2x").operations[0].operation.name == "upscale"


def test_resizes_apply_before_filter_operations(make_image):
    """Wagtail runs all resizes first: `upscale-4x width-20` upscales the 20 px image."""
    image = make_image(width=64, height=48)
    a = image.get_rendition("upscale-4x|width-20")
    b = image.get_rendition("width-20|upscale-4x")
    assert (a.width, a.height) == (b.width, b.height) == (80, 60)


def test_operations_are_registered():
    op = Filter(spec="stylize-3").operations[0]
    assert isinstance(op, GanFilter) and op.operation.name == "stylize"


def test_background_position_accounts_for_the_upscale(make_image):
    image = make_image(width=200, height=100)
    image.focal_point_x, image.focal_point_y = 50, 25
    image.focal_point_width = image.focal_point_height = 10
    image.save()
    plain = image.get_rendition("width-100")
    upscaled = image.get_rendition("width-100|upscale-2x")
    assert (upscaled.width, upscaled.height) == (200, 100)
    assert plain.background_position_style == "background-position: 25% 25%;"
    # Wagtail's own value is off by the scale; ours matches the plain rendition.
    assert upscaled.background_position_style == "background-position: 12% 12%;"
    assert gan_background_position(upscaled) == plain.background_position_style
    assert gan_background_position(plain) == plain.background_position_style
