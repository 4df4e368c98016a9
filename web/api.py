"""The console's JSON API (documented in docs/web.md) and its event stream.

Every POST needs ``Content-Type: application/json`` and at most 16 KiB of body; every POST
but the sign-in needs the session cookie and the session's ``X-CSRF-Token``. What the
broker refuses comes back with its code, parameters and its words in the page's language.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from protocol.errors import BrokerUnreachable, CommandRefused
from protocol.registry import REGISTRY
from runtime.messages import refusal_text, render
from web.app import Console, console_of
from web.auth import LoginError, sign_in
from web.gateway import http_status
from web.labels import labels
from web.sessions import Session

logger = logging.getLogger(__name__)

MAX_BODY = 16 * 1024
"""Largest request body; the biggest real one (a notice) is well under 2 KiB."""
SESSION_COOKIE = "callnext_session"
LANG_COOKIE = "lang"
COUNTER_OPS = frozenset({"call_next", "recall", "no_show", "revive", "hold", "call_back",
                         "transfer", "call_ticket", "start", "finish", "pause", "resume",
                         "open_counter", "close_counter"})
"""Ops of ``/api/counters/{n}/{op}``."""
MANAGER_COUNTER_OPS = frozenset({"open_counter", "close_counter"})
"""Counter ops for managers, at any counter; the others only at the counter signed in at."""
HALL_OPS = frozenset({"pause_ticketing", "resume_ticketing", "post_notice", "clear_notice"})
"""Ops of ``/api/hall/{op}``, managers only."""


class ApiError(Exception):
    """A 4xx/5xx answer: status, a stable code and optional words."""

    def __init__(self, status: int, code: str, words: str = "",
                 params: dict[str, Any] | None = None) -> None:
        super().__init__(code)
        self.status, self.code, self.words, self.params = status, code, words, params or {}

    def response(self) -> JSONResponse:
        """The JSON answer ``{"error", "message", "params"}``."""
        headers = {"Retry-After": str(self.params["retry_after"])} \
            if "retry_after" in self.params else None
        return JSONResponse({"error": self.code, "message": self.words, "params": self.params},
                            status_code=self.status, headers=headers)


def language(request: Request) -> str:
    """The page's language: ``?lang=`` over the remembered cookie, Chinese by default."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE, "zh")
    return chosen if chosen in ("zh", "en") else "zh"


def current_session(request: Request) -> Session | None:
    """The request's live session, if its cookie names one."""
    return console_of(request.app).sessions.get(request.cookies.get(SESSION_COOKIE))


async def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object; 413 over 16 KiB, 400 when not a JSON object."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ApiError(400, "bad_content_type", "Content-Type must be application/json")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiError(413, "too_large", f"the body must be at most {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():  # bounded even when the length header lies
        body += chunk
        if len(body) > MAX_BODY:
            raise ApiError(413, "too_large", f"the body must be at most {MAX_BODY} bytes")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(400, "bad_json", f"the body is not JSON: {err}") from err
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "the body must be a JSON object")
    return data


def signed_in(request: Request, *, post: bool = True) -> Session:
    """The session, checked: 401 without one, 403 for a POST without its CSRF token."""
    session = current_session(request)
    if session is None:
        raise ApiError(401, "not_signed_in", "sign in first: POST /api/login")
    if post and not session.csrf_ok(request.headers.get("x-csrf-token")):
        logger.warning("security: a POST for staff %s without a valid CSRF token refused",
                       session.staff)
        raise ApiError(403, "bad_csrf", "the X-CSRF-Token header is missing or wrong")
    return session


async def healthz(request: Request) -> Response:
    """``GET /healthz``: ``{"ok": true, "broker": <mirror current>, "pages", "sessions"}``."""
    console = console_of(request.app)
    return JSONResponse({"ok": True, "broker": console.connected(),
                         "pages": console.hub.pages if console.hub else 0,
                         "sessions": len(console.sessions)})


async def login(request: Request) -> Response:
    """``POST /api/login`` ``{"staff", "pin", "counter"?}`` → session cookie and CSRF token."""
    console = console_of(request.app)
    try:
        data = await read_json(request)
        client = request.client.host if request.client else "?"
        session = await run_in_threadpool(sign_in, console, data, client)
    except ApiError as err:
        return err.response()
    except LoginError as err:
        return ApiError(err.status, err.code, err.words(language(request)),
                        err.params).response()
    except (CommandRefused, BrokerUnreachable) as err:
        return _broker_error(console, err, language(request)).response()
    answer = JSONResponse({"staff": session.staff, "name": session.name, "role": session.role,
                           "counter": session.counter, "csrf": session.csrf})
    answer.set_cookie(SESSION_COOKIE, session.id, httponly=True, samesite="strict", path="/")
    return answer


async def logout(request: Request) -> Response:
    """``POST /api/logout``: ends the session and signs the staff member out at the broker."""
    console = console_of(request.app)
    try:
        session = signed_in(request)
    except ApiError as err:
        return err.response()
    console.sessions.end(session.id)
    try:
        await run_in_threadpool(console.broker.sign_out, session.staff)
    except (CommandRefused, BrokerUnreachable) as err:
        logger.warning("sign-out of staff %s not journaled: %s", session.staff, err)
    answer = JSONResponse({"staff": session.staff, "signed_out": True})
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer


async def counter_op(request: Request) -> Response:
    """``POST /api/counters/{n}/{op}``: a clerk's or manager's op for counter n."""
    console = console_of(request.app)
    counter: int = request.path_params["counter"]
    op: str = request.path_params["op"]
    try:
        session = signed_in(request)
        if op not in COUNTER_OPS:
            raise ApiError(404, "unknown_op", f"no counter op {op!r}; ops: "
                           f"{', '.join(sorted(COUNTER_OPS))}")
        if console.hall.counter(counter) is None:
            raise ApiError(404, "unknown_counter", f"counter {counter} is not in this hall")
        if op in MANAGER_COUNTER_OPS and session.role != "manager":
            raise ApiError(403, "not_manager", f"{op} is for the hall manager")
        if op not in MANAGER_COUNTER_OPS and session.counter != counter:
            raise ApiError(403, "not_your_counter",
                           f"you are signed in at counter {session.counter}, not {counter}")
        data = await read_json(request)
        if data.setdefault("counter", counter) != counter:
            raise ApiError(400, "bad_args", "the body's counter differs from the URL's")
        if op == "revive":
            del data["counter"]  # revive names a ticket; the counter check above scoped it
    except ApiError as err:
        return err.response()
    return await _send(request, console, session, op, data)


async def hall_op(request: Request) -> Response:
    """``POST /api/hall/{op}``: a manager's hall-wide op (ticketing, notices)."""
    console = console_of(request.app)
    op: str = request.path_params["op"]
    try:
        session = signed_in(request)
        if op not in HALL_OPS or op not in REGISTRY:
            raise ApiError(404, "unknown_op", f"no hall op {op!r}; ops: "
                           f"{', '.join(sorted(HALL_OPS))}")
        if session.role != "manager":
            raise ApiError(403, "not_manager", f"{op} is for the hall manager")
        data = await read_json(request)
    except ApiError as err:
        return err.response()
    return await _send(request, console, session, op, data)


async def _send(request: Request, console: Console, session: Session, op: str,
                data: dict[str, Any]) -> Response:
    """Check the args with the op's own model, send them for the session's staff member."""
    try:
        args = REGISTRY[op].args.model_validate(data).model_dump(exclude_unset=True)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in err.errors())
        return ApiError(400, "bad_args", problems).response()
    try:
        result = await run_in_threadpool(console.broker.act, op, args, session.staff)
    except (CommandRefused, BrokerUnreachable) as err:
        return _broker_error(console, err, language(request)).response()
    answer: dict[str, Any] = {"ok": True, "op": op, "result": result}
    if op == "call_next" and result.get("ticket") is None:
        answer["message"] = render("note.nobody_waiting", {}, language(request))
    return JSONResponse(answer)


def _broker_error(console: Console, err: Exception, lang: str) -> ApiError:
    """A broker refusal (its words in ``lang``) or an unreachable broker (503)."""
    if isinstance(err, CommandRefused):
        return ApiError(http_status(err.code), err.code,
                        refusal_text(err.code, err.params, lang, hall=console.hall),
                        dict(err.params))
    return ApiError(503, "broker_unreachable", labels(lang)["link.lost"])


async def events(request: Request) -> Response:
    """``GET /api/events``: server-sent events (``view``, ``alert``) for the signed-in user."""
    console = console_of(request.app)
    try:
        session = signed_in(request, post=False)
    except ApiError as err:
        return err.response()
    hub = console.hub
    page = hub.open(language(request)) if hub is not None else None
    if hub is None or page is None:
        return ApiError(503, "too_many_pages", "too many open console pages").response()
    sessions, sid = console.sessions, session.id
    return StreamingResponse(hub.stream(page, lambda: sessions.get(sid) is not None),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
