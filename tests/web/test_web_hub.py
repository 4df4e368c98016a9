"""The SSE hub: fan-out to every page, newest view first, then only what changed; slow pages
lose views not alerts, and a page that missed a change gets the whole view again."""

from __future__ import annotations

import asyncio
import json
import threading

from protocol.events import Event
from tests.conftest import small_hall
from protocol.view import merge_view
from web.hub import QUEUE_FRAMES, Frame, Hub, ViewFeed, alert_frame


def _data(text: str) -> dict[str, object]:
    lines = dict(line.split(": ", 1) for line in text.strip().splitlines())
    return {"event": lines["event"], **json.loads(lines["data"])}


def test_every_page_gets_the_frame_and_a_new_page_starts_from_the_newest_view() -> None:
    async def scenario() -> None:
        hub = Hub(asyncio.get_running_loop())
        pages = [hub.open("zh"), hub.open("en")]
        hub.publish(Frame("view", {"zh": "v1-zh", "en": "v1-en"}))
        late = hub.open("en")
        got = [p.frames.popleft().text[p.language] for p in (*pages, late)]  # type: ignore[union-attr]
        assert got == ["v1-zh", "v1-en", "v1-en"]
    asyncio.run(scenario())


def test_a_slow_page_gets_only_the_newest_view_but_every_alert() -> None:
    async def scenario() -> None:
        hub = Hub(asyncio.get_running_loop())
        page = hub.open("zh")
        assert page is not None
        hub.publish(Frame("alert", {"zh": "alert"}, droppable=False))
        for i in range(QUEUE_FRAMES * 3):
            hub.publish(Frame("view", {"zh": f"v{i}"}))
        kept = [frame.text["zh"] for frame in page.frames]  # type: ignore[union-attr]
        assert kept == ["alert", f"v{QUEUE_FRAMES * 3 - 1}"]
    asyncio.run(scenario())


def test_the_feed_hands_mirror_thread_changes_to_the_loop_with_words_per_language() -> None:
    hall = small_hall()

    async def scenario() -> None:
        hub = Hub(asyncio.get_running_loop())
        page = hub.open("en")
        assert page is not None
        feed = ViewFeed(hall, hub, lambda: True, lambda: 123.0)
        view = {"alerts": {"queue:general": {
            "key": "queue:general", "code": "queue_length",
            "params": {"service": "general", "waiting": 12, "threshold": 10}}}}
        thread = threading.Thread(target=feed, args=("state", view))
        thread.start()
        thread.join()
        frame = await page.next(5)
        assert frame is not None
        data = _data(frame.text["en"])
        assert data["event"] == "view" and data["view"] == view and data["now"] == 123.0
        assert "General" in str(data["alert_words"])  # worded by runtime.messages, in English
        assert _data(frame.text["zh"])["alert_words"] != data["alert_words"]
        hub.close()
        assert await page.next(5) is None  # the stream ends
    asyncio.run(scenario())


def test_a_raised_alert_is_its_own_frame_that_is_never_dropped() -> None:
    frame = alert_frame(small_hall(), Event(7, "alert_raised", 5.0, {
        "key": "wait:general", "kind": "wait_long", "code": "wait_long",
        "params": {"service": "general", "minutes": 40, "threshold": 30}}))
    assert not frame.droppable and _data(frame.text["zh"])["key"] == "wait:general"


QUEUE_ALERT = {"key": "queue:general", "code": "queue_length",
               "params": {"service": "general", "waiting": 12, "threshold": 10}}


def test_the_feed_sends_the_whole_view_once_then_only_what_the_events_changed() -> None:
    """Thousands of open alerts would make every whole view megabytes: after the first, a
    page gets the changed entries (null for one gone) and their words alone."""
    hall = small_hall()
    many = {f"rating:{i}": {"key": f"rating:{i}", "code": "negative_rating"} for i in range(50)}

    async def scenario() -> None:
        hub = Hub(asyncio.get_running_loop())
        page = hub.open("en")
        assert page is not None
        feed = ViewFeed(hall, hub, lambda: True, lambda: 9.0)
        view: dict[str, object] = {"clock": 1.0, "alerts": many}

        def hear(*changes: dict[str, object]) -> None:
            nonlocal view
            for seq, change in enumerate(changes, 1):
                feed("event", Event(seq, "changed", 2.0, {}, change))
                view = merge_view(view, change, copy_partial=False)
            feed("state", view)

        heard = [({"clock": 2.0, "alerts": {"queue:general": QUEUE_ALERT}},),
                 ({"alerts": {"rating:3": None}}, {"clock": 3.0})]
        for changes in [()] + heard:
            await asyncio.to_thread(hear, *changes)

        async def received() -> dict[str, object]:
            frame = await page.next(5)  # type: ignore[union-attr]
            assert frame is not None
            return _data(frame.text["en"])

        frames = [await received() for _ in range(3)]
        assert [f["event"] for f in frames] == ["view", "change", "change"]
        assert frames[0]["view"] == {"clock": 1.0, "alerts": many}
        assert frames[1]["view"] == heard[0][0]
        words = frames[1]["alert_words"]
        assert isinstance(words, dict) and list(words) == ["queue:general"]  # the new one only
        assert frames[2]["view"] == {"alerts": {"rating:3": None}, "clock": 3.0}
        assert frames[2]["alert_words"] == {}
        # A page opened now starts from the whole view after both changes.
        late = hub.open("en")
        first = late.frames[0] if late is not None else None
        assert first is not None and _data(first.text["en"])["view"] == view
        # A view that is not the last one plus the events heard (a new snapshot) goes whole.
        await asyncio.to_thread(feed, "state", {"clock": 4.0, "alerts": {}})
        assert (await received())["event"] == "view"
    asyncio.run(scenario())


def test_a_page_that_missed_a_change_gets_the_whole_view_again() -> None:
    async def scenario() -> None:
        hub = Hub(asyncio.get_running_loop())
        page = hub.open("zh")
        assert page is not None
        for i in range(QUEUE_FRAMES + 1):
            hub.publish_change(Frame("change", {"zh": f"c{i}"}, droppable=False),
                               lambda i=i: Frame("view", {"zh": f"whole{i}"}))
        hub.publish_change(Frame("change", {"zh": "next"}, droppable=False),
                           lambda: Frame("view", {"zh": "whole-next"}))
        kept = [frame.text["zh"] for frame in page.frames]  # type: ignore[union-attr]
        assert kept == [f"whole{QUEUE_FRAMES}", "next"]
    asyncio.run(scenario())


def test_the_console_pages_get_no_waiting_places() -> None:
    """The phone pages read ``places``; a clerk's or manager's page never does, and a call
    moves every place of its line: neither a whole view nor a change carries them."""
    from web.hub import view_frame

    places = {"A002": {"service": "general", "ahead": 0, "estimate_min": 1.0, "wait_min": 1}}
    for kind, view in (("view", {"day": "2026-11-25", "places": places}),
                       ("change", {"places": {"A001": None, **places}})):
        frame = view_frame(small_hall(), view, True, 1.0, kind=kind)
        for language in ("zh", "en"):
            sent = _data(frame.text[language])["view"]
            assert isinstance(sent, dict) and "places" not in sent
