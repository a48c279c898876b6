"""The browser seat's page, its SIP credentials and the vendored JsSIP (no browser, no SIP: the
call through Kamailio and rtpengine is tests/hotline/sip/test_seat_browser.py)."""

from __future__ import annotations

import hashlib
import re
import shutil
import stat
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.auth import get_user_or_raise
from minsheng.core.config import Settings
from minsheng.core.db import session_scope
from minsheng.hotline import service
from minsheng.hotline.errors import SeatDisabled, SeatNotLinked, SeatUserTaken
from minsheng.hotline.rules import seat as seat_rules
from minsheng.hotline.schemas import CounsellorCreate
from minsheng.hotline.sip import seatfront
from minsheng.web.routes import STATIC
from tests.conftest import Cli, free_port
from tests.web.conftest import csrf_of

WS_URL = "ws://127.0.0.1:5981"
JSSIP = "jssip-3.13.8.min.js"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.hotline_seat_ws_url = WS_URL
    return settings


def make_counsellor(sessions: sessionmaker[Session], cid: str = "c1", **kw: object) -> None:
    with session_scope(sessions) as s:
        if not service.hotline_ids(s):
            service.import_hotlines(
                s,
                [{"id": "national", "name": "国家心理援助热线", "level": "national",
                  "regions": [], "legacy_numbers": [], "hours": "00:00-24:00", "seats": 2,
                  "connected_at": "2025-04-30T00:00:00+08:00"}],
                actor="test",
            )  # fmt: skip
        data = CounsellorCreate(name=f"咨询员{cid}", id=cid, hotline_id="national", **kw)
        service.create_counsellor(s, data, actor="test")


@pytest.fixture
def seat_login(
    client: TestClient, login_token: Callable[[str], str], session_factory: sessionmaker[Session]
) -> Callable[..., tuple[TestClient, str, str]]:
    """A hotline staff user signed in, linked to counsellor c1: (client, csrf, user name)."""

    def login(link: bool = True, **kw: object) -> tuple[TestClient, str, str]:
        make_counsellor(session_factory, **kw)
        token = login_token("hotline")
        client.post("/staff/login", data={"token": token})
        with session_scope(session_factory) as s:
            name = next(u.name for u in _users(s) if u.role == "hotline")
            if link:
                service.link_seat_user(s, "c1", name, actor="test")
        page = client.get("/staff/hotline/seat")
        assert page.status_code == 200, page.text
        return client, csrf_of(page.text), name

    return login


def _users(s: Session) -> list:  # type: ignore[type-arg]
    from minsheng.core.auth import list_users

    return list_users(s)


def test_only_a_plain_websocket_origin_enters_the_page_policy() -> None:
    from minsheng.web.staff_hotline_seat import ws_origin

    assert ws_origin("wss://sip.example.cn:8443/ws") == "wss://sip.example.cn:8443"
    assert ws_origin("https://sip.example.cn") == ""
    assert ws_origin("wss://a.cn; script-src *") == ""


class TestCredentialRules:
    SECRET = seat_rules.seat_secret(b"k" * 32)

    def test_a_credential_names_its_user_and_expiry_and_checks_until_then(self) -> None:
        cred = seat_rules.issue(self.SECRET, "c1", now_unix=1_000, ttl_s=300)
        assert cred.username == "1300:c1"
        assert seat_rules.check(self.SECRET, cred.username, cred.password, now_unix=1_299) == "c1"
        # controls: expired, another key, another user with this password
        assert seat_rules.check(self.SECRET, cred.username, cred.password, now_unix=1_300) is None
        other = seat_rules.seat_secret(b"x" * 32)
        assert seat_rules.check(other, cred.username, cred.password, now_unix=1_000) is None
        assert seat_rules.check(self.SECRET, "1300:c2", cred.password, now_unix=1_000) is None

    def test_kamailio_computes_the_same_password(self) -> None:
        # auth_ephemeral with sha_algorithm 1: base64(HMAC-SHA256(secret, username))
        import base64
        import hmac

        cred = seat_rules.issue(self.SECRET, "gd-sz-01", now_unix=0, ttl_s=60)
        mac = hmac.new(self.SECRET.encode(), b"60:gd-sz-01", hashlib.sha256).digest()
        assert cred.password == base64.b64encode(mac).decode()

    def test_bad_users_and_lifetimes_are_refused(self) -> None:
        with pytest.raises(ValueError):
            seat_rules.issue(self.SECRET, "c1:evil", now_unix=0, ttl_s=60)
        with pytest.raises(ValueError):
            seat_rules.issue(self.SECRET, "c1", now_unix=0, ttl_s=0)


class TestSeatPage:
    def test_the_page_holds_no_password_and_may_open_the_websocket_and_microphone(
        self, seat_login: Callable[..., tuple[TestClient, str, str]]
    ) -> None:
        client, _csrf, _name = seat_login()
        page = client.get("/staff/hotline/seat")
        assert 'data-ws="ws://127.0.0.1:5981"' in page.text
        assert f'src="/static/vendor/{JSSIP}"' in page.text
        assert "password" not in page.text.lower()
        csp = page.headers["content-security-policy"]
        assert "connect-src 'self' ws://127.0.0.1:5981;" in csp
        assert "microphone=(self)" in page.headers["permissions-policy"]
        # every other page keeps the default policy
        other = client.get("/staff/hotline")
        assert "connect-src 'self';" in other.headers["content-security-policy"]
        assert "microphone=()" in other.headers["permissions-policy"]
        for key in ('accesskey="a"', 'aria-live="polite"', 'id="seat-answer"'):
            assert key in page.text

    def test_an_unlinked_user_is_told_what_to_do(
        self, seat_login: Callable[..., tuple[TestClient, str, str]]
    ) -> None:
        client, csrf, name = seat_login(link=False)
        page = client.get("/staff/hotline/seat")
        assert "尚未关联咨询员坐席" in page.text
        assert f"seat-user 咨询员编号 {name}" in page.text
        answer = client.post("/staff/hotline/seat/credentials", data={"csrf_token": csrf})
        assert answer.status_code == 404
        assert answer.json()["error"] == "SeatNotLinked"
        assert "未关联咨询员坐席" in answer.json()["detail"]


class TestCredentials:
    def test_a_signed_in_counsellor_gets_a_short_lived_credential_for_themself(
        self,
        seat_login: Callable[..., tuple[TestClient, str, str]],
        settings: Settings,
    ) -> None:
        client, csrf, _name = seat_login()
        answer = client.post("/staff/hotline/seat/credentials", data={"csrf_token": csrf})
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store"
        cred = answer.json()
        assert cred["sip_uri"] == "sip:c1@127.0.0.1"
        assert cred["ws_url"] == WS_URL
        assert cred["rule"] == seat_rules.SEAT_CREDENTIAL_RULES_VERSION
        assert cred["ttl_s"] == settings.hotline_seat_credential_ttl_s
        secret = seat_rules.seat_secret(settings.hmac_key)
        now = cred["expires_at"] - cred["ttl_s"]
        good = seat_rules.check(secret, cred["authorization_user"], cred["password"], now_unix=now)
        assert good == "c1"
        expired = cred["expires_at"]
        assert (
            seat_rules.check(secret, cred["authorization_user"], cred["password"], now_unix=expired)
            is None
        )

    def test_without_csrf_or_after_signing_out_there_is_no_credential(
        self, seat_login: Callable[..., tuple[TestClient, str, str]]
    ) -> None:
        client, csrf, _name = seat_login()
        assert client.post("/staff/hotline/seat/credentials", data={}).status_code == 403
        client.post("/staff/logout", data={"csrf_token": csrf})
        answer = client.post(
            "/staff/hotline/seat/credentials", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert answer.status_code in (401, 303), answer.status_code
        assert "password" not in answer.text

    def test_a_disabled_counsellor_or_user_gets_none(
        self,
        seat_login: Callable[..., tuple[TestClient, str, str]],
        session_factory: sessionmaker[Session],
        settings: Settings,
    ) -> None:
        client, csrf, name = seat_login(active=False)
        answer = client.post("/staff/hotline/seat/credentials", data={"csrf_token": csrf})
        assert answer.status_code == 403
        assert answer.json()["error"] == "SeatDisabled"
        assert "已停用" in answer.json()["detail"]
        assert "已停用" in client.get("/staff/hotline/seat").text
        with session_scope(session_factory) as s:
            c = service.get_counsellor(s, "c1")
            c.active = True
            get_user_or_raise(s, name).active = False
        with session_factory() as s, pytest.raises(SeatDisabled):
            service.seat_credential(
                s, name, key=settings.hmac_key, now=datetime(2026, 12, 2, tzinfo=UTC), ttl_s=60
            )

    def test_sign_in_and_break_change_the_seat_state(
        self,
        seat_login: Callable[..., tuple[TestClient, str, str]],
        session_factory: sessionmaker[Session],
    ) -> None:
        client, csrf, _name = seat_login()
        answer = client.post(
            "/staff/hotline/seat/state", data={"csrf_token": csrf, "state": "available"}
        )
        assert answer.json()["state"] == "available"
        client.post("/staff/hotline/seat/state", data={"csrf_token": csrf, "state": "break"})
        with session_factory() as s:
            assert service.get_counsellor(s, "c1").state == "break"
        bad = client.post("/staff/hotline/seat/state", data={"csrf_token": csrf, "state": "x"})
        assert bad.status_code == 422
        queue = client.get("/staff/hotline/seat/queue")
        assert "当前没有排队来电" in queue.text

    def test_a_wrap_up_names_a_known_call_and_valid_ratings(
        self, seat_login: Callable[..., tuple[TestClient, str, str]]
    ) -> None:
        client, csrf, _name = seat_login()
        form = {"csrf_token": csrf, "call_ref": "nope@127.0.0.1", "notes": "小结"}
        bad = client.post(
            "/staff/hotline/seat/wrapup",
            data={**form, "suicidal_ideation": "extreme", "hopelessness": "none"},
        )
        assert bad.status_code == 422
        assert bad.json()["field"] == "suicidal_ideation"
        unknown = client.post(
            "/staff/hotline/seat/wrapup",
            data={**form, "suicidal_ideation": "mild", "hopelessness": "none"},
        )
        assert unknown.status_code == 404
        assert unknown.json()["error"] == "CallNotFound"
        # (a real call's wrap-up is recorded in tests/hotline/sip/test_seat_browser.py)

    def test_a_hand_over_is_checked_before_it_is_forwarded(
        self, seat_login: Callable[..., tuple[TestClient, str, str]], settings: Settings
    ) -> None:
        client, csrf, _name = seat_login()
        form = {"csrf_token": csrf, "call_ref": "abc@127.0.0.1", "to": "120"}
        assert client.post("/staff/hotline/seat/transfer", data={**form, "csrf_token": ""}
                           ).status_code == 403  # fmt: skip
        bad = client.post("/staff/hotline/seat/transfer", data={**form, "to": "999"})
        assert (bad.status_code, bad.json()["field"]) == (422, "to")
        bad = client.post("/staff/hotline/seat/transfer", data={**form, "mode": "later"})
        assert (bad.status_code, bad.json()["field"]) == (422, "mode")
        bad = client.post("/staff/hotline/seat/transfer", data={**form, "step": "undo"})
        assert (bad.status_code, bad.json()["field"]) == (422, "step")
        # no cluster and no single node configured: no node holds the call, said in Chinese
        none = client.post("/staff/hotline/seat/transfer", data=form)
        assert none.status_code == 404
        assert none.json()["detail"] == "该通话已不在通话中，无法转接。"
        # a single node that does not answer
        settings.hotline_seat_node_control = f"127.0.0.1:{free_port()}"
        down = client.post("/staff/hotline/seat/transfer", data=form)
        assert down.status_code == 502
        assert down.json()["detail"] == "热线节点不可达，请联系值班长转接。"
        # (a real hand-over from the page: tests/hotline/sip/test_seat_browser.py)


class TestLinking:
    def test_one_user_works_one_seat(
        self, session_factory: sessionmaker[Session], login_token: Callable[[str], str]
    ) -> None:
        make_counsellor(session_factory, "c1")
        make_counsellor(session_factory, "c2")
        login_token("hotline")
        with session_scope(session_factory) as s:
            name = _users(s)[0].name
            service.link_seat_user(s, "c1", name, actor="test")
        with session_factory() as s, pytest.raises(SeatUserTaken):
            service.link_seat_user(s, "c2", name, actor="test")
        with session_factory() as s, pytest.raises(SeatNotLinked):
            service.get_seat_counsellor(s, "nobody")

    def test_the_cli_links_and_unlinks(
        self,
        cli: Cli,
        session_factory: sessionmaker[Session],
        login_token: Callable[[str], str],
    ) -> None:
        make_counsellor(session_factory, "c1")
        login_token("hotline")
        with session_factory() as s:
            name = _users(s)[0].name
        result = cli("hotline", "sip", "seat-user", "c1", name)
        assert result.exit_code == 0, result.output
        assert f'"staff_user": "{name}"' in result.output
        with session_factory() as s:
            assert service.find_seat_counsellor(s, name) is not None
        result = cli("hotline", "sip", "seat-user", "c1", "--unlink")
        assert result.exit_code == 0, result.output
        with session_factory() as s:
            assert service.find_seat_counsellor(s, name) is None


class TestVendoredJsSip:
    def test_jssip_is_served_and_matches_its_provenance(self, client: TestClient) -> None:
        answer = client.get(f"/static/vendor/{JSSIP}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/javascript")
        digest = hashlib.sha256(answer.content).hexdigest()
        provenance = (STATIC / "PROVENANCE.md").read_text(encoding="utf-8")
        assert f"`vendor/{JSSIP}`: `{digest}`" in provenance
        assert b"var JsSIP=" in answer.content
        assert client.get("/static/vendor/jssip-LICENSE.md").status_code == 404
        assert client.get("/static/seat.js").status_code == 200


def front_options(tmp_path: Path, **kw: object) -> seatfront.SeatFrontOptions:
    base: dict[str, object] = {
        "sip": seatfront.Address.parse("127.0.0.1:5980"),
        "rtpengine": seatfront.Address.parse("127.0.0.1:2299"),
        "nodes": (seatfront.Address.parse("127.0.0.1:5960"),),
        "secret": seat_rules.seat_secret(b"k" * 32),
        "ctl_socket": str(tmp_path / "ctl"),
        "ws": seatfront.Address.parse("127.0.0.1:5981"),
        "origins": ("http://127.0.0.1:8000",),
    }
    base.update(kw)
    return seatfront.SeatFrontOptions(**base)  # type: ignore[arg-type]


class TestSeatFrontConfig:
    def test_kamailio_accepts_the_generated_config(self, tmp_path: Path) -> None:
        binary = shutil.which("kamailio") or "/usr/sbin/kamailio"
        if not Path(binary).exists():
            pytest.fail("kamailio is not installed (.ci/tools)")
        cfg = seatfront.render_cfg(front_options(tmp_path))
        assert '$hdr(Origin) == "http://127.0.0.1:8000"' in cfg
        assert '($si == "127.0.0.1" && $sp == 5960)' in cfg
        assert re.search(r'modparam\("auth_ephemeral", "sha_algorithm", 1\)', cfg)
        (tmp_path / "kamailio.cfg").write_text(cfg)
        result = subprocess.run(
            [binary, "-c", "-f", str(tmp_path / "kamailio.cfg"), "-Y", str(tmp_path)],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert "config file ok" in result.stdout + result.stderr

    def test_unsafe_layouts_are_refused(self, tmp_path: Path) -> None:
        problems = seatfront.check(
            front_options(
                tmp_path,
                ws=seatfront.Address.parse("10.0.0.5:80"),
                nodes=(),
                origins=("javascript:x",),
            )
        )
        assert len(problems) == 3, problems
        assert seatfront.check(front_options(tmp_path, ws=None))[0].startswith("give a ws")
        with pytest.raises(ValueError):
            seatfront.render_cfg(front_options(tmp_path, ws=None))

    def test_the_cli_writes_a_private_config(self, cli: Cli, tmp_path: Path) -> None:
        out = tmp_path / "front"
        result = cli(
            "hotline", "sip", "seat-front-config", "--out", str(out),
            "--node", "127.0.0.1:5960", "--ws", "127.0.0.1:5981",
            "--origin", "http://127.0.0.1:8000",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        cfg = out / "kamailio.cfg"
        assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
        assert "listen=tcp:127.0.0.1:5981" in cfg.read_text()
        refused = cli(
            "hotline", "sip", "seat-front-config", "--out", str(out),
            "--node", "127.0.0.1:5960", "--wss", "0.0.0.0:8443",
        )  # fmt: skip
        assert refused.exit_code != 0
        assert "MINSHENG_HOTLINE_SEAT_TLS_CERTIFICATE" in refused.output
