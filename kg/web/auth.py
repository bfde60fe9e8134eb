"""Who may write: requests that carry the server's update token (``Authorization: Bearer``).

A server started without a token is read-only: every write is 403. With one, a write without
credentials is 401, with a wrong token 401 ``invalid_token`` (RFC 6750). The token is compared in
constant time and never echoed, logged or put in an error message.
"""

from __future__ import annotations

import hmac

from flask import Response

from kg.config import Settings
from kg.web.responses import error

REALM = "scholarly-kg"


def refusal(settings: Settings, authorization: str | None) -> Response | None:
    """The error response for a write that ``authorization`` does not allow; None if allowed."""
    if settings.update_token is None:
        return error(403, "this server is read-only: writes need a server started with an "
                          "update token (KG_UPDATE_TOKEN or kg serve --update-token-file)")
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return error(401, "writes need the update token: Authorization: Bearer <token>",
                     {"WWW-Authenticate": f'Bearer realm="{REALM}"'})
    given = credentials.strip().encode("utf-8")
    if not hmac.compare_digest(given, settings.update_token.encode("utf-8")):
        return error(401, "the update token is not valid",
                     {"WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_token"'})
    return None
