"""Pre-generation: PREGENERATE_SPECS on upload and file replacement, ``gan_pregenerate``."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from wagtail.models import Collection

from tests.renditions.helpers import huey_counts
from tests.utils import gan_override
from wagtail_gan.models import RenditionJob
from wagtail_gan.renditions import pregenerate

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_queue")]


def test_pregenerate_on_upload_and_replace(make_image, make_image_file):
    with gan_override(PREGENERATE_SPECS=["width-20|stylize-3"]):
        before = huey_counts()
        image = make_image()
        assert huey_counts() == before + 1
        image.title = "renamed"
        image.save()
        assert huey_counts() == before + 1  # no file change: nothing
        image.file = make_image_file(width=30, height=30, name="other.png")
        image._set_image_file_metadata()
        image.save()
        assert huey_counts() == before + 2
    assert pregenerate.pregenerate_image(image.pk, ["width-20|stylize-3", "bogus-1"]) == 1
    assert RenditionJob.objects.get().filter_spec == "width-20|stylize-3"


def test_gan_pregenerate_command(make_image):
    root = Collection.get_first_root_node()
    other = root.add_child(name="Other")
    make_image(title="a")
    make_image(title="b", collection=other)
    out = io.StringIO()
    call_command("gan_pregenerate", "--spec", "width-20|stylize-3", "--spec", "upscale-2x",
                 "--collection", "Other", stdout=out)
    assert RenditionJob.objects.count() == 2
    assert "1/1" in out.getvalue()
    with pytest.raises(Exception, match="0..25"):
        call_command("gan_pregenerate", "--spec", "stylize-99", stdout=io.StringIO())
