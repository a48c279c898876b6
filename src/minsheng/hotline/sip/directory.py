"""The directory the SIP server routes with: hotlines, their numbers and regions, counsellor seats.

Read from a JSON file (``minsheng hotline sip serve --directory FILE``)::

    {"hotlines": [{"id": "sz", "name": "深圳市心理援助热线", "level": "city",
                   "regions": ["440300"], "legacy_numbers": ["0755-25629459"]}, ...],
     "counsellors": [{"id": "c1", "name": "王**", "hotline": "sz", "sip_user": "c1",
                      "sip_password": "...", "contact": "sip:c1@127.0.0.1:6001"}, ...]}

The hotline objects use the field names of ``minsheng hotline import``. A counsellor with a
``contact`` is a static seat, logged in from the start; one without waits for its softphone to
REGISTER with ``sip_user``/``sip_password``. Bad input is refused as a whole, naming the row and
field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minsheng.core.errors import InvalidInput
from minsheng.hotline.sip.control import SeatTarget

LEVELS = ("city", "province", "national")


@dataclass(frozen=True)
class Hotline:
    id: str
    name: str
    level: str
    regions: tuple[str, ...]
    legacy_numbers: tuple[str, ...]


@dataclass(frozen=True)
class Counsellor:
    id: str
    name: str
    hotline_id: str
    sip_user: str
    sip_password: str | None
    contact: SeatTarget | None
    skills: tuple[str, ...] = ()


@dataclass
class Directory:
    hotlines: dict[str, Hotline] = field(default_factory=dict)
    counsellors: dict[str, Counsellor] = field(default_factory=dict)

    def numbers(self) -> frozenset[str]:
        """Every called number that reaches the platform: 12356 and each legacy number."""
        result = {"12356"}
        for line in self.hotlines.values():
            result.update(n.replace("-", "") for n in line.legacy_numbers)
        return frozenset(result)

    def by_legacy_number(self, number: str) -> Hotline | None:
        plain = number.replace("-", "")
        for line in self.hotlines.values():
            if plain in (n.replace("-", "") for n in line.legacy_numbers):
                return line
        return None

    def by_user(self, sip_user: str) -> Counsellor | None:
        for counsellor in self.counsellors.values():
            if counsellor.sip_user == sip_user:
                return counsellor
        return None


def parse_contact(text: str, counsellor_id: str) -> SeatTarget:
    """``sip:user@host:port[;transport=udp]`` → a seat target."""
    if not text.startswith("sip:"):
        raise ValueError("a contact is a sip: URI")
    rest = text[4:]
    params = rest.split(";")
    address = params[0]
    transport = "udp"
    for p in params[1:]:
        name, _, value = p.partition("=")
        if name.lower() == "transport":
            transport = value.lower()
    user, _, hostport = address.rpartition("@")
    host, _, port_text = hostport.partition(":")
    if not host:
        raise ValueError("a contact names a host")
    port = int(port_text) if port_text else 5060
    return SeatTarget(counsellor_id, host, port, user or counsellor_id, transport)


def _str_list(row: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = row.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{where}: {name} must be a list of strings", field=name)
    return tuple(value)


def load(data: Any) -> Directory:
    """Validate and build a directory from decoded JSON; all-or-nothing."""
    if not isinstance(data, dict):
        raise InvalidInput("the directory is a JSON object with hotlines and counsellors")
    directory = Directory()
    for i, row in enumerate(data.get("hotlines", [])):
        where = f"hotlines[{i}]"
        if not isinstance(row, dict) or not isinstance(row.get("id"), str) or not row["id"]:
            raise InvalidInput(f"{where}: id is required", field="id")
        if row.get("level") not in LEVELS:
            raise InvalidInput(f"{where}: level must be one of {', '.join(LEVELS)}", field="level")
        if row["id"] in directory.hotlines:
            raise InvalidInput(f"{where}: duplicate hotline id {row['id']}", field="id")
        directory.hotlines[row["id"]] = Hotline(
            id=row["id"],
            name=str(row.get("name", row["id"])),
            level=row["level"],
            regions=_str_list(row, "regions", where),
            legacy_numbers=_str_list(row, "legacy_numbers", where),
        )
    for i, row in enumerate(data.get("counsellors", [])):
        where = f"counsellors[{i}]"
        if not isinstance(row, dict) or not isinstance(row.get("id"), str) or not row["id"]:
            raise InvalidInput(f"{where}: id is required", field="id")
        if row.get("hotline") not in directory.hotlines:
            raise InvalidInput(f"{where}: unknown hotline {row.get('hotline')!r}", field="hotline")
        if row["id"] in directory.counsellors:
            raise InvalidInput(f"{where}: duplicate counsellor id {row['id']}", field="id")
        contact = None
        if row.get("contact"):
            try:
                contact = parse_contact(str(row["contact"]), row["id"])
            except ValueError as exc:
                raise InvalidInput(f"{where}: contact: {exc}", field="contact") from exc
        password = row.get("sip_password")
        if contact is None and not password:
            raise InvalidInput(
                f"{where}: a counsellor needs a static contact or a sip_password to register",
                field="sip_password",
            )
        directory.counsellors[row["id"]] = Counsellor(
            id=row["id"],
            name=str(row.get("name", "")),
            hotline_id=row["hotline"],
            sip_user=str(row.get("sip_user") or row["id"]),
            sip_password=str(password) if password else None,
            contact=contact,
            skills=_str_list(row, "skills", where),
        )
    users = [c.sip_user for c in directory.counsellors.values()]
    if len(users) != len(set(users)):
        raise InvalidInput("two counsellors share a sip_user", field="sip_user")
    if not any(line.level == "national" for line in directory.hotlines.values()):
        raise InvalidInput("the directory needs a national backup hotline", field="level")
    return directory


def load_file(path: Path) -> Directory:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read directory {path}: {exc}", field="directory") from exc
    return load(data)
