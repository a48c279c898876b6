"""The live board's change sentence: only what changed since the browser last drew the board."""

from __future__ import annotations

from typing import Any

from minsheng.web import live_board
from minsheng.web.staff_hotline import CALL_STATE_LABEL


def call(
    sip: str, state: str = "waiting", crisis: bool = False, prov: str = "广东省"
) -> dict[str, Any]:
    return {"key": live_board.call_key(sip), "state": state, "crisis": crisis, "prov": prov}


def say(seen: str | None, calls: list[dict[str, Any]]) -> str:
    return live_board.changes(seen, calls, place=lambda c: c["prov"], state_label=CALL_STATE_LABEL)


def test_a_first_drawing_announces_nothing() -> None:
    assert say(None, [call("a")]) == ""


def test_nothing_changed_nothing_said() -> None:
    calls = [call("a"), call("b", "talking")]
    assert say(live_board.seen_of(calls), calls) == ""


def test_a_new_call_a_state_change_a_crisis_and_calls_gone() -> None:
    before = [call("a"), call("b"), call("c")]
    now = [call("a", "ringing"), call("b", crisis=True), call("d", prov="北京市")]
    said = say(live_board.seen_of(before), now)
    assert said.split("；") == [
        "广东省来电：振铃",
        "危机来电：广东省 排队中",
        "新来电：北京市 排队中",
        "1 通来电已离开队列",
    ]
    assert say("", [call("e")]) == "新来电：广东省 排队中"


def test_many_changes_are_summed_up() -> None:
    said = say("", [call(str(i)) for i in range(live_board.MAX_SAID + 2)])
    assert (
        said.endswith(f"等 {live_board.MAX_SAID + 2} 项变化")
        and said.count("新来电") == live_board.MAX_SAID
    )


def test_keys_are_ids_not_call_ids() -> None:
    key = live_board.call_key("a1b2@10.0.0.1;tag=x")
    assert key.startswith("c") and key[1:].isalnum() and "@" not in key
