"""Short-lived SIP credentials for a browser seat (pure: the time is an argument).

The seat page never holds a counsellor's password. It asks the app for a credential that Kamailio
can check without asking anyone: the "ephemeral credentials" of draft-uberti-rtcweb-turn-rest, as
Kamailio's ``auth_ephemeral`` module checks them (``username_format`` 1, ``sha_algorithm`` 1)::

    username = "<expiry, unix seconds>:<counsellor's SIP user>"
    password = base64(HMAC-SHA256(seat secret, username))

Kamailio recomputes the password from the username with the shared secret, refuses a username
whose expiry has passed (``autheph_www``) and one whose SIP user is not the registering
address's (``autheph_check_to``). The seat secret is derived from the deployment's secret key, so
the app and the generated Kamailio configuration agree without a second secret to manage.

Rule version: :data:`SEAT_CREDENTIAL_RULES_VERSION`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

SEAT_CREDENTIAL_RULES_VERSION = "seat-credentials-2026.12"
SEAT_SECRET_PURPOSE = b"minsheng hotline browser seat SIP credentials v1"
SIP_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")


@dataclass(frozen=True)
class SeatCredential:
    username: str  # "<expiry>:<sip user>", the digest username
    password: str
    sip_user: str
    expires_at: int  # unix seconds
    ttl_s: int
    rule: str = SEAT_CREDENTIAL_RULES_VERSION


def seat_secret(key: bytes) -> str:
    """The secret shared by the app and Kamailio (hex), derived from the deployment's key."""
    return hmac.new(key, SEAT_SECRET_PURPOSE, hashlib.sha256).hexdigest()


def password_for(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def issue(secret: str, sip_user: str, *, now_unix: int, ttl_s: int) -> SeatCredential:
    """A credential for ``sip_user`` valid until ``now_unix + ttl_s``."""
    if not SIP_USER.match(sip_user):
        raise ValueError(f"{sip_user!r} is not a SIP user name")
    if ttl_s <= 0:
        raise ValueError("a credential lives a positive number of seconds")
    expires = now_unix + ttl_s
    username = f"{expires}:{sip_user}"
    return SeatCredential(username, password_for(secret, username), sip_user, expires, ttl_s)


def check(secret: str, username: str, password: str, *, now_unix: int) -> str | None:
    """The SIP user a credential is good for at ``now_unix``, or None (what Kamailio decides;
    used by tests and by the docs' worked example)."""
    expiry, _, user = username.partition(":")
    if not expiry.isdigit() or not SIP_USER.match(user):
        return None
    if int(expiry) <= now_unix:
        return None
    if not hmac.compare_digest(password_for(secret, username), password):
        return None
    return user
