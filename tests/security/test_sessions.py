"""Issue items 8 and 9: web logins are short-lived server-side sessions revoked at logout, API
tokens expire and can be rotated or disabled (refused at once), every change is audited, and
the JSON API takes bearer tokens only (a cross-site form with the cookie is refused)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import auth
from minsheng.core.audit import AuditEntry
from minsheng.core.auth import User, WebSession
from minsheng.core.errors import Unauthorized
from tests.conftest import Cli

T0 = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on New Year's Day in Beijing


@pytest.fixture
def user_token(session_factory: sessionmaker[Session]) -> tuple[str, str]:
    with session_factory() as s:
        user, token = auth.create_user(s, name="officer", role="certification")
        s.commit()
    return user.name, token


def login(client: TestClient, token: str) -> str:
    response = client.post("/staff/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303
    cookie = client.cookies.get("minsheng_session")
    assert cookie
    return cookie


def csrf_of(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/staff").text)
    assert found
    return found.group(1)


def actions(session_factory: sessionmaker[Session]) -> list[str]:
    with session_factory() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


class TestWebSessions:
    def test_the_cookie_is_a_server_side_session_not_the_token(
        self,
        client: TestClient,
        user_token: tuple[str, str],
        session_factory: sessionmaker[Session],
    ) -> None:
        _name, token = user_token
        cookie = login(client, token)
        assert cookie != token
        with session_factory() as s:
            row = s.scalars(select(WebSession)).one()
            assert row.id_hash == auth.hash_token(cookie)
            assert row.expires_at - row.created_at == timedelta(hours=8)
        assert "session.login" in actions(session_factory)

    def test_logout_revokes_the_session_for_a_replayed_cookie(
        self,
        client: TestClient,
        user_token: tuple[str, str],
        session_factory: sessionmaker[Session],
    ) -> None:
        cookie = login(client, user_token[1])
        client.post("/staff/logout", data={"csrf_token": csrf_of(client)})
        client.cookies.clear()
        client.cookies.set("minsheng_session", cookie)  # an attacker kept a copy
        assert client.get("/staff", follow_redirects=False).status_code == 303
        assert "session.logout" in actions(session_factory)

    def test_a_session_ends_after_its_lifetime(
        self, session_factory: sessionmaker[Session], user_token: tuple[str, str]
    ) -> None:
        with session_factory() as s:
            principal, sid = auth.start_web_session(
                s, user_token[1], now=T0, lifetime=timedelta(minutes=30)
            )
            s.commit()
            assert auth.session_principal(s, sid, now=T0 + timedelta(minutes=29)) == principal
            with pytest.raises(Unauthorized, match="ended"):
                auth.session_principal(s, sid, now=T0 + timedelta(minutes=30))


class TestTokens:
    def test_a_token_expires(self, session_factory: sessionmaker[Session]) -> None:
        with session_factory() as s:
            _user, token = auth.create_user(
                s, name="old", role="hotline", now=T0, lifetime=timedelta(days=90)
            )
            s.commit()
            assert auth.authenticate(s, token, now=T0 + timedelta(days=89)).name == "old"
            with pytest.raises(Unauthorized, match="expired"):
                auth.authenticate(s, token, now=T0 + timedelta(days=90))

    def test_an_expired_token_is_refused_by_the_api(
        self, client: TestClient, session_factory: sessionmaker[Session]
    ) -> None:
        with session_factory() as s:
            _user, token = auth.create_user(
                s, name="stale", role="hotline", now=datetime(2020, 1, 1, tzinfo=UTC)
            )
            s.commit()
        reply = client.get("/api/core/me", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 401
        assert "expired" in reply.json()["detail"]

    def test_rotation_and_disabling_take_effect_at_once(
        self,
        client: TestClient,
        cli: Cli,
        user_token: tuple[str, str],
        session_factory: sessionmaker[Session],
    ) -> None:
        name, token = user_token
        bearer = {"Authorization": f"Bearer {token}"}
        login(client, token)
        assert client.get("/staff/certification").status_code == 200
        assert client.get("/api/core/me", headers=bearer).status_code == 200

        rotated = cli("users", "rotate", name)
        assert rotated.exit_code == 0, rotated.output
        new_token = rotated.output.strip().splitlines()[-1]
        assert client.get("/api/core/me", headers=bearer).status_code == 401
        assert client.get("/staff/certification", follow_redirects=False).status_code == 303
        new_bearer = {"Authorization": f"Bearer {new_token}"}
        assert client.get("/api/core/me", headers=new_bearer).json()["name"] == name

        login(client, new_token)
        disabled = cli("users", "disable", name)
        assert disabled.exit_code == 0, disabled.output
        assert client.get("/api/core/me", headers=new_bearer).status_code == 401
        assert client.get("/staff/certification", follow_redirects=False).status_code == 303
        assert client.post("/staff/login", data={"token": new_token}).status_code == 401

        listed = cli("users", "list", "--json")
        assert '"active": false' in listed.output and new_token not in listed.output
        assert cli("users", "enable", name).exit_code == 0
        assert client.get("/api/core/me", headers=new_bearer).status_code == 200
        for action in ("user.create", "user.rotate", "user.disable", "user.enable"):
            assert action in actions(session_factory)

    def test_the_cli_names_an_unknown_user(self, cli: Cli) -> None:
        result = cli("users", "disable", "nobody")
        assert result.exit_code == 1
        assert "UserNotFound" in result.output

    def test_new_tokens_get_the_configured_lifetime(
        self, cli: Cli, session_factory: sessionmaker[Session]
    ) -> None:
        cli.env["MINSHENG_TOKEN_LIFETIME_DAYS"] = "7"
        assert cli("users", "create", "short", "--role", "hotline").exit_code == 0
        with session_factory() as s:
            user = s.scalars(select(User).where(User.name == "short")).one()
            assert user.token_expires_at is not None
            assert user.token_expires_at - user.created_at == timedelta(days=7)


class TestApiTakesBearerTokensOnly:
    def test_a_cross_site_form_with_the_cookie_cannot_import(
        self, client: TestClient, user_token: tuple[str, str]
    ) -> None:
        """A page elsewhere posts a text/plain form to the import API; the browser sends the
        staff cookie along. The API must not act on it."""
        login(client, user_token[1])
        reply = client.post(
            "/api/certification/certificates/import",
            content=b"number,name,id_number\r\n=evil,x,y\r\n",
            headers={"Content-Type": "text/plain", "Origin": "https://evil.example"},
        )
        assert reply.status_code == 401
        assert reply.json()["error"] == "Unauthorized"
        # The same cookie still opens the pages (where forms carry a CSRF token).
        assert client.get("/staff/certification").status_code == 200
