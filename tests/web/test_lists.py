"""Staff lists (issue 18 item 6): search, filters, paging and CSV/Excel export of cases, parties,
grades, certificates, calls and the KPI table by hotline; status tiles linking to their filtered
list; the case form's party picker; refused filters and pages named beside their field.

Each export is parsed back: Chinese headers, masked ID and phone numbers, exactly the filtered
rows, and an audit row naming who exported what filter and how many rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.audit import AuditEntry
from tests.web.conftest import StaffLogin

ID_MASK = re.compile(r"^\d{6}\*{8}[\dX]{4}$")
PHONE_MASK = re.compile(r"\*{4}")
TOTAL = re.compile(r"共 <strong>([\d,]+)</strong>")


def total_of(html: str) -> int:
    found = TOTAL.search(html)
    assert found, "no total on the page"
    return int(found.group(1).replace(",", ""))


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte-order mark: Excel would garble it"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(body: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(body)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def exports(session_factory: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with session_factory() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def error_beside(html: str, field: str) -> str:
    """The text of the error element beside ``field`` (empty when hidden)."""
    found = re.search(rf'<(?:p|span) id="le-{field}" class="error" ([^>]*)>([^<]*)<', html)
    assert found, f"no error element for {field}"
    return "" if "hidden" in found.group(1) else found.group(2)


@pytest.mark.demo("enforcement")
class TestEnforcementLists:
    def test_cases_are_paged_with_the_query_kept(self, staff_login: StaffLogin) -> None:
        client, _ = staff_login("enforcement", "/staff/enforcement")
        index = client.get("/staff/enforcement").text
        # every status tile opens the list filtered by its status
        assert 'href="/staff/enforcement/cases?status=closed"' in index
        page = client.get("/staff/enforcement/cases", params={"status": "closed"})
        assert page.status_code == 200
        total = total_of(page.text)
        assert total > 20, "the demo should have more than one page of closed cases"
        rows = re.findall(r'<a href="/staff/enforcement/cases/(\d+)">#', page.text)
        assert len(rows) == 20
        assert "上一页" in page.text and 'rel="next"' in page.text
        nxt = unescape(re.search(r'<a href="([^"]+)" rel="next">', page.text).group(1))
        assert "status=closed" in nxt and "page=2" in nxt
        second = client.get(nxt).text
        rows2 = re.findall(r'<a href="/staff/enforcement/cases/(\d+)">#', second)
        assert rows2 and not set(rows2) & set(rows)
        ids = [int(x) for x in rows + rows2]
        assert ids == sorted(ids, reverse=True)
        params = {"status": "closed", "page_size": "50"}
        bigger = client.get("/staff/enforcement/cases", params=params).text
        shown = re.findall(r'<a href="/staff/enforcement/cases/(\d+)">#', bigger)
        assert len(shown) == min(50, total)

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"status": "nonsense"}, "status"),
            ({"discovery": "x"}, "discovery"),
            ({"from": "2024-13-40"}, "from"),
            ({"from": "2024-05-01", "to": "2024-04-01"}, "to"),
            ({"page": "0"}, "page"),
            ({"page": "abc"}, "page"),
            ({"page": "99999"}, "page"),
            ({"page_size": "7"}, "page_size"),
            ({"q": "x" * 150}, "q"),
        ],
    )
    def test_a_bad_filter_or_page_is_named_beside_its_field(
        self, staff_login: StaffLogin, params: dict[str, str], field: str
    ) -> None:
        client, _ = staff_login("enforcement", "/staff/enforcement")
        page = client.get("/staff/enforcement/cases", params=params)
        assert page.status_code == 422, page.text
        assert error_beside(page.text, field), f"no error beside {field}"
        assert 'aria-invalid="true"' in page.text

    def test_case_export_is_exactly_the_filtered_rows(
        self, staff_login: StaffLogin, session_factory: sessionmaker[Session]
    ) -> None:
        client, _ = staff_login("enforcement", "/staff/enforcement")
        params = {"status": "closed", "discovery": "patrol"}
        total = total_of(client.get("/staff/enforcement/cases", params=params).text)
        page = client.get("/staff/enforcement/cases", params=params).text
        assert "/staff/enforcement/export/cases.csv?" in unescape(page)
        answer = client.get("/staff/enforcement/export/cases.csv", params=params)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        table = read_csv(answer.content)
        assert table[0][:5] == ["案件号", "当事人", "统一社会信用代码", "违法事项", "状态"]
        assert len(table) - 1 == total
        assert {row[4] for row in table[1:]} == {"已结案"}
        assert {row[5] for row in table[1:]} == {"巡查发现"}
        xlsx = client.get("/staff/enforcement/export/cases.xlsx", params=params)
        assert xlsx.status_code == 200
        sheet = read_xlsx(xlsx.content)
        assert sheet[0] == table[0]
        assert len(sheet) - 1 == total
        audited = exports(session_factory, "export.cases")
        assert [e.detail["format"] for e in audited] == ["csv", "xlsx"]
        assert audited[0].detail["rows"] == total
        assert audited[0].detail["filters"] == params
        assert audited[0].actor.startswith("user:enforcement-")

    def test_parties_search_and_masked_export(self, staff_login: StaffLogin) -> None:
        client, _ = staff_login("enforcement", "/staff/enforcement/parties")
        people = client.get("/staff/enforcement/parties", params={"kind": "person"})
        assert people.status_code == 200
        n = total_of(people.text)
        assert n > 0
        table = read_csv(
            client.get("/staff/enforcement/export/parties.csv", params={"kind": "person"}).content
        )
        assert table[0][:3] == ["编号", "名称或姓名", "类型"]
        assert len(table) - 1 == n
        ids = [row[5] for row in table[1:]]
        assert ids and all(ID_MASK.match(i) for i in ids), ids[:3]
        assert all("*" in row[1] for row in table[1:])  # a person's name masked as on the page
        # a name fragment finds the party, a credit code prefix too
        org = read_csv(
            client.get(
                "/staff/enforcement/export/parties.csv", params={"kind": "organisation"}
            ).content
        )[1]
        by_code = client.get("/staff/enforcement/parties", params={"q": org[4][:12]})
        assert org[1] in by_code.text
        by_name = client.get("/staff/enforcement/parties", params={"q": org[1][1:5]})
        assert org[1] in by_name.text

    def test_the_case_form_picks_the_party_by_name(self, staff_login: StaffLogin) -> None:
        client, _ = staff_login("enforcement", "/staff/enforcement")
        org = read_csv(
            client.get(
                "/staff/enforcement/export/parties.csv", params={"kind": "organisation"}
            ).content
        )[1]
        # without JavaScript: a plain GET lists the matches as choices inside the case form
        page = client.get("/staff/enforcement", params={"party_q": org[1]})
        assert page.status_code == 200
        assert f'name="party_id" value="{org[0]}"' in page.text
        assert 'id="f-party_id"' not in page.text  # no typed party number any more
        # htmx asks the same list as a fragment while typing
        fragment = client.get("/staff/enforcement/party-picker", params={"party_q": org[4]})
        assert f'value="{org[0]}"' in fragment.text
        none = client.get("/staff/enforcement/party-picker", params={"party_q": "没有这个当事人"})
        assert "没有名称或代码含" in none.text
        # coming from a party's page the party is already chosen
        chosen = client.get("/staff/enforcement", params={"party_id": org[0]})
        assert f'name="party_id" value="{org[0]}" checked' in chosen.text

    def test_grades_filter_page_and_export(self, staff_login: StaffLogin) -> None:
        client, _ = staff_login("enforcement", "/staff/enforcement/grades")
        page = client.get("/staff/enforcement/grades")
        year = re.search(r'<option value="(\d{4})" selected>', page.text).group(1)
        tiles = re.findall(r"grades\?year=\d+&amp;grade=([ABCD])", page.text)
        assert tiles == ["A", "B", "C", "D"]
        c = client.get("/staff/enforcement/grades", params={"year": year, "grade": "C"})
        n = total_of(c.text)
        table = read_csv(
            client.get(
                "/staff/enforcement/export/grades.csv", params={"year": year, "grade": "C"}
            ).content
        )
        assert table[0] == ["企业", "统一社会信用代码", "年度", "等级", "积分", "规则版本"]
        assert len(table) - 1 == n and {r[3] for r in table[1:]} <= {"C"}
        bad = client.get("/staff/enforcement/grades", params={"year": year, "grade": "E"})
        assert bad.status_code == 422 and error_beside(bad.text, "grade")

    def test_plan_visits_filter_page_and_export(self, staff_login: StaffLogin) -> None:
        client, _ = staff_login("enforcement", "/staff/enforcement/plan")
        page = client.get("/staff/enforcement/plan")
        year = re.search(r'name="year" type="number" value="(\d+)"', page.text).group(1)
        query = {"year": year, "month": "3", "seed": "1"}
        everything = client.get("/staff/enforcement/plan", params=query)
        n = total_of(everything.text)
        assert n > 0
        table = read_csv(client.get("/staff/enforcement/export/plan.csv", params=query).content)
        assert table[0] == ["日期", "检查对象", "信用等级", "检查人员", "检查事项（综合查一次）"]
        assert len(table) - 1 == n
        grade = table[1][2]
        only = client.get("/staff/enforcement/plan", params={**query, "grade": grade})
        rows = read_xlsx(
            client.get(
                "/staff/enforcement/export/plan.xlsx", params={**query, "grade": grade}
            ).content
        )
        assert len(rows) - 1 == total_of(only.text) and {r[2] for r in rows[1:]} == {grade}
        # the pager keeps the plan's year, month and seed
        if n > 20:
            nxt = unescape(re.search(r'<a href="([^"]+)" rel="next">', everything.text).group(1))
            assert f"year={year}" in nxt and "month=3" in nxt and "seed=1" in nxt

    def test_an_export_with_a_bad_filter_names_it(self, staff_login: StaffLogin) -> None:
        client, _ = staff_login("enforcement", "/staff/enforcement")
        answer = client.get("/staff/enforcement/export/cases.csv", params={"status": "x"})
        assert answer.status_code == 422
        assert 'data-field="status"' in answer.text
        assert client.get("/staff/enforcement/export/cases.pdf").status_code == 404

    def test_the_api_pages_and_refuses_with_422(self, staff_login: StaffLogin) -> None:
        client, _ = staff_login("enforcement", "/staff/enforcement")
        body = client.get("/api/enforcement/lists/cases", params={"status": "closed"}).json()
        assert body["page"] == 1 and body["page_size"] == 20 and len(body["items"]) == 20
        assert body["pages"] == -(-body["total"] // 20)
        for params, field in (
            ({"status": "nonsense"}, "status"),
            ({"page_size": 7}, "page_size"),
            ({"page": 10_000}, "page"),
        ):
            answer = client.get("/api/enforcement/lists/cases", params=params)
            assert answer.status_code == 422, params
            assert answer.json()["field"] == field
        answer = client.get("/api/enforcement/lists/cases", params={"page": 0})
        assert answer.status_code == 422 and "page" in answer.text
        people = client.get("/api/enforcement/lists/parties", params={"kind": "person"}).json()
        assert all(ID_MASK.match(p["id_number"]) for p in people["items"])


def test_a_formula_is_never_exported_as_one(
    staff_login: StaffLogin, session_factory: sessionmaker[Session]
) -> None:
    from minsheng.core import creditcode
    from minsheng.enforcement import schemas, service

    with session_factory() as s:
        code = creditcode.with_check("91460107" + creditcode.org_code("MA5T0009"))
        data = schemas.PartyCreate(
            kind="organisation", category="shop", name="=HYPERLINK(1)", credit_code=code
        )
        service.create_party(s, data, key=b"k" * 32, actor="test")
        s.commit()
    client, _ = staff_login("enforcement", "/staff/enforcement/parties")
    table = read_csv(client.get("/staff/enforcement/export/parties.csv").content)
    assert table[1][1] == "'=HYPERLINK(1)"
    book = load_workbook(io.BytesIO(client.get("/staff/enforcement/export/parties.xlsx").content))
    cell = book.active["B2"]
    assert cell.value == "=HYPERLINK(1)" and cell.data_type == "s"


class TestCertificateList:
    def test_search_filter_and_masked_export(
        self,
        staff_login: StaffLogin,
        cert_demo: dict[str, Any],
        session_factory: sessionmaker[Session],
    ) -> None:
        client, _ = staff_login("certification", "/staff/certification")
        assert 'href="/staff/certification/certificates"' in client.get("/staff/certification").text
        page = client.get("/staff/certification/certificates")
        assert page.status_code == 200
        total = total_of(page.text)
        assert 'href="/staff/certification/certificates?status=revoked"' in page.text
        revoked = client.get("/staff/certification/certificates", params={"status": "revoked"})
        assert 0 < total_of(revoked.text) < total
        table = read_csv(client.get("/staff/certification/export/certificates.csv").content)
        assert table[0][:3] == ["证书编号", "姓名（脱敏）", "身份证号（脱敏）"]
        assert len(table) - 1 == total
        assert all(ID_MASK.match(r[2]) for r in table[1:])
        assert all("*" in r[1] for r in table[1:])
        # a number typed with spaces, and a prefix, find it
        number = table[1][0]
        spaced = f"{number[:4]} {number[4:10]} {number[10:]}"
        found = client.get("/staff/certification/certificates", params={"q": spaced})
        assert total_of(found.text) == 1 and number in found.text
        assert (
            total_of(
                client.get("/staff/certification/certificates", params={"q": number[:12]}).text
            )
            >= 1
        )
        xlsx = read_xlsx(
            client.get(
                "/staff/certification/export/certificates.xlsx", params={"status": "revoked"}
            ).content
        )
        assert len(xlsx) - 1 == total_of(revoked.text)
        assert {r[9] for r in xlsx[1:]} == {"已撤销"}
        assert len(exports(session_factory, "export.certificates")) == 2
        bad = client.get("/staff/certification/certificates", params={"level": "9"})
        assert bad.status_code == 422 and error_beside(bad.text, "level")


class TestHotlineLists:
    def test_calls_show_line_names_and_export_masked(
        self,
        client: TestClient,
        login_token: Callable[[str], str],
        hotline_demo: dict[str, Any],
        session_factory: sessionmaker[Session],
    ) -> None:
        client.post("/staff/login", data={"token": login_token("hotline")})
        page = client.get("/staff/hotline/calls")
        assert page.status_code == 200
        total = total_of(page.text)
        assert total > 20
        assert "<code>city-" not in page.text and "<code>prov-" not in page.text
        line = re.search(r'<option value="(city-440300)">([^<]+)</option>', page.text)
        assert line, "the hotline filter offers the lines by name"
        mine = client.get("/staff/hotline/calls", params={"hotline": line.group(1)})
        n = total_of(mine.text)
        assert 0 < n < total
        table = read_csv(
            client.get("/staff/hotline/export/calls.csv", params={"hotline": line.group(1)}).content
        )
        assert table[0][:4] == ["来电编号", "来电号码（脱敏）", "来电时间（北京时间）", "接听热线"]
        assert len(table) - 1 == n
        assert {r[3] for r in table[1:]} == {line.group(2)}
        assert all(PHONE_MASK.search(r[1]) for r in table[1:])
        audited = exports(session_factory, "export.calls")
        assert audited[-1].detail == {
            "format": "csv",
            "filters": {"hotline": line.group(1)},
            "rows": n,
        }
        bad = client.get("/staff/hotline/calls", params={"outcome": "maybe"})
        assert bad.status_code == 422 and error_beside(bad.text, "outcome")

    def test_the_kpi_table_names_the_lines_and_exports(
        self, client: TestClient, login_token: Callable[[str], str], hotline_demo: dict[str, Any]
    ) -> None:
        client.post("/staff/login", data={"token": login_token("hotline")})
        page = client.get("/staff/hotline/kpi")
        assert page.status_code == 200
        table = page.text.split('id="kpi-lines"', 1)[1].split("</table>", 1)[0]
        names = re.findall(r'<th scope="row">([^<]+) <small', table)
        assert names and all("热线" in n or "12356" in n for n in names), names[:3]
        first = re.search(r'name="from" value="([\d-]+)"', page.text).group(1)
        last = re.search(r'name="to" value="([\d-]+)"', page.text).group(1)
        params = {"from": first, "to": last, "q": "深圳"}
        shenzhen = client.get("/staff/hotline/kpi", params=params)
        assert total_of(shenzhen.text) >= 1
        rows = read_csv(client.get("/staff/hotline/export/kpi-lines.csv", params=params).content)
        assert rows[0][:3] == ["热线", "热线编号", "接入"]
        assert len(rows) - 1 == total_of(shenzhen.text)
        assert all("深圳" in r[0] for r in rows[1:])
