"""Fixtures for the REST API tests (imported by tests/test_api*.py; holds no tests).

Import ``api_world_fixture`` and ``clear_throttle_cache_fixture``; tests use them as
``api_world`` (and the autouse cache reset).

``api_world`` builds collections, groups and users that exercise Wagtail's collection
permission policy:

* ``editor``   access_admin + add/change/choose images in "Allowed";
* ``viewer``   access_admin + choose only in "Allowed" (sees images, may not change them);
* ``outsider`` access_admin, no collection permissions;
* ``nonadmin`` an active user without admin access;
* ``admin``    a superuser.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest


def api_client_for(user=None):
    """An APIClient authenticated with a real DRF token (or anonymous)."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture(autouse=True, name="_clear_throttle_cache")
def clear_throttle_cache_fixture():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def build_world(make_image):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import Collection, GroupCollectionPermission

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


@pytest.fixture(name="api_world")
def api_world_fixture(make_image, db):
    return build_world(make_image)
