"""SIP registrar for counsellors' softphones, with digest authentication (RFC 3261 §22, RFC 2617).

A softphone REGISTERs as its counsellor's SIP user; the password comes from the call control (per
counsellor). A binding logs the seat in (the control makes the counsellor available); a REGISTER
with ``Expires: 0`` or the binding running out logs it out. Nonces are sippy's self-validating
HMAC nonces, so no nonce table is kept.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from minsheng.hotline.sip.control import SeatTarget

if TYPE_CHECKING:
    from minsheng.hotline.sip.control import CallControl

DEFAULT_EXPIRES_S = 3600
MAX_EXPIRES_S = 7200
MIN_EXPIRES_S = 30


class Registrar:
    """Bindings of counsellor SIP users to contacts. Runs on the SIP thread."""

    def __init__(self, control: CallControl, *, realm: str) -> None:
        self.control = control
        self.realm = realm
        self.bindings: dict[str, tuple[SeatTarget, float]] = {}

    def handle(self, req: Any) -> Any:
        """Answer one REGISTER: 401 with a challenge, 403, 400, 423 or 200 with the binding."""
        from sippy.SipHeader import SipHeader
        from sippy.SipWWWAuthenticate import SipWWWAuthenticate

        try:
            user = req.getHFBody("to").getUrl().username or ""
        except Exception:
            return req.genResponse(400, "Bad Request")
        credentials = self.control.credentials(user) if user else None
        if req.countHFs("authorization") == 0:
            resp = req.genResponse(401, "Unauthorized")
            challenge = SipWWWAuthenticate(realm=self.realm, algorithm="MD5")
            resp.appendHeader(SipHeader(name="www-authenticate", body=challenge))
            return resp
        auth = req.getHFBody("authorization")
        try:
            ok = (
                credentials is not None
                and auth.username == user
                and auth.realm == self.realm
                and (
                    # a stored HA1 only fits plain MD5 (the -sess variants mix in the nonce)
                    (auth.algorithm in (None, "MD5"))
                    and auth.verifyHA1(credentials.ha1.encode(), "REGISTER", None)
                    if credentials.ha1
                    else auth.verify(credentials.password, "REGISTER")
                )
            )
        except Exception:
            ok = False
        if not ok:
            return req.genResponse(403, "Forbidden")
        return self._bind(req, user)

    def _bind(self, req: Any, user: str) -> Any:
        from sippy.SipHeader import SipHeader

        expires = DEFAULT_EXPIRES_S
        if req.countHFs("expires") > 0:
            try:
                expires = int(str(req.getHFBody("expires")).strip())
            except ValueError:
                return req.genResponse(400, "Bad Request")
        if req.countHFs("contact") == 0:
            # a query: answer with the current binding
            resp = req.genResponse(200, "OK")
            self._add_contact(resp, user)
            return resp
        contact = req.getHFBody("contact")
        if contact.asterisk:
            if expires != 0:
                return req.genResponse(400, "Bad Request")
            self._unbind(user)
            return req.genResponse(200, "OK")
        if "expires" in contact.address.params:
            try:
                expires = int(contact.address.params["expires"])
            except (TypeError, ValueError):
                return req.genResponse(400, "Bad Request")
        if expires == 0:
            self._unbind(user)
            return req.genResponse(200, "OK")
        if expires < MIN_EXPIRES_S:
            resp = req.genResponse(423, "Interval Too Brief")
            resp.appendHeader(SipHeader(name="min-expires", bodys=str(MIN_EXPIRES_S)))
            return resp
        expires = min(expires, MAX_EXPIRES_S)
        url = contact.getUrl()
        # The binding is the Contact as registered (RFC 3261 §10.3); NAT traversal is left to an
        # SBC or proxy in front of the platform.
        host, port = url.getAddr()
        transport = str(url.transport or "udp").lower()
        seat = SeatTarget(
            counsellor_id=user,
            host=str(host),
            port=int(port),
            user=url.username or user,
            transport=transport,
        )
        self.bindings[user] = (seat, time.monotonic() + expires)
        self.control.register_contact(user, seat, expires)
        resp = req.genResponse(200, "OK")
        self._add_contact(resp, user)
        return resp

    def _add_contact(self, resp: Any, user: str) -> None:
        from sippy.SipHeader import SipHeader

        binding = self.bindings.get(user)
        if binding is None:
            return
        seat, until = binding
        left = max(0, int(until - time.monotonic()))
        resp.appendHeader(
            SipHeader(
                name="contact",
                bodys=f"<sip:{seat.user}@{seat.host}:{seat.port}>;expires={left}",
            )
        )

    def _unbind(self, user: str) -> None:
        if self.bindings.pop(user, None) is not None:
            self.control.register_contact(user, None, 0)

    def expire(self) -> None:
        """Drop bindings whose time ran out (called from the B2BUA's tick)."""
        now = time.monotonic()
        for user in [u for u, (_seat, until) in self.bindings.items() if until <= now]:
            self._unbind(user)
