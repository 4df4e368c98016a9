"""The visitor's phone pages against a real broker process: the token from the kiosk's
reply, the ticket's facts through a call, rating once after the visit, and guessing that
gets 404 only."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from protocol.client import RequestClient
from tests.conftest import wait_for
from tests.web.web_fixtures import Hall_, console_client
from web.visitor import RateLimit

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def heard() -> list[Any]:
    """Everything the web node's mirror heard (events and views)."""
    return []


@pytest.fixture(scope="module")
def phone(hall_: Hall_, heard: list[Any]) -> Iterator[TestClient]:
    with console_client(hall_, listener=lambda kind, payload: heard.append((kind, payload))) \
            as client:
        yield client


@pytest.fixture(scope="module")
def kiosk(hall_: Hall_) -> Iterator[RequestClient]:
    with RequestClient(hall_.commands, "kiosk-1") as client:
        yield client


def issue(kiosk: RequestClient, service: str = "general") -> dict[str, Any]:
    return kiosk.request("issue_ticket", {"service": service})


def facts(phone: TestClient, token: str) -> dict[str, Any]:
    answer = phone.get(f"/t/{token}.json")
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def settled(phone: TestClient, token: str, state: str) -> dict[str, Any]:
    """The facts once the mirror shows ``state`` (bounded wait)."""
    found: dict[str, Any] = {}

    def reached() -> bool:
        found.update(facts(phone, token))
        return found["state"] == state
    assert wait_for(reached, 10), found
    return found


def test_the_kiosk_gets_a_128_bit_token_that_no_view_or_event_carries(
        phone: TestClient, kiosk: RequestClient, hall_: Hall_, heard: list[Any]) -> None:
    result = issue(kiosk)
    token = result["track"]
    assert isinstance(token, str) and len(token) >= 22  # ≥ 128 bits, URL-safe
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert issue(kiosk)["track"] != token
    settled(phone, token, "waiting")
    assert token not in json.dumps(hall_.snapshot(), ensure_ascii=False)
    published = [p for kind, p in heard if kind == "event"]
    assert any(e.type == "ticket_issued" and e.data["ticket"] == result["ticket"]
               for e in published)
    for event in published:
        assert token not in json.dumps(event.data, ensure_ascii=False)
        assert "track" not in event.data


def test_a_ticket_is_followed_from_waiting_to_called_serving_and_done(
        phone: TestClient, kiosk: RequestClient, hall_: Hall_) -> None:
    result = issue(kiosk, "enrol")
    token = result["track"]
    first = settled(phone, token, "waiting")
    assert first["ticket"] == result["ticket"] and first["service"] == "enrol"
    assert first["ahead"] == result["ahead"] and first["counter"] is None
    assert first["wait_min"] == result["wait_min"]
    hall_.admin.request("call_ticket", {"counter": 3, "ticket": result["ticket"],
                                        "reason": "phone test"})
    called = settled(phone, token, "called")
    assert called["counter"] == 3 and called["ahead"] is None
    hall_.admin.request("start", {"counter": 3})
    assert settled(phone, token, "serving")["counter"] == 3
    hall_.admin.request("finish", {"counter": 3})
    assert settled(phone, token, "done")["rated"] is False


def test_rating_from_the_phone_needs_a_finished_visit_and_counts_once(
        phone: TestClient, kiosk: RequestClient, hall_: Hall_) -> None:
    result = issue(kiosk)
    token = result["track"]
    early = phone.post(f"/t/{token}/rate", json={"score": 5})
    assert early.status_code == 409 and early.json()["reason"] == "not_finished"
    assert "办理结束后" in early.json()["words"]["zh"]
    hall_.admin.request("call_ticket", {"counter": 1, "ticket": result["ticket"],
                                        "reason": "phone test"})
    hall_.admin.request("finish", {"counter": 1})
    settled(phone, token, "done")
    bad = phone.post(f"/t/{token}/rate", json={"score": 4, "reason": "attitude"})
    assert bad.status_code == 400  # a reason only with a negative rating
    answer = phone.post(f"/t/{token}/rate", json={"score": 5})
    assert answer.status_code == 200 and answer.json() == {"ok": True, "score": 5}
    again = phone.post(f"/t/{token}/rate", json={"score": 1, "reason": "attitude"})
    assert again.status_code == 409 and again.json()["error"] == "already_rated"
    assert wait_for(lambda: facts(phone, token)["rated"] is True, 10)
    assert not any(c["ticket"] == result["ticket"] for c in hall_.snapshot()["cases"].values())


def test_guessing_tickets_sequences_and_random_tokens_gets_the_same_404(
        phone: TestClient, kiosk: RequestClient) -> None:
    token = issue(kiosk)["track"]
    last = "A" if token[-1] != "A" else "B"
    guesses = ["A001", "A002", "A012", "1", "0" * 24, token[:-1] + last, token[:-2],
               token + "x", token.upper() if token.upper() != token else token.lower(),
               "%2e%2e", "A001.json"] + [secrets.token_urlsafe(18) for _ in range(12)]
    bodies = set()
    visitors = phone.app.state.visitors  # type: ignore[attr-defined]
    kept = visitors.limit, visitors.lookups
    visitors.limit = visitors.lookups = None  # every guess answered (a guesser is throttled)
    try:
        _guess_all(phone, guesses, bodies)
    finally:
        visitors.limit, visitors.lookups = kept
    assert len(bodies) == 1 and "A0" not in bodies.pop()


def _guess_all(phone: TestClient, guesses: list[str], bodies: set[str]) -> None:
    for guess in guesses:
        for path in (f"/t/{guess}", f"/t/{guess}.json", f"/t/{guess}/events"):
            answer = phone.get(path)
            assert answer.status_code == 404, (path, answer.status_code)
            assert "set-cookie" not in answer.headers
            bodies.add(answer.text)
        refused = phone.post(f"/t/{guess}/rate", json={"score": 5})
        assert refused.status_code == 404
        bodies.add(refused.text)


def test_pages_set_no_cookie_cache_or_referrer_and_name_no_other_ticket(
        phone: TestClient, kiosk: RequestClient) -> None:
    other = issue(kiosk)
    mine = issue(kiosk)
    for path in (f"/t/{mine['track']}", f"/t/{mine['track']}.json"):
        answer = phone.get(path)
        assert answer.status_code == 200
        assert "set-cookie" not in answer.headers and not phone.cookies
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        assert other["ticket"] not in answer.text and other["track"] not in answer.text
        assert "http://" not in answer.text and "https://" not in answer.text
    page = phone.get(f"/t/{mine['track']}").text
    assert mine["ticket"] in page and "/static/visitor.js" in page


def test_one_address_is_rate_limited(phone: TestClient, kiosk: RequestClient) -> None:
    token = issue(kiosk)["track"]
    visitors = phone.app.state.visitors  # type: ignore[attr-defined]
    kept = visitors.limit
    visitors.limit = RateLimit(per_s=0.0, burst=3.0)
    try:
        statuses = [phone.get(f"/t/{token}.json").status_code for _ in range(5)]
    finally:
        visitors.limit = kept
    assert statuses == [200, 200, 200, 429, 429]


def test_guessers_from_many_addresses_cannot_use_up_the_broker_quota(
        phone: TestClient) -> None:
    visitors = phone.app.state.visitors  # type: ignore[attr-defined]
    kept = visitors.limit, visitors.lookups
    visitors.limit, visitors.lookups = None, RateLimit(per_s=0.0, burst=4.0)
    try:
        statuses = [phone.get(f"/t/{secrets.token_urlsafe(18)}.json").status_code
                    for _ in range(6)]
    finally:
        visitors.limit, visitors.lookups = kept
    assert statuses == [404, 404, 404, 404, 429, 429]


def test_the_visitor_assets_need_no_staff_network(phone: TestClient) -> None:
    for asset in ("/static/visitor.js", "/static/visitor.css"):
        answer = phone.get(asset)
        assert answer.status_code == 200 and "http" not in answer.text.split("*/", 1)[-1]


def test_outside_the_staff_networks_phones_reach_their_pages_and_nothing_else(
        hall_: Hall_, kiosk: RequestClient) -> None:
    hall = hall_.hall.model_copy(update={"web": hall_.hall.web.model_copy(
        update={"staff_networks": ("10.99.0.0/16",)})})
    token = issue(kiosk)["track"]
    with console_client(hall_, hall, "web-3") as client:  # testclient: no staff network
        assert client.get(f"/t/{token}").status_code == 200
        assert client.get(f"/t/{token}.json").status_code == 200
        assert client.get("/static/visitor.js").status_code == 200
        for staff_path in ("/", "/counter", "/static/console.js", "/static/counter.js",
                           "/static/visitor.x/../counter.js", "/t/../api/events"):
            assert client.get(staff_path).status_code in (403, 404), staff_path
        assert client.get("/static/counter.js").status_code == 403


def test_after_a_web_restart_finished_rated_and_no_show_pages_read_right(
        hall_: Hall_, kiosk: RequestClient) -> None:
    finished, gone = issue(kiosk), issue(kiosk)
    hall_.admin.request("call_ticket", {"counter": 1, "ticket": finished["ticket"],
                                        "reason": "restart test"})
    hall_.admin.request("finish", {"counter": 1})
    hall_.admin.request("call_ticket", {"counter": 2, "ticket": gone["ticket"],
                                        "reason": "restart test"})
    hall_.admin.request("no_show", {"counter": 2})
    with console_client(hall_, node="web-4") as before:
        assert before.post(f"/t/{finished['track']}/rate", json={"score": 5}).status_code == 200
        assert settled(before, gone["track"], "no_show")["counter"] == 2
    # Newer 过号 at the same counter push ``gone`` out of the view's list (NO_SHOWS_SHOWN).
    for _ in range(6):
        later = issue(kiosk)
        hall_.admin.request("call_ticket", {"counter": 2, "ticket": later["ticket"],
                                            "reason": "restart test"})
        hall_.admin.request("no_show", {"counter": 2})
    listed = [n["ticket"] for n in hall_.snapshot()["counters"]["2"]["no_shows"]]
    assert gone["ticket"] not in listed  # only the broker's track answer knows it now
    with console_client(hall_, node="web-4") as after:  # a fresh node: it heard nothing
        done = facts(after, finished["track"])
        assert (done["ticket"], done["state"], done["rated"]) == (finished["ticket"], "done", True)
        missed = facts(after, gone["track"])
        assert (missed["ticket"], missed["state"], missed["rated"]) == (gone["ticket"], "no_show",
                                                                        False)
