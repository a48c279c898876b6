"""Pure rules: certificate numbers, issuance, subsidy and the ad scanner."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from minsheng.certification import rules, rules_adscan, rules_subsidy
from minsheng.certification.rules_subsidy import PreviousClaim, SubsidyApplication


class TestNumbers:
    def test_decodes_every_position(self) -> None:
        d = rules.decode_number("Y000123440300195000001")
        assert d.valid and d.errors == []
        assert (d.issuer_type, d.body_code, d.province_code) == ("Y", "0001", "23")
        assert (d.site_code, d.year, d.level, d.serial) == ("440300", 2019, 5, "000001")

    def test_lowercase_and_spaces_are_normalised(self) -> None:
        assert rules.decode_number(" s000046460100244000001 ").valid

    def test_bad_numbers_name_their_errors(self) -> None:
        assert "must be 22 characters, got 5" in rules.decode_number("Y1234").errors
        assert any("Y (employer)" in e for e in rules.decode_number("X" + "0" * 21).errors)
        bad_level = rules.decode_number("S000046460100246000001")
        assert not bad_level.valid and any("level 6" in e for e in bad_level.errors)
        bad_prov = rules.decode_number("S000099460100244000001")
        assert any("province" in e for e in bad_prov.errors)
        assert any("000001" in e for e in rules.decode_number("S000046460100244000000").errors)
        assert any("digits" in e for e in rules.decode_number("S00004646010024400000A").errors)

    @given(
        st.sampled_from("YS"),
        st.integers(0, 9999),
        st.sampled_from(sorted(rules.PROVINCE_CODES)),
        st.integers(0, 999_999),
        st.integers(2019, 2099),
        st.integers(1, 5),
        st.integers(1, 999_999),
    )
    def test_compose_then_decode_round_trips(
        self, t: str, body: int, prov: str, site: int, year: int, level: int, serial: int
    ) -> None:
        prefix = rules.number_prefix(
            issuer_type=t,
            body_code=f"{body:04d}",
            province_code=prov,
            site_code=f"{site:06d}",
            year=year,
            level=level,
        )
        number = rules.compose_number(prefix, serial)
        assert rules.NUMBER_RE.match(number)
        d = rules.decode_number(number)
        assert d.valid and d.level == level and d.year == year and int(d.serial or 0) == serial


def occ(**kw: object) -> rules.OccupationFacts:
    base: dict[str, object] = {
        "code": "4-09-07-04",
        "name": "碳排放管理员",
        "major_group": 4,
        "access_qualification": None,
        "standard_levels": frozenset({5, 4, 3}),
    }
    base.update(kw)
    return rules.OccupationFacts(**base)  # type: ignore[arg-type]


def body_facts(**kw: object) -> rules.BodyFacts:
    base: dict[str, object] = {
        "filing_no": "S0000-46-0001",
        "body_type": "S",
        "code": "0000",
        "province_code": "46",
        "status": "active",
        "valid_from": date(2022, 1, 1),
        "valid_to": None,
        "scope": frozenset({("4-09-07-04", 4), ("4-09-07-04", 3)}),
    }
    base.update(kw)
    return rules.BodyFacts(**base)  # type: ignore[arg-type]


def facts(**kw: object) -> rules.IssuanceFacts:
    base: dict[str, object] = {
        "occupation_code": "4-09-07-04",
        "occupation": occ(),
        "body_filing_no": "S0000-46-0001",
        "body": body_facts(),
        "level": 4,
        "issued_on": date(2024, 5, 1),
        "today": date(2024, 6, 1),
        "id_errors": (),
        "province_code": "46",
        "site_code": "460100",
    }
    base.update(kw)
    return rules.IssuanceFacts(**base)  # type: ignore[arg-type]


class TestIssuance:
    def test_all_rules_pass(self) -> None:
        decision = rules.check_issuance(facts())
        assert decision.allowed and decision.failures == ()
        assert decision.rule_set == "issuance-2019"

    def test_refusal_names_every_failed_rule(self) -> None:
        decision = rules.check_issuance(
            facts(
                occupation=occ(
                    major_group=2, access_qualification="焊工", standard_levels=frozenset()
                ),
                body=body_facts(status="suspended", valid_to=date(2023, 12, 31), scope=frozenset()),
                id_errors=("check character is 1, expected X (ISO 7064)",),
            )
        )
        got = {f.rule for f in decision.failures}
        assert got == {
            "occupation.major_group",
            "occupation.not_access_qualification",
            "standard.covers_level",
            "body.active",
            "body.filing_dates",
            "body.scope",
            "holder.id_number",
        }

    def test_provincial_body_issues_in_its_province(self) -> None:
        decision = rules.check_issuance(facts(province_code="44"))
        assert [f.rule for f in decision.failures] == ["body.province"]

    def test_unknown_occupation_and_body(self) -> None:
        decision = rules.check_issuance(facts(occupation=None, body=None))
        assert {f.rule for f in decision.failures} == {"occupation.exists", "body.filed"}

    def test_level_outside_standard(self) -> None:
        decision = rules.check_issuance(facts(level=1))
        assert "standard.covers_level" in {f.rule for f in decision.failures}

    def test_future_date_and_bad_level(self) -> None:
        decision = rules.check_issuance(facts(issued_on=date(2030, 1, 1), level=7))
        assert {"issued_on.not_future", "level.exists"} <= {f.rule for f in decision.failures}

    @given(st.integers(1, 8), st.booleans(), st.sets(st.integers(1, 5)))
    def test_eligibility_matches_the_three_conditions(
        self, group: int, access: bool, levels: set[int]
    ) -> None:
        eligible = rules.certificate_eligible(group, "x" if access else None, frozenset(levels))
        assert eligible == (3 <= group <= 6 and not access and bool(levels))


def app(**kw: object) -> SubsidyApplication:
    base: dict[str, object] = {
        "insured_months": 14,
        "receiving_unemployment_benefit": False,
        "province_code": "44",
        "occupation_code": "4-09-07-04",
        "level": 4,
        "issued_on": date(2024, 3, 1),
        "applied_on": date(2024, 6, 1),
    }
    base.update(kw)
    return SubsidyApplication(**base)  # type: ignore[arg-type]


def failed(decision: rules_subsidy.SubsidyDecision) -> set[str]:
    return {r["rule"] for r in decision.reasons if not r["ok"]}


class TestSubsidy:
    def test_level_caps(self) -> None:
        for level, cap in ((5, 1000), (4, 1500), (3, 2000)):
            d = rules_subsidy.decide(app(level=level))
            assert d.eligible and d.max_amount_yuan == cap and d.rule_set == "national-2024"
        for level in (2, 1):
            d = rules_subsidy.decide(app(level=level))
            assert not d.eligible and failed(d) == {"certificate.level"}

    def test_insurance_months_by_date(self) -> None:
        d2018 = rules_subsidy.decide(
            app(insured_months=20, issued_on=date(2018, 3, 1), applied_on=date(2018, 6, 1))
        )
        assert d2018.rule_set == "national-2017" and failed(d2018) == {"applicant.insured_months"}
        d2019 = rules_subsidy.decide(
            app(insured_months=12, issued_on=date(2019, 3, 1), applied_on=date(2019, 6, 1))
        )
        assert d2019.rule_set == "national-2019" and d2019.eligible

    def test_benefit_recipients_from_2022_04_25(self) -> None:
        before = rules_subsidy.decide(
            app(
                insured_months=0,
                receiving_unemployment_benefit=True,
                issued_on=date(2022, 1, 1),
                applied_on=date(2022, 4, 24),
            )
        )
        after = rules_subsidy.decide(
            app(
                insured_months=0,
                receiving_unemployment_benefit=True,
                issued_on=date(2022, 1, 1),
                applied_on=date(2022, 4, 25),
            )
        )
        assert not before.eligible and after.eligible and after.rule_set == "national-2022"

    def test_twelve_month_deadline(self) -> None:
        assert rules_subsidy.decide(app(applied_on=date(2025, 3, 1))).eligible
        late = rules_subsidy.decide(app(applied_on=date(2025, 3, 2)))
        assert failed(late) == {"application.deadline"}

    def test_once_per_occupation_level_and_no_lower_after_higher(self) -> None:
        same = rules_subsidy.decide(
            app(previous_claims=(PreviousClaim("4-09-07-04", 4, date(2023, 5, 1)),))
        )
        assert "claims.once_per_occupation_level" in failed(same)
        lower = rules_subsidy.decide(
            app(previous_claims=(PreviousClaim("4-09-07-04", 3, date(2023, 5, 1)),))
        )
        assert failed(lower) == {"claims.no_lower_after_higher"}
        other = rules_subsidy.decide(
            app(previous_claims=(PreviousClaim("4-03-02-10", 3, date(2023, 5, 1)),))
        )
        assert other.eligible

    def test_three_claims_per_year(self) -> None:
        prev = tuple(PreviousClaim(f"4-03-02-1{i}", 4, date(2024, 2, 1 + i)) for i in range(3))
        assert failed(rules_subsidy.decide(app(previous_claims=prev))) == {"claims.per_year"}
        assert rules_subsidy.decide(app(previous_claims=prev[:2])).eligible

    def test_province_override_wins(self) -> None:
        override = rules_subsidy.SubsidyRuleSet(
            name="p-46",
            valid_from=date(2024, 1, 1),
            valid_to=None,
            province="46",
            min_insured_months=12,
            benefit_recipients_eligible=True,
            caps_yuan={5: 800, 4: 1200, 3: 1600},
            apply_within_months=12,
            certificates_from=date(2017, 1, 1),
            max_claims_per_year=3,
            no_lower_after_higher=True,
            source="test",
        )
        sets = (*rules_subsidy.NATIONAL_RULE_SETS, override)
        d46 = rules_subsidy.decide(app(province_code="46"), sets)
        d44 = rules_subsidy.decide(app(province_code="44"), sets)
        assert (d46.rule_set, d46.max_amount_yuan) == ("p-46", 1200)
        assert (d44.rule_set, d44.max_amount_yuan) == ("national-2024", 1500)

    def test_no_rule_set_before_2017(self) -> None:
        d = rules_subsidy.decide(app(applied_on=date(2016, 6, 1), issued_on=date(2016, 1, 1)))
        assert d.rule_set == "none" and not d.eligible

    @given(st.integers(0, 120), st.integers(1, 5), st.integers(0, 400))
    def test_amount_never_exceeds_cap(self, months: int, level: int, delay: int) -> None:
        issued = date(2024, 3, 1)
        d = rules_subsidy.decide(
            app(
                insured_months=months,
                level=level,
                issued_on=issued,
                applied_on=date.fromordinal(issued.toordinal() + delay),
            )
        )
        assert d.max_amount_yuan <= {5: 1000, 4: 1500, 3: 2000}.get(level, 0)
        assert d.eligible == all(r["ok"] for r in d.reasons)
        if d.eligible:
            assert months >= 12 and level >= 3


class FakeRegistry:
    def __init__(self, bodies: dict[str, str] | None = None) -> None:
        self.bodies = bodies or {}

    def occupation_names(self) -> Iterable[tuple[str, str]]:
        return [("碳排放管理员", "4-09-07-04"), ("数字孪生应用技术员", "4-04-05-10")]

    def has_standard(self, code: str) -> bool:
        return code == "4-09-07-04"

    def body_status(self, normalised_name: str) -> str | None:
        return self.bodies.get(normalised_name)


ARTICLE_PHRASES = [
    "政府主推",
    "人社部颁发",
    "原劳动部",
    "代考",
    "包过",
    "不过包退",
    "速成",
    "上岗必须",
    "7天拿证",
    "零基础包拿证",
    "挂靠",
    "挂证",
    "轻松月入过万",
    "高薪入职",
    "内部推荐",
]


REGULATOR_PHRASES = [
    *ARTICLE_PHRASES,
    "不限年龄",
    "不限专业",
    "无门槛",
    "保过",
    "协议就业",
    "100%通过",
    "官方指定",
    "命题组",
    "喜报",
    "国家级",
    "最高级",
    "最佳",
    "挂靠一年三至五万",
    "躺赚20万",
    "中华人民共和国职业资格证书",
    "全国岗位合格证",
    "原劳动和社会保障部颁发",
    "工信部证书",
]


class TestAdScanner:
    def test_recall_on_the_regulator_lists(self) -> None:
        caught = [p for p in REGULATOR_PHRASES if rules_adscan.scan(f"本机构：{p}。").hits]
        assert len(caught) / len(REGULATOR_PHRASES) >= 0.95, set(REGULATOR_PHRASES) - set(caught)

    def test_every_article_phrase_is_caught(self) -> None:
        for phrase in ARTICLE_PHRASES:
            result = rules_adscan.scan(f"本机构招生：{phrase}，欢迎咨询")
            assert result.hits, phrase
            assert result.risk in ("low", "medium", "high")

    def test_spans_point_into_the_original_text(self) -> None:
        text = "限时！３０天ＱＵＩＣＫ拿证？不，是 3 天 拿 证💰，包·过"
        result = rules_adscan.scan(text)
        for hit in result.hits:
            assert text[hit.start : hit.end] == hit.text
        rules_hit = {h.rule for h in result.hits}
        assert {"fast.cert", "exam.proxy"} <= rules_hit

    def test_traditional_and_full_width(self) -> None:
        result = rules_adscan.scan("掛證躺賺，輕鬆月入過萬，ＶＩＰ內部推薦")
        assert {"cert.renting", "income.promise", "insider"} <= {h.rule for h in result.hits}
        assert result.risk == "high"

    def test_families_any_number_any_ministry(self) -> None:
        hits = {h.rule for h in rules_adscan.scan("十五天拿证，原农业部认证，海洋部颁发").hits}
        assert {"fast.cert", "ministry.former", "ministry.named"} <= hits

    def test_registry_claims(self) -> None:
        reg = FakeRegistry({"海南测试评价中心": "active", "旧评价中心": "revoked"})
        result = rules_adscan.scan(
            "数字孪生应用技术员八级证书，由华夏能力评估中心颁发；由旧评价中心颁发", reg
        )
        rules_hit = {h.rule for h in result.hits}
        assert {"claim.no_standard", "claim.level", "claim.body_not_filed"} <= rules_hit
        assert "claim.body_inactive" in rules_hit

    def test_honest_ad_is_none_or_low(self) -> None:
        reg = FakeRegistry({"海南测试评价中心": "active"})
        text = (
            "海南测试评价中心开展碳排放管理员职业技能等级认定（四级、三级），依据国家职业技能标准"
            "组织理论知识考试和技能操作考核，合格者由海南测试评价中心颁发证书，"
            "可在技能人才评价工作网查询。"
        )
        result = rules_adscan.scan(text, reg)
        assert result.risk in ("none", "low"), result.to_dict()

    @given(st.text(max_size=200))
    def test_any_text_scans_and_spans_are_in_bounds(self, text: str) -> None:
        result = rules_adscan.scan(text)
        assert 0.0 <= result.score <= 1.0
        for hit in result.hits:
            assert 0 <= hit.start < hit.end <= len(text)
            assert text[hit.start : hit.end] == hit.text
