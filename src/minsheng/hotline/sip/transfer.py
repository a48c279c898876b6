"""Hand-over to 110/119/120: which emergency gateway takes a caller from a region.

The gateways are a setting (``HOTLINE_EMERGENCY_GATEWAYS``), a JSON object keyed by GB/T 2260
region code (a city's, a province's) or ``*`` for everywhere else, each mapping an emergency
number to the SIP address of the gateway that answers it for that region::

    {"440300": {"120": "sip:120@10.1.2.3:5060", "110": "sip:110@10.1.2.4:5060"},
     "440000": {"120": "sip:120@10.1.9.9:5060"},
     "*":      {"110": "sip:110@10.0.0.1", "119": "sip:119@10.0.0.1", "120": "sip:120@10.0.0.1"}}

The caller's city is tried first, then its province, then ``*``. What the gateway receives
besides the call: ``X-Caller-Location`` (the region code the hotline located the caller in) and
``X-Crisis`` (``1`` when the call was marked crisis), so the emergency service knows where and
how urgent without asking again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from minsheng.hotline.sip.control import SeatTarget

EMERGENCY_NUMBERS = ("110", "119", "120")
_SIP_URI = re.compile(r"^sips?:(?:(?P<user>[^@;]+)@)?(?P<host>[^:;]+)(?::(?P<port>\d+))?")


def parse_uri(uri: str, label: str) -> SeatTarget:
    """``sip:120@host:port`` → where to send the INVITE (port 5060 by default)."""
    match = _SIP_URI.match(uri.strip())
    if match is None:
        raise ValueError(f"{label}: {uri!r} is not a SIP address")
    port = int(match["port"] or 5060)
    user = match["user"] or label.rsplit(".", 1)[-1]
    return SeatTarget(counsellor_id=label, host=match["host"], port=port, user=user)


@dataclass(frozen=True)
class Gateways:
    by_region: dict[str, dict[str, SeatTarget]]

    @classmethod
    def parse(cls, text: str) -> Gateways:
        """Read the setting; every entry is checked (a bad one names itself)."""
        if not text.strip():
            return cls({})
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValueError("HOTLINE_EMERGENCY_GATEWAYS is not JSON") from exc
        if not isinstance(data, dict):
            raise ValueError("HOTLINE_EMERGENCY_GATEWAYS must be an object keyed by region code")
        table: dict[str, dict[str, SeatTarget]] = {}
        for region, numbers in data.items():
            if region != "*" and not re.fullmatch(r"\d{6}", str(region)):
                raise ValueError(f"{region!r} is not a six-digit region code or '*'")
            if not isinstance(numbers, dict):
                raise ValueError(f"{region}: expected an object of emergency numbers")
            table[str(region)] = {}
            for number, uri in numbers.items():
                if number not in EMERGENCY_NUMBERS:
                    raise ValueError(f"{region}: {number!r} is not 110, 119 or 120")
                table[str(region)][number] = parse_uri(str(uri), f"{region}.{number}")
        return cls(table)

    def lookup(self, number: str, city: str | None, province: str | None) -> SeatTarget | None:
        for region in (city, province, "*"):
            if region and number in self.by_region.get(region, {}):
                return self.by_region[region][number]
        return None
