"""Issue 12, item 1: recovering an ID number through public verification must not work.

The attack as reported: ``name + number`` answers the ID masked as ``110105********1230``; the
hidden eight digits are a birth date and the visible check character leaves about 200 dates in a
six-year window; ``id_number + number`` for each candidate then finds the real one. Here the
attacker first builds candidates only from what the answer shows, then (the strongest attacker,
who knows the region and sequence digits from elsewhere) tries 200 candidates anyway, from one
client address and from forty.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from minsheng.certification import service
from minsheng.certification.errors import VerificationRateLimited
from minsheng.certification.models import Certificate
from minsheng.certification.schemas import VerifyRequest
from minsheng.certification.service.ratelimit import DAY, MINUTE, Limit, MemoryRateStore
from minsheng.core.config import Settings
from minsheng.core.idnumber import check_character
from tests.certification import factories as f

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
REAL_ID = f.make_id()  # born 1990-03-07


def candidates(region: str, sequence: str, check: str) -> list[str]:
    """Every ID of a six-year birth window (1988–1993) with the given region, sequence and
    check character, in date order: about 200."""
    out = []
    day = date(1988, 1, 1)
    while day <= date(1993, 12, 31):
        first17 = f"{region}{day:%Y%m%d}{sequence}"
        if check_character(first17) == check:
            out.append(first17 + check)
        day += timedelta(days=1)
    return out


def from_mask(masked: str | None) -> list[str]:
    """The candidates an attacker can build from the answer's mask: region (6) and sequence +
    check (4) visible → the birth-date window; anything less → nothing to enumerate."""
    if masked is None or len(masked) != 18 or "*" in masked[:6] + masked[-4:]:
        return []
    return candidates(masked[:6], masked[-4:-1], masked[-1])


def attack(
    session: Session, settings: Settings, number: str, ids: list[str], clients: list[str]
) -> tuple[list[str], int]:
    """Try every candidate with the certificate number, a few seconds apart, spreading them
    over the client addresses; returns the candidates confirmed and the answers received."""
    confirmed, answered = [], 0
    for i, candidate in enumerate(ids):
        try:
            result = service.verify_certificate(
                session,
                settings,
                VerifyRequest(id_number=candidate, name=None, number=number),
                client=clients[i % len(clients)],
                now=NOW + timedelta(seconds=7 * i),
            )
        except VerificationRateLimited:
            continue
        answered += 1
        if result["found"]:
            confirmed.append(candidate)
    return confirmed, answered


class TestIdRecoveryAttack:
    @pytest.fixture
    def cert(self, session: Session, settings: Settings) -> Certificate:
        f.reference(session)
        b = f.body(session)
        return service.issue_certificate(session, f.issue_request(b.filing_no), settings, actor="t")

    def test_the_candidate_window_holds_the_real_id(self) -> None:
        # The test's own premise: 200-odd candidates, the real ID among them, past the cap.
        ids = candidates(REAL_ID[:6], REAL_ID[14:17], REAL_ID[-1])
        assert 180 <= len(ids) <= 220 and REAL_ID in ids
        assert ids.index(REAL_ID) > Settings().cert_verify_daily_per_number

    def test_name_and_number_show_nothing_to_enumerate(
        self, session: Session, settings: Settings, cert: Certificate
    ) -> None:
        result = service.verify_certificate(
            session,
            settings,
            VerifyRequest(id_number=None, name="张伟", number=cert.number),
            client="203.0.113.9",
            now=NOW,
        )
        (answer,) = result["certificates"]
        assert answer["id_masked"] is None
        assert from_mask(answer["id_masked"]) == []
        assert not any(ch.isdigit() for ch in str(answer["name_masked"]))

    def test_with_the_id_only_its_first_and_last_character_show(
        self, session: Session, settings: Settings, cert: Certificate
    ) -> None:
        result = service.verify_certificate(
            session,
            settings,
            VerifyRequest(id_number=REAL_ID, name=None, number=cert.number),
            client="203.0.113.9",
            now=NOW,
        )
        masked = result["certificates"][0]["id_masked"]
        assert masked == REAL_ID[0] + "*" * 16 + REAL_ID[-1]
        assert from_mask(masked) == []

    @pytest.mark.parametrize("clients", [1, 40])
    def test_200_candidates_do_not_recover_the_id(
        self, session: Session, settings: Settings, cert: Certificate, clients: int
    ) -> None:
        first = service.verify_certificate(
            session,
            settings,
            VerifyRequest(id_number=None, name="张伟", number=cert.number),
            client="198.51.100.1",
            now=NOW,
        )
        shown = first["certificates"][0]["id_masked"]
        # Built from the answer, the attacker has nothing to try.
        assert from_mask(shown) == []
        # Given the region and sequence from elsewhere, 200 tries: the certificate number's daily
        # cap answers at most that many (one went to the first lookup), whatever the addresses.
        ids = candidates(REAL_ID[:6], REAL_ID[14:17], REAL_ID[-1])
        addresses = [f"198.51.100.{i + 2}" for i in range(clients)]
        confirmed, answered = attack(session, settings, cert.number, ids, addresses)
        assert confirmed == []
        assert answered == settings.cert_verify_daily_per_number - 1
        # The next Beijing day the cap starts again — but only for another day's share.
        tomorrow = NOW + timedelta(days=1)
        result = service.verify_certificate(
            session,
            settings,
            VerifyRequest(id_number=ids[0], name=None, number=cert.number),
            client=addresses[0],
            now=tomorrow,
        )
        assert result == {"found": False, "certificates": []}

    def test_name_and_candidate_ids_are_capped_by_the_name(
        self, session: Session, settings: Settings, cert: Certificate
    ) -> None:
        ids = candidates(REAL_ID[:6], REAL_ID[14:17], REAL_ID[-1])
        confirmed, answered = [], 0
        for i, candidate in enumerate(ids):
            try:
                result = service.verify_certificate(
                    session,
                    settings,
                    VerifyRequest(id_number=candidate, name="张伟", number=None),
                    client=f"192.0.2.{i % 50}",
                    now=NOW + timedelta(seconds=7 * i),
                )
            except VerificationRateLimited:
                continue
            answered += 1
            confirmed += [candidate] if result["found"] else []
        assert answered == settings.cert_verify_daily_per_name
        assert confirmed == []

    def test_a_refusal_does_not_say_which_field(
        self, session: Session, settings: Settings, cert: Certificate
    ) -> None:
        tight = settings.model_copy(update={"cert_verify_rate_per_subject": 1})
        ask = VerifyRequest(id_number=None, name="张伟", number=cert.number)
        service.verify_certificate(session, tight, ask, client="a", now=NOW)
        with pytest.raises(VerificationRateLimited) as by_number:
            service.verify_certificate(session, tight, ask, client="b", now=NOW)
        wrong = VerifyRequest(id_number=None, name="李四", number=cert.number)
        with pytest.raises(VerificationRateLimited) as by_number_wrong_name:
            service.verify_certificate(session, tight, wrong, client="c", now=NOW)
        assert str(by_number.value) == str(by_number_wrong_name.value)
        assert "number" not in str(by_number.value).split("(")[0]

    @pytest.mark.parametrize("store", ["memory", "database"])
    def test_every_subject_is_counted(
        self, session: Session, settings: Settings, cert: Certificate, store: str
    ) -> None:
        tight = settings.model_copy(
            update={"cert_verify_rate_per_name": 2, "cert_verify_rate_store": store}
        )
        other = "S000046460100244000099"
        for i in range(2):  # the same name with other numbers and other clients
            service.verify_certificate(
                session,
                tight,
                VerifyRequest(id_number=None, name="王芳", number=other[:-1] + str(i)),
                client=f"c{i}",
                now=NOW,
            )
        with pytest.raises(VerificationRateLimited):
            service.verify_certificate(
                session,
                tight,
                VerifyRequest(id_number=None, name="王芳", number=cert.number),
                client="c9",
                now=NOW,
            )
        # A minute later the name's window has ended.
        later = service.verify_certificate(
            session,
            tight,
            VerifyRequest(id_number=None, name="王芳", number=cert.number),
            client="c9",
            now=NOW + timedelta(minutes=1),
        )
        assert later["found"] is False


class TestMemoryRateStore:
    def test_ended_windows_are_swept_and_sweeps_stay_amortised(self) -> None:
        store = MemoryRateStore(sweep_at=4)
        now = int(NOW.timestamp())
        for i in range(4):
            assert store.take([Limit(f"m{i}", MINUTE, 1, "x")], now) is None
        assert store.sweeps == 1 and len(store) == 4  # all four still live
        for i in range(4):  # live day keys: no sweep again until the table has doubled
            assert store.take([Limit(f"d{i}", DAY, 1, "x")], now) is None
        assert store.sweeps == 2 and len(store) == 8
        later = now + 2 * MINUTE
        for i in range(8):
            store.take([Limit(f"e{i}", DAY, 1, "x")], later)
        # The minute keys ended and were swept; the day keys live on and still count.
        assert store.sweeps == 3 and len(store) == 16 - 4
        assert store.take([Limit("d0", DAY, 1, "x")], later) is not None

    def test_all_or_nothing(self) -> None:
        store = MemoryRateStore()
        now = int(NOW.timestamp())
        full = Limit("full", MINUTE, 1, "number")
        assert store.take([full], now) is None
        other = Limit("other", MINUTE, 5, "client")
        assert store.take([other, full], now) == full
        for _ in range(5):  # the refused take counted nothing against "other"
            assert store.take([other], now) is None
        assert store.take([other], now) == other
