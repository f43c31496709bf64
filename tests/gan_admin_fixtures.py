"""Users, groups and collections with Wagtail image permissions (the ``gan_world`` fixture), and
the helpers of the job and admin tests: a logged-in client, the variant URL, a finished output."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.models import GroupCollectionPermission

from tests.utils import ensure_wagtail_roots
from wagtail_gan.jobs.outputs import write_output
from wagtail_gan.models import GenerationJob


def grant(group, collection, *codenames):
    for codename in codenames:
        perm = Permission.objects.get(content_type__app_label="wagtailimages", codename=codename)
        GroupCollectionPermission.objects.get_or_create(
            group=group, collection=collection, permission=perm
        )


@pytest.fixture
def gan_world(db, make_image):
    """A root collection, a "Team" collection and a "Stock" collection; an editor who may add and
    change images in Team; a viewer who may only choose in Team and add in Stock; a superuser."""
    User = get_user_model()
    root = ensure_wagtail_roots()
    team = root.add_child(name="Team")
    stock = root.add_child(name="Stock")
    access_admin = Permission.objects.get(content_type__app_label="wagtailadmin",
                                          codename="access_admin")
    editors = Group.objects.create(name="GAN editors")
    editors.permissions.add(access_admin)
    grant(editors, team, "add_image", "change_image", "choose_image")
    viewers = Group.objects.create(name="GAN viewers")
    viewers.permissions.add(access_admin)
    grant(viewers, team, "choose_image")
    grant(viewers, stock, "add_image")

    editor = User.objects.create_user("editor", "editor@example.com", "pw")
    editor.groups.add(editors)
    viewer = User.objects.create_user("viewer", "viewer@example.com", "pw")
    viewer.groups.add(viewers)
    admin = User.objects.create_superuser("admin", "admin@example.com", "pw")
    image = make_image(title="Harbour", collection=team, width=40, height=30)
    stock_image = make_image(title="Stock photo", collection=stock, width=32, height=32)
    return SimpleNamespace(root=root, team=team, stock=stock, editor=editor, viewer=viewer,
                           admin=admin, image=image, stock_image=stock_image)


def login(user, **kwargs) -> Client:
    """A test client logged in as ``user`` (``kwargs`` go to ``Client``)."""
    client = Client(**kwargs)
    client.force_login(user)
    return client


def variant_url(image):
    """The admin's "Generate variant" URL of ``image``."""
    return reverse("wagtail_gan_admin:generate_variant", args=[image.pk])


def write_pending_output(job, width=80, height=60, color=(200, 30, 30)):
    """Put a finished output on a job the way the worker does (a file under gan_pending/)."""
    out = write_output(job, PILImage.new("RGB", (width, height), color), len(job.outputs), 7)
    job.outputs = [*job.outputs, out]
    job.status = GenerationJob.Status.SUCCEEDED
    job.progress = 100
    job.save()
    return out
