"""The console's JSON API against a real broker process on loopback.

Every refusal path (401, 403, 404, 400, 413, 429) is checked to change nothing in the
broker; the happy paths are checked in the broker's own snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from protocol.client import RequestClient
from tests.conftest import wait_for
from tests.web.web_fixtures import (CLERK, CLERK2, CLERK2_PIN, CLERK_PIN, LOCKED, MANAGER,
                                    MANAGER_PIN, Hall_, console_client)
from web.app import build_app
from web.run import console_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def heard() -> list[tuple[str, Any]]:
    """Everything the console's mirror heard from the broker (events and views)."""
    return []


@pytest.fixture(scope="module")
def app_client(hall_: Hall_, heard: list[tuple[str, Any]]) -> Iterator[TestClient]:
    with console_client(hall_, listener=lambda kind, payload: heard.append((kind, payload))) \
            as client:
        yield client


@pytest.fixture
def api(app_client: TestClient) -> TestClient:
    app_client.cookies.clear()
    return app_client


@pytest.fixture(scope="module")
def kiosk(hall_: Hall_) -> Iterator[RequestClient]:
    with RequestClient(hall_.commands, "kiosk-1") as client:
        yield client


def login(api: TestClient, staff: str, pin: str, counter: int | None) -> str:
    answer = api.post("/api/login", json={"staff": staff, "pin": pin, "counter": counter})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["csrf"])


def counter(hall_: Hall_, number: int) -> dict[str, Any]:
    return hall_.snapshot()["counters"][str(number)]  # type: ignore[index,no-any-return]


def test_healthz_answers_without_sign_in(api: TestClient) -> None:
    answer = api.get("/healthz")
    assert answer.status_code == 200 and answer.json()["ok"] is True
    assert answer.json()["broker"] is True


def test_without_a_session_every_action_is_401_and_nothing_changes(api: TestClient,
                                                                   hall_: Hall_) -> None:
    before = hall_.snapshot()
    for path in ("/api/counters/1/call_next", "/api/hall/pause_ticketing", "/api/logout"):
        assert api.post(path, json={}).status_code == 401
    assert api.get("/api/events").status_code == 401
    assert hall_.snapshot()["counters"] == before["counters"]


def test_sign_in_sets_a_strict_httponly_cookie_and_the_broker_shows_the_clerk(
        api: TestClient, hall_: Hall_) -> None:
    answer = api.post("/api/login", json={"staff": CLERK, "pin": CLERK_PIN, "counter": 1})
    assert answer.status_code == 200
    body = answer.json()
    assert body["staff"] == CLERK and body["role"] == "clerk" and len(body["csrf"]) >= 43
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert CLERK_PIN not in answer.text
    assert counter(hall_, 1)["staff"] == CLERK


@pytest.mark.parametrize("body, status", [
    ({"staff": CLERK, "pin": "0000", "counter": 1}, 401),
    ({"staff": "4444", "pin": "1234", "counter": 1}, 401),
    ({"staff": "abc", "pin": CLERK_PIN, "counter": 1}, 400),
    ({"staff": CLERK, "pin": 2468, "counter": 1}, 400),
    ({"staff": CLERK, "pin": CLERK_PIN, "counter": "1"}, 400),
    ({"staff": CLERK, "pin": CLERK_PIN, "counter": 99}, 404),
    ({"staff": CLERK, "pin": CLERK_PIN}, 400),  # a clerk signs in at a counter
])
def test_bad_sign_ins_are_refused_and_sign_nobody_in(api: TestClient, hall_: Hall_,
                                                     body: dict[str, Any], status: int) -> None:
    before = hall_.snapshot()["counters"]
    answer = api.post("/api/login", json=body)
    assert answer.status_code == status, answer.text
    assert "set-cookie" not in answer.headers
    assert hall_.snapshot()["counters"] == before


def test_bad_bodies_are_400_or_413(api: TestClient, hall_: Hall_) -> None:
    csrf = login(api, CLERK2, CLERK2_PIN, 2)
    before = hall_.snapshot()["counters"]
    headers = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
    url = "/api/counters/2/call_next"
    assert api.post(url, content=b"{not json", headers=headers).status_code == 400
    assert api.post(url, content=b"[1, 2]", headers=headers).status_code == 400
    huge = b'{"pad": "' + b"x" * 20_000 + b'"}'
    assert api.post(url, content=huge, headers=headers).status_code == 413
    assert api.post(url, content=b"{}", headers={"X-CSRF-Token": csrf,
                                                 "Content-Type": "text/plain"}).status_code == 400
    wrong = {"ticket": 12, "reason": ""}
    answer = api.post("/api/counters/2/call_ticket", json=wrong, headers=headers)
    assert answer.status_code == 400 and answer.json()["error"] == "bad_args"
    assert api.post(url, json={"counter": 3}, headers=headers).status_code == 400
    assert hall_.snapshot()["counters"] == before


def test_csrf_counter_and_role_checks_are_403_and_unknowns_404(api: TestClient,
                                                               hall_: Hall_) -> None:
    csrf = login(api, CLERK2, CLERK2_PIN, 2)
    before = hall_.snapshot()["counters"]
    assert api.post("/api/counters/2/call_next", json={}).status_code == 403
    assert api.post("/api/counters/2/call_next", json={},
                    headers={"X-CSRF-Token": "forged"}).status_code == 403
    ok = {"X-CSRF-Token": csrf}
    assert api.post("/api/counters/1/call_next", json={}, headers=ok).status_code == 403
    assert api.post("/api/counters/2/close_counter", json={}, headers=ok).status_code == 403
    assert api.post("/api/hall/pause_ticketing", json={}, headers=ok).status_code == 403
    assert api.post("/api/counters/99/call_next", json={}, headers=ok).status_code == 404
    assert api.post("/api/counters/2/explode", json={}, headers=ok).status_code == 404
    assert api.post("/api/hall/explode", json={}, headers=ok).status_code == 404
    assert hall_.snapshot()["counters"] == before


def test_a_clerk_calls_and_a_refusal_comes_in_the_pages_language(
        api: TestClient, hall_: Hall_, kiosk: RequestClient) -> None:
    csrf = login(api, CLERK, CLERK_PIN, 1)
    ok = {"X-CSRF-Token": csrf}
    ticket = kiosk.request("issue_ticket", {"service": "reimburse"})["ticket"]
    answer = api.post("/api/counters/1/call_next", json={}, headers=ok)
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"]["ticket"] == ticket
    assert counter(hall_, 1)["serving"] == ticket
    api.post("/api/counters/1/finish", json={}, headers=ok)
    nobody = api.post("/api/counters/1/call_next", json={}, headers=ok).json()
    assert nobody["result"]["ticket"] is None and nobody["message"]  # said, not left blank
    refused = api.post("/api/counters/1/recall", json={}, headers=ok)  # nobody is served
    assert refused.status_code == 409 and refused.json()["error"] == "not_serving"
    zh = refused.json()["message"]
    api.cookies.set("lang", "en")
    english = api.post("/api/counters/1/recall", json={}, headers=ok).json()["message"]
    assert zh != english and any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    assert english.isascii() and english


def test_the_slow_repeat_reaches_the_displays_as_a_slow_recalled_event(
        api: TestClient, hall_: Hall_, kiosk: RequestClient, heard: list[tuple[str, Any]]) -> None:
    ok = {"X-CSRF-Token": login(api, CLERK, CLERK_PIN, 1)}
    ticket = kiosk.request("issue_ticket", {"service": "reimburse"})["ticket"]
    assert api.post("/api/counters/1/call_next", json={}, headers=ok).status_code == 200
    plain = api.post("/api/counters/1/recall", json={}, headers=ok)
    slow = api.post("/api/counters/1/recall", json={"slow": True}, headers=ok)
    assert plain.status_code == 200 and slow.status_code == 200, slow.text
    assert api.post("/api/counters/1/recall", json={"slow": "yes please"},
                    headers=ok).status_code == 400

    def recalls() -> list[dict[str, Any]]:
        return [p.data for kind, p in list(heard)
                if kind == "event" and p.type == "recalled" and p.data.get("ticket") == ticket]
    assert wait_for(lambda: len(recalls()) == 2, 10), recalls()
    first, second = recalls()
    assert "slow" not in first and second["slow"] is True
    api.post("/api/counters/1/finish", json={}, headers=ok)


def test_a_no_show_is_revived_from_the_counters_list(api: TestClient, hall_: Hall_,
                                                     kiosk: RequestClient) -> None:
    ok = {"X-CSRF-Token": login(api, CLERK, CLERK_PIN, 1)}
    ticket = kiosk.request("issue_ticket", {"service": "reimburse"})["ticket"]
    assert api.post("/api/counters/1/call_next", json={}, headers=ok).status_code == 200
    assert api.post("/api/counters/1/no_show", json={}, headers=ok).status_code == 200
    assert [e["ticket"] for e in counter(hall_, 1)["no_shows"]] == [ticket]
    revived = api.post("/api/counters/1/revive", json={"ticket": ticket}, headers=ok)
    assert revived.status_code == 200, revived.text
    assert counter(hall_, 1)["no_shows"] == []


def test_five_wrong_pins_lock_the_id_with_a_security_log_that_never_holds_the_pin(
        api: TestClient, hall_: Hall_, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    codes = [api.post("/api/login", json={"staff": LOCKED, "pin": f"98{i}7",
                                          "counter": 4}).status_code for i in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    locked = api.post("/api/login", json={"staff": LOCKED, "pin": "1111", "counter": 4})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert counter(hall_, 4)["staff"] is None
    assert any("locked" in r.getMessage() and r.name == "web.security" for r in caplog.records)
    assert not any("9817" in r.getMessage() or "1111" in r.getMessage() for r in caplog.records)


def test_the_manager_opens_and_closes_counters_and_pauses_ticketing(
        api: TestClient, hall_: Hall_) -> None:
    answer = api.post("/api/login", json={"staff": MANAGER, "pin": MANAGER_PIN})
    assert answer.status_code == 200 and answer.json()["role"] == "manager"
    ok = {"X-CSRF-Token": answer.json()["csrf"]}
    assert api.post("/api/counters/6/close_counter", json={}, headers=ok).status_code == 200
    assert counter(hall_, 6)["mode"] == "closed"
    assert api.post("/api/counters/6/open_counter", json={}, headers=ok).status_code == 200
    assert counter(hall_, 6)["mode"] == "open"
    assert api.post("/api/hall/pause_ticketing", json={}, headers=ok).status_code == 200
    assert hall_.snapshot()["ticketing"]["paused"] is True
    assert api.post("/api/hall/resume_ticketing", json={}, headers=ok).status_code == 200
    notice = {"zh": "系统维护，请稍候", "en": "Maintenance, please wait", "minutes": 10}
    assert api.post("/api/hall/post_notice", json=notice, headers=ok).status_code == 200
    assert hall_.snapshot()["notice"]["zh"] == notice["zh"]
    assert api.post("/api/hall/post_notice", json={**notice, "minutes": "ten"},
                    headers=ok).status_code == 400
    assert api.post("/api/hall/clear_notice", json={}, headers=ok).status_code == 200


def test_sign_out_ends_the_session_and_the_broker_shows_the_counter_unstaffed(
        api: TestClient, hall_: Hall_) -> None:
    ok = {"X-CSRF-Token": login(api, CLERK2, CLERK2_PIN, 3)}
    assert counter(hall_, 3)["staff"] == CLERK2
    assert api.post("/api/logout", json={}, headers=ok).status_code == 200
    assert counter(hall_, 3)["staff"] is None
    assert api.post("/api/counters/3/call_next", json={}, headers=ok).status_code == 401


def test_outside_the_staff_networks_the_console_is_403_but_health_answers(
        hall_: Hall_) -> None:
    runtime = hall_.runtime("web-2")
    hall = hall_.hall.model_copy(update={"web": hall_.hall.web.model_copy(
        update={"staff_networks": ("10.99.0.0/16",)})})
    app = build_app(console_for(hall, runtime))
    try:
        with TestClient(app) as client:  # the test client's address is no staff network
            assert client.get("/").status_code == 403
            assert client.post("/api/login", json={"staff": CLERK, "pin": CLERK_PIN,
                                                   "counter": 1}).status_code == 403
            assert client.get("/healthz").status_code == 200
    finally:
        runtime.close()
