"""Pure rules: the scam-ad scanner (normalisation, regulator phrases, registry claims)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minsheng.certification.rules import adscan


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
        caught = [p for p in REGULATOR_PHRASES if adscan.scan(f"本机构：{p}。").hits]
        assert len(caught) / len(REGULATOR_PHRASES) >= 0.95, set(REGULATOR_PHRASES) - set(caught)

    def test_every_article_phrase_is_caught(self) -> None:
        for phrase in ARTICLE_PHRASES:
            result = adscan.scan(f"本机构招生：{phrase}，欢迎咨询")
            assert result.hits, phrase
            assert result.risk in ("low", "medium", "high")

    def test_spans_point_into_the_original_text(self) -> None:
        text = "限时！３０天ＱＵＩＣＫ拿证？不，是 3 天 拿 证💰，包·过"
        result = adscan.scan(text)
        for hit in result.hits:
            assert text[hit.start : hit.end] == hit.text
        rules_hit = {h.rule for h in result.hits}
        assert {"fast.cert", "exam.proxy"} <= rules_hit

    def test_traditional_and_full_width(self) -> None:
        result = adscan.scan("掛證躺賺，輕鬆月入過萬，ＶＩＰ內部推薦")
        assert {"cert.renting", "income.promise", "insider"} <= {h.rule for h in result.hits}
        assert result.risk == "high"

    def test_families_any_number_any_ministry(self) -> None:
        hits = {h.rule for h in adscan.scan("十五天拿证，原农业部认证，海洋部颁发").hits}
        assert {"fast.cert", "ministry.former", "ministry.named"} <= hits

    def test_registry_claims(self) -> None:
        reg = FakeRegistry({"海南测试评价中心": "active", "旧评价中心": "revoked"})
        result = adscan.scan(
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
        result = adscan.scan(text, reg)
        assert result.risk in ("none", "low"), result.to_dict()

    @given(st.text(max_size=200))
    def test_any_text_scans_and_spans_are_in_bounds(self, text: str) -> None:
        result = adscan.scan(text)
        assert 0.0 <= result.score <= 1.0
        for hit in result.hits:
            assert 0 <= hit.start < hit.end <= len(text)
            assert text[hit.start : hit.end] == hit.text


class TestNotScams:
    """Issue 13, item 13: what the seed advises, the 新八级工 ladder and access-type
    occupations are not scam signals."""

    SEED_ADVICE: ClassVar[list[str]] = [
        "一定要认准经过人社部门备案的机构",
        "请认准人社部门备案的评价机构",
        "本中心是经人社部备案的评价机构",
        "证书由经人社部门备案的评价机构颁发，可在职业技能等级评价机构公示查询系统查询",
    ]

    @pytest.mark.parametrize("text", SEED_ADVICE)
    def test_the_seed_advice_does_not_raise_risk(self, text: str) -> None:
        result = adscan.scan(text, FakeRegistry())
        assert result.hits == [] and result.risk == "none", result.to_dict()

    def test_a_ministry_issuing_is_still_a_claim(self) -> None:
        assert adscan.scan("人社部颁发证书").risk != "none"

    @pytest.mark.parametrize(
        "text",
        [
            "新八级工制度：学徒工、初级工、中级工、高级工、技师、高级技师、特级技师、首席技师",
            "我厂老师傅是当年的八级工",
            "打通新八级工晋升通道，评聘特级技师、首席技师",
        ],
    )
    def test_the_eight_grade_ladder_is_not_a_bogus_level(self, text: str) -> None:
        result = adscan.scan(text)
        assert "claim.level" not in {h.rule for h in result.hits}, result.to_dict()
        assert result.risk == "none"

    def test_a_level_outside_every_ladder_is_still_bogus(self) -> None:
        hits = {h.rule for h in adscan.scan("考取八级证书，九级工").hits}
        assert "claim.level" in hits

    @pytest.mark.parametrize(
        "text",
        [
            "特种作业操作证（电工作业）培训，上岗必须持证，安全生产考核合格后发证",
            "特种设备安全管理和作业人员证：无证不得上岗",
            "道路运输从业人员资格证，持证上岗必须",
        ],
    )
    def test_an_access_type_certificate_ad_is_not_a_scam_by_itself(self, text: str) -> None:
        result = adscan.scan(text)
        assert "mandatory.claim" not in {h.rule for h in result.hits}
        assert result.risk == "none", result.to_dict()

    def test_an_access_type_ad_with_scam_phrases_still_scores(self) -> None:
        result = adscan.scan("特种作业操作证，上岗必须持证，包过，3天拿证")
        assert {"exam.proxy", "fast.cert"} <= {h.rule for h in result.hits}
        assert result.risk == "high"

    def test_a_mandatory_claim_elsewhere_is_still_flagged(self) -> None:
        result = adscan.scan("育婴员证书，上岗必须持证")
        assert "mandatory.claim" in {h.rule for h in result.hits}

    def test_the_rule_version_is_in_every_result(self) -> None:
        assert adscan.scan("x").to_dict()["rule_version"] == adscan.RULE_VERSION == "adscan-2026-12"
