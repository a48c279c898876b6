"""The record hand-over of the SIP server: batches from the SIP thread, drained by a writer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from minsheng.hotline.sip.records import Batcher, RecordWriter, jsonl_sink, read_jsonl


def test_batcher_hands_over_on_flush_or_when_full() -> None:
    handed: list[list[int]] = []
    batcher: Batcher[int] = Batcher(handed.append, max_items=3)
    batcher.put(1)
    batcher.put(2)
    assert handed == []  # nothing leaves before a flush or a full batch
    batcher.flush()
    batcher.flush()  # an empty flush hands nothing over
    for i in range(3, 7):
        batcher.put(i)
    assert handed == [[1, 2], [3, 4, 5]]
    batcher.flush()
    assert handed == [[1, 2], [3, 4, 5], [6]]


def test_writer_keeps_order_and_loses_nothing_across_batches(tmp_path: Path) -> None:
    seen: list[int] = []

    def sink(rows: Sequence[int]) -> None:
        seen.extend(rows)

    writer: RecordWriter[int] = RecordWriter(sink, batch=4)
    writer.put(0)
    writer.put_many([1, 2, 3, 4, 5])
    writer.put_many([6])
    writer.close()
    assert seen == list(range(7))
    assert (writer.written, writer.lost) == (7, 0)


def test_jsonl_details_through_a_batcher(tmp_path: Path) -> None:
    path = tmp_path / "d" / "details.jsonl"
    writer = RecordWriter(jsonl_sink(path))
    batcher = Batcher(writer.put_many)
    batcher.put({"sip_call_id": "a", "ended_by": "caller"})
    batcher.put({"sip_call_id": "b", "ended_by": "counsellor"})
    batcher.flush()
    writer.close()
    assert [r["ended_by"] for r in read_jsonl(path)] == ["caller", "counsellor"]
