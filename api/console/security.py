"""What keeps the console safe to use from a browser.

- Sessions: signing in with a key opens a session in the log; the cookie holds its random token (HttpOnly,
  SameSite=Strict, Path=/console, Secure over TLS or when the server is told to), never the key. A session ends
  after `SESSION_SECONDS`, at sign-out (a POST), or when its key is revoked.
- Cross-site requests: every form carries a CSRF token derived from the session's token (the sign-in form, a
  token of its own cookie); a POST without the right one is refused, and so is any POST whose `Origin` (or,
  without one, `Referer`) is another site, or that a browser marks `Sec-Fetch-Site: cross-site`.
- Headers on every console response: a Content-Security-Policy with no inline script or style, no framing,
  no sniffing, no referrer to other sites, and no caching.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import urllib.parse
from typing import Any

from fastapi import Request

SESSION_COOKIE = "clearance_session"
LOGIN_COOKIE = "clearance_login"
HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]  # fmt: skip


class SignIn(Exception):
    """The page needs a signed-in session (of another role, when `role` is set)."""

    def __init__(self, role: str | None = None):
        self.role = role


class Refused(Exception):
    """A POST that did not come from the console's own page: a foreign origin, or no valid CSRF token."""

    def __init__(self, reason: str):
        self.reason = reason


def csrf_token(secret: str) -> str:
    """The token a session's forms carry: derived from the session's token, which only its cookie holds."""
    return hmac.new(secret.encode(), b"clearance console csrf", hashlib.sha256).hexdigest()


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def same_origin(request: Request) -> None:
    """Refused when the browser says the request comes from another site (or from an opaque origin)."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise Refused("a cross-site request")
    origin = request.headers.get("origin")
    source = origin if origin is not None else request.headers.get("referer")
    if source is None:
        return  # nothing said (an old client): the CSRF token decides
    hosts = {request.headers.get("host", ""), request.headers.get("x-forwarded-host", "")} - {""}
    if source == "null" or urllib.parse.urlsplit(source).netloc not in hosts:
        raise Refused(f"a request from another origin (`{source[:80]}`)")


def check_form(request: Request, form: Any, secret: str | None) -> None:
    """A console POST: from this site, with the CSRF token of `secret` (a session's or the sign-in's)."""
    same_origin(request)
    given = str(form.get("csrf", ""))
    if not secret or not given or not hmac.compare_digest(given, csrf_token(secret)):
        raise Refused("the form's security token is missing or out of date; reload the page and try again")


def secure(request: Request, always: bool) -> bool:
    return always or request.url.scheme == "https"


class ConsoleHeaders:
    """Adds `HEADERS` to every response under /console (a plain ASGI middleware: the API pays nothing)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/console"):
            await self.app(scope, receive, send)
            return

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() not in dict(HEADERS)]
                message = {**message, "headers": [*headers, *HEADERS]}
            await send(message)

        await self.app(scope, receive, sending)
