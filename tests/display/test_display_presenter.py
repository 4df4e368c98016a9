"""Presenter: mirrored state and connection → what the wall display shows."""

from __future__ import annotations

from tests.conftest import at
from display_fixtures import counter, named_hall, view

from config.display_node import DisplayNode
from display.presenter import BoardPresenter
from protocol.view import TicketingView

NOW = at("09:41")


def presenter(**node: object) -> BoardPresenter:
    hall = named_hall()
    return BoardPresenter(hall, DisplayNode.model_validate({"id": "display-1", **node}))


def test_newest_call_tiles_recent_and_waiting() -> None:
    board = presenter(recent_calls=2).present(view(
        calls=[("A012", 3, 30.0, False), ("C004", 2, 20.0, False), ("A011", 1, 10.0, False),
               ("A010", 1, 5.0, False)],
        counters={1: counter(1, serving="A011"), 2: counter(2, "paused", "C004"),
                  3: counter(3, serving="A012"), 4: counter(4, "closed")},
        services={"general": {"waiting": 7, "estimate_min": 12.2, "wait_min": 13,
                              "open_counters": [1, 3]},
                  "reimburse": {"waiting": 0, "estimate_min": None, "open_counters": []},
                  "priority": {"waiting": 2, "estimate_min": None, "open_counters": []}}),
        connected=True, now=NOW, monotonic=100.0)
    assert board.newest is not None
    assert (board.newest.ticket, board.newest.counter_zh, board.newest.counter_en) == (
        "A012", "3号窗口（优先）", "Counter 3 (Priority)")
    assert [c.ticket for c in board.recent] == ["C004", "A011"]
    assert [(t.counter, t.ticket, t.state) for t in board.tiles] == [
        (1, "A011", "serving"), (2, "C004", "paused"), (3, "A012", "serving"), (4, None, "closed")]
    assert board.tiles[1].name_zh == "2号窗口" and board.tiles[1].name_en == "Counter 2"
    assert [(s.prefix, s.waiting, s.wait_zh, s.wait_en) for s in board.services] == [
        ("A", 7, "约13分钟", "~13 min"), ("C", 0, "无需等候", "No wait"), ("Y", 2, "—", "—")]
    assert board.clock == "09:41" and board.date_zh == "2026年11月25日 星期三"
    assert board.title_zh == "测试服务大厅" and "投诉电话：12345" in board.ticker
    assert board.banner is None and not board.stale


def test_zone_shows_and_lists_only_its_counters_and_services() -> None:
    zone = presenter(counters=[2, 4])
    board = zone.present(view(calls=[("A012", 3, 30.0, False), ("C004", 2, 20.0, False),
                                     ("C003", 4, 10.0, True)]),
                         connected=True, now=NOW, monotonic=0.0)
    assert board.newest is not None and board.newest.ticket == "C004"
    assert [c.ticket for c in board.recent] == ["C003"] and board.recent[0].recall
    assert [t.counter for t in board.tiles] == [2, 4]
    assert [s.service for s in board.services] == ["reimburse"]
    assert zone.shows(2) and not zone.shows(3)


def test_lost_connection_keeps_the_last_state_greyed_under_a_banner() -> None:
    shown = presenter()
    last = view(calls=[("A012", 3, 30.0, False)], counters={3: counter(3, serving="A012")})
    lost = shown.present(last, connected=False, now=NOW, monotonic=0.0)
    assert lost.banner is not None and (lost.banner.zh, lost.banner.en) == (
        "连接中断", "Connection lost")
    assert lost.stale and lost.newest is not None and lost.newest.ticket == "A012"
    assert lost.tiles[2].ticket == "A012"
    back = shown.present(last, connected=True, now=NOW, monotonic=1.0)
    assert back.banner is None and not back.stale


def test_before_the_first_snapshot_it_says_connecting() -> None:
    board = presenter().present(None, connected=False, now=NOW, monotonic=0.0)
    assert board.banner is not None and board.banner.kind == "connecting"
    assert board.newest is None and [t.ticket for t in board.tiles] == [None] * 4


def test_a_new_call_flashes_for_flash_seconds_and_a_recall_flashes_again() -> None:
    shown = presenter(flash_seconds=5)
    first = view(calls=[("A012", 3, 30.0, False)])
    assert shown.present(first, True, NOW, monotonic=100.0).flashing
    assert shown.present(first, True, NOW, monotonic=104.9).flashing
    assert not shown.present(first, True, NOW, monotonic=105.1).flashing
    recalled = view(calls=[("A012", 3, 60.0, True), ("A012", 3, 30.0, False)])
    assert shown.present(recalled, True, NOW, monotonic=106.0).flashing
    assert not shown.present(recalled, True, NOW, monotonic=111.5).flashing


def test_a_closed_day_shows_closed_today_with_the_next_opening() -> None:
    shown = presenter()
    base = view()
    holiday = base.model_copy(update={"ticketing": TicketingView(
        open=False, in_hours=False, opens_at=at("08:30", "2026-11-30"), closed_today=True)})
    board = shown.present(holiday, connected=True, now=NOW, monotonic=0.0)
    assert board.banner is not None and board.banner.kind == "closed"
    assert board.banner.zh == "今日休息  下次开放：11月30日（周一）08:30"
    assert board.banner.en == "Closed today · opens Mon 30 Nov at 08:30"
    assert not board.stale
    lunch = base.model_copy(update={"ticketing": TicketingView(
        open=False, in_hours=False, opens_at=at("13:30"), closed_today=False)})
    assert shown.present(lunch, connected=True, now=NOW, monotonic=0.0).banner is None


def test_a_counters_tile_shows_the_signed_in_staff_number() -> None:
    board = presenter().present(view(counters={
        1: {**counter(1, serving="A011"), "staff": "1024"},
        2: {**counter(2, "paused"), "staff": "2048"},
        4: {**counter(4, "closed"), "staff": "9"}}), connected=True, now=NOW, monotonic=0.0)
    tiles = {t.counter: t for t in board.tiles}
    assert (tiles[1].staff_zh, tiles[1].staff_en) == ("工号 1024", "Staff 1024")
    assert tiles[2].staff_zh == "工号 2048", "a paused counter keeps its clerk"
    assert (tiles[3].staff_zh, tiles[4].staff_zh) == ("", ""), "nobody, or a closed window"


def test_the_managers_notice_leads_the_ticker_while_the_view_has_it() -> None:
    shown = presenter()
    plain = shown.present(view(), connected=True, now=NOW, monotonic=0.0)
    noticed = view().merged({"notice": {"zh": "系统维护，暂停办理社保业务",
                                        "en": "Pension services paused", "until": NOW + 600}})
    board = shown.present(noticed, connected=True, now=NOW, monotonic=0.0)
    assert board.ticker.startswith("【通知 Notice】 系统维护，暂停办理社保业务  Pension services")
    assert board.ticker.endswith(plain.ticker) and "投诉电话：12345" in board.ticker
    cleared = noticed.merged({"notice": None})
    assert shown.present(cleared, connected=True, now=NOW, monotonic=0.0).ticker == plain.ticker


def _alerted(*alerts: dict[str, object]) -> object:
    return view().merged({"alerts": {str(a["key"]): a for a in alerts}})


RATING = {"key": "rating:20261125-A011", "kind": "negative_rating", "code": "negative_rating",
          "sticky": True, "counter": 1,
          "params": {"counter": 1, "ticket": "A011", "score": 1, "case": "20261125-A011",
                     "reason": None}}
QUEUE = {"key": "queue_length:general", "kind": "queue_length", "code": "queue_length",
         "params": {"service": "general", "waiting": 12, "threshold": 10}}


def test_the_staff_strip_is_off_unless_the_display_turns_it_on() -> None:
    shown = _alerted(RATING)
    assert presenter().present(shown, True, NOW, 1.0).staff_strip == ""
    strip = presenter(staff_alerts=True).present(shown, True, NOW, 1.0).staff_strip
    assert strip == ("！1 号窗口收到差评（A011） Counter 1 received a negative rating (A011)")


def test_the_staff_strip_shows_its_zones_unacknowledged_alerts_only() -> None:
    elsewhere = {**RATING, "key": "rating:20261125-A012", "counter": 3,
                 "params": {**RATING["params"], "counter": 3, "ticket": "A012"}}  # type: ignore[dict-item]
    seen = {**QUEUE, "key": "queue_length:reimburse", "acknowledged_at": 5.0,
            "acknowledged_by": "1001"}
    board = presenter(staff_alerts=True, counters=[1, 2]).present(
        _alerted(RATING, elsewhere, QUEUE, seen), True, NOW, 1.0)
    assert "A011" in board.staff_strip and "A012" not in board.staff_strip
    assert "12" in board.staff_strip and board.staff_strip.count("！") == 2
