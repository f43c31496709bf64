"""Helpers of the REST API tests (holds no tests; the fixtures ``api_world`` and the autouse
throttle-cache reset are in this folder's conftest, built by ``build_world``).

``build_world`` makes collections, groups and users that exercise Wagtail's collection
permission policy:

* ``editor``   access_admin + add/change/choose images in "Allowed";
* ``viewer``   access_admin + choose only in "Allowed" (sees images, may not change them);
* ``outsider`` access_admin, no collection permissions;
* ``nonadmin`` an active user without admin access;
* ``admin``    a superuser.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from wagtail.models import Collection, GroupCollectionPermission

from wagtail_gan.jobs.worker import run_generation_job
from wagtail_gan.models import GenerationJob

API = "/api/gan/"


def api_client_for(user=None):
    """An APIClient authenticated with a real DRF token (or anonymous)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def build_world(make_image):
    User = get_user_model()
    # an earlier transactional test may have flushed the root that migrations create
    root = Collection.get_first_root_node() or Collection.add_root(name="Root")
    allowed = root.add_child(name="Allowed")
    other = root.add_child(name="Other")
    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )

    def image_perm(codename):
        return Permission.objects.get(content_type__app_label="wagtailimages", codename=codename)

    def group(name, perms):
        g = Group.objects.create(name=name)
        g.permissions.add(access_admin)
        for collection, codename in perms:
            GroupCollectionPermission.objects.create(
                group=g, collection=collection, permission=image_perm(codename)
            )
        return g

    editors = group("GAN editors", [(allowed, c) for c in ("add_image", "change_image",
                                                           "choose_image")])
    viewers = group("GAN viewers", [(allowed, "choose_image")])
    outsiders = group("GAN outsiders", [])

    def user(name, grp=None, **extra):
        u = User.objects.create_user(name, f"{name}@example.com", "pw", **extra)
        if grp is not None:
            u.groups.add(grp)
        return u

    return SimpleNamespace(
        root=root,
        allowed=allowed,
        other=other,
        editor=user("editor", editors),
        viewer=user("viewer", viewers),
        outsider=user("outsider", outsiders),
        nonadmin=user("nonadmin"),
        admin=User.objects.create_superuser("admin", "admin@example.com", "pw"),
        image=make_image(title="Allowed photo", collection=allowed, width=48, height=32),
        style_image=make_image(title="Allowed style", collection=allowed, width=32, height=32),
        hidden_image=make_image(title="Other photo", collection=other, width=48, height=32),
    )


def post(client, path, data, **headers):
    """POST ``data`` as JSON to the API path ``path`` (relative to ``API``)."""
    return client.post(API + path, data, format="json", **headers)


def make_job(world, user, **fields):
    """A GenerationJob row (not run) of ``user`` on the world's image."""
    defaults = {"operation": "stylize-3", "source_image": world.image,
                "collection": world.allowed, "params": {"styles": [3]}}
    return GenerationJob.objects.create(user=user, **{**defaults, **fields})


def finished_job(world) -> GenerationJob:
    """A stylize-3 variant submitted through the API by the editor and run (dummy backend)."""
    response = post(api_client_for(world.editor), "variants/",
                    {"image": world.image.pk, "operation": "stylize-3"})
    assert response.status_code == 202, response.content
    run_generation_job(response.json()["id"])
    return GenerationJob.objects.get(pk=response.json()["id"])
