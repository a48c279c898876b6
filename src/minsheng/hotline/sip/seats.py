"""Counsellors' SIP seats: the softphone user and credentials of each counsellor, or a static
contact, read from a JSON file (``minsheng hotline sip serve --seats FILE``)::

    [{"counsellor_id": "gd-sz-01", "sip_user": "gd-sz-01", "sip_password": "..."},
     {"counsellor_id": "gd-sz-02", "sip_ha1": "<md5 of user:12356:password>"},
     {"counsellor_id": "nat-01", "contact": "sip:nat-01@10.0.0.7:5060"},
     {"supervisor": "sup-01", "sip_password": "..."}]

The counsellors themselves (hotline, skills) are the hotline directory's; this file only says how
to reach them on SIP. A seat with ``contact`` is static: logged in when the server starts. Any
other seat logs in by REGISTERing with digest authentication (the password, or better its HA1 so
that the file holds no password in clear) and logs out by unregistering. The file is validated as
a whole: a bad row is named with its field and nothing starts.

A row with ``"browser": true`` (and a ``contact`` at the seat front, docs/hotline-seat.md) is a
counsellor who answers in the staff page: static, but logged out until the counsellor signs in on
the page (the app forwards the page's 签入/小休/签出 to the node).

A row with ``supervisor`` instead of ``counsellor_id`` is a supervisor's (督导) phone: it
registers (or has a static contact) the same way but is never logged into a queue; the B2BUA
rings it when staff start listening to, whispering in or joining a call (sip/supervision.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minsheng.core.errors import InvalidInput
from minsheng.hotline.sip.control import Credentials, SeatTarget

_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
_HA1 = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Seat:
    counsellor_id: str
    sip_user: str
    credentials: Credentials | None
    contact: SeatTarget | None
    browser: bool = False  # signed in from the staff page, not when the server starts


class SeatBook:
    """Every counsellor's seat, by counsellor id and by SIP user."""

    def __init__(self, seats: list[Seat], supervisors: list[Seat] | None = None) -> None:
        self.by_counsellor = {s.counsellor_id: s for s in seats}
        self.supervisors = {s.counsellor_id: s for s in supervisors or []}
        self.by_user = {s.sip_user: s for s in [*seats, *(supervisors or [])]}

    def credentials(self, user: str) -> Credentials | None:
        seat = self.by_user.get(user)
        return seat.credentials if seat else None


def parse_contact(text: str, counsellor_id: str) -> SeatTarget:
    """``sip:user@host[:port][;transport=udp]`` → a seat target (UDP only for now)."""
    if not text.startswith("sip:"):
        raise ValueError("a contact is a sip: URI")
    address, *params = text[4:].split(";")
    transport = "udp"
    for p in params:
        name, _, value = p.partition("=")
        if name.lower() == "transport":
            transport = value.lower()
    if transport != "udp":
        raise ValueError(f"transport {transport} is not supported (udp only)")
    user, _, hostport = address.rpartition("@")
    host, _, port_text = hostport.partition(":")
    if not host:
        raise ValueError("a contact names a host")
    if port_text and not port_text.isdigit():
        raise ValueError(f"bad port {port_text!r}")
    port = int(port_text) if port_text else 5060
    return SeatTarget(counsellor_id, host, port, user or counsellor_id, transport)


def load(data: Any, counsellor_ids: set[str]) -> SeatBook:
    """Validate decoded JSON against the directory's counsellors; all-or-nothing."""
    if not isinstance(data, list):
        raise InvalidInput("the seats file is a JSON list", field="seats")
    seats: list[Seat] = []
    supervisors: list[Seat] = []
    users: dict[str, int] = {}
    done: dict[str, int] = {}
    for i, row in enumerate(data):
        where = f"seats[{i}]"
        if not isinstance(row, dict):
            raise InvalidInput(f"{where}: each seat is an object", field=where)
        fields = {
            *("counsellor_id", "supervisor", "sip_user", "sip_password", "sip_ha1"),
            *("contact", "browser"),
        }
        unknown = set(row) - fields
        if unknown:
            raise InvalidInput(f"{where}: unknown field {sorted(unknown)[0]}", field=where)
        supervisor = "supervisor" in row
        cid = row.get("supervisor") if supervisor else row.get("counsellor_id")
        if supervisor and "counsellor_id" in row:
            raise InvalidInput(
                f"{where}: a row is a counsellor's seat or a supervisor's phone, not both",
                field=f"{where}.supervisor",
            )
        if supervisor and (not isinstance(cid, str) or not _USER.match(cid)):
            raise InvalidInput(f"{where}: supervisor {cid!r} is not a SIP user name",
                               field=f"{where}.supervisor")  # fmt: skip
        if not supervisor and (not isinstance(cid, str) or cid not in counsellor_ids):
            raise InvalidInput(
                f"{where}: counsellor_id {cid!r} is not a counsellor of the directory",
                field=f"{where}.counsellor_id",
            )
        assert isinstance(cid, str)
        if cid in done:
            raise InvalidInput(
                f"{where}: {cid} already has a seat (row {done[cid]})",
                field=f"{where}.counsellor_id",
            )
        done[cid] = i
        user = row.get("sip_user", cid)
        if not isinstance(user, str) or not _USER.match(user):
            raise InvalidInput(f"{where}: sip_user {user!r} is not a SIP user name",
                               field=f"{where}.sip_user")  # fmt: skip
        if user in users:
            raise InvalidInput(
                f"{where}: sip_user {user} is already used by row {users[user]}",
                field=f"{where}.sip_user",
            )
        users[user] = i
        password, ha1 = row.get("sip_password"), row.get("sip_ha1")
        if ha1 is not None and (not isinstance(ha1, str) or not _HA1.match(ha1.lower())):
            raise InvalidInput(f"{where}: sip_ha1 must be 32 hex digits", field=f"{where}.sip_ha1")
        if password is not None and (not isinstance(password, str) or len(password) < 4):
            raise InvalidInput(
                f"{where}: sip_password must be a string of at least 4 characters",
                field=f"{where}.sip_password",
            )
        contact = None
        if row.get("contact") is not None:
            try:
                contact = parse_contact(str(row["contact"]), cid)
            except ValueError as exc:
                raise InvalidInput(f"{where}: contact: {exc}", field=f"{where}.contact") from exc
        credentials = None
        if password or ha1:
            credentials = Credentials(password or None, ha1.lower() if ha1 else None)
        if contact is None and credentials is None:
            raise InvalidInput(
                f"{where}: a seat needs a static contact, or a sip_password/sip_ha1 to register",
                field=f"{where}.sip_password",
            )
        browser = row.get("browser", False)
        if not isinstance(browser, bool) or (browser and (supervisor or contact is None)):
            raise InvalidInput(
                f"{where}: browser is true only for a counsellor's seat with a contact "
                "(the seat front)",
                field=f"{where}.browser",
            )
        (supervisors if supervisor else seats).append(
            Seat(cid, user, credentials, contact, browser)
        )
    return SeatBook(seats, supervisors)


def load_file(path: Path, counsellor_ids: set[str]) -> SeatBook:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read seats file {path}: {exc}", field="seats") from exc
    return load(data, counsellor_ids)
