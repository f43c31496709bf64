"""Who the visitor is: a stable id per visitor (cookie, session, user, address) and the optional
middleware that sets the ``gan_visitor`` cookie."""

from __future__ import annotations

import re
import secrets

COOKIE_NAME = "gan_visitor"
COOKIE_MAX_AGE = 365 * 24 * 3600
_COOKIE_RE = re.compile(r"^[0-9a-f]{32}$")


def visitor_id(request) -> str:
    """A stable id for the visitor of ``request`` ("" without a request)."""
    if request is None:
        return ""
    vid = getattr(request, "gan_visitor_id", None) or request.COOKIES.get(COOKIE_NAME, "")
    if _COOKIE_RE.match(vid or ""):
        return "c:" + vid
    session = getattr(request, "session", None)
    if session is not None and getattr(session, "session_key", None):
        return "s:" + session.session_key
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    meta = request.META
    return "a:" + meta.get("REMOTE_ADDR", "") + "|" + meta.get("HTTP_USER_AGENT", "")


class VisitorCookieMiddleware:
    """Gives each visitor a random first-party cookie (``gan_visitor``, one year, HttpOnly,
    SameSite=Lax) used only to pick their pool slot. Optional: without it the session key,
    user id or address + user agent are used."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        new = None
        if not _COOKIE_RE.match(request.COOKIES.get(COOKIE_NAME, "")):
            new = secrets.token_hex(16)
            request.gan_visitor_id = new
        response = self.get_response(request)
        if new:
            response.set_cookie(COOKIE_NAME, new, max_age=COOKIE_MAX_AGE, httponly=True,
                                samesite="Lax", secure=request.is_secure())
        return response
