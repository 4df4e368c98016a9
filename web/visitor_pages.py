"""The visitor's phone pages (no sign-in, any network): ``/t/<token>``, its ``.json``, its event
stream and its rating (documented in docs/web.md).

No cookies, no external assets, ``Cache-Control: no-store``, no referrer; every answer to an
unknown or malformed token is the same 404 (no hint which tickets exist); each client
address is rate-limited (429). Chinese first, English beside it, on one page.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from config.rating import LEVELS, REASONS, is_negative
from protocol.errors import BrokerUnreachable, CommandRefused
from runtime.messages import refusal_text, render
from web.api import ApiError, read_json
from web.app import Console, console_of
from web.gateway import http_status
from web.pages import _template, hall_names
from web.visitor import TOKEN, Visitors, facts_json

logger = logging.getLogger(__name__)

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}
"""Every phone answer's headers (the 404 and 429 too)."""
NOT_FOUND_BODY = "<!doctype html><meta charset=utf-8><title>404</title><p>找不到 · Not found</p>"


class NotFound(Exception):
    """The token names no ticket (or is not a token): the one 404 answer."""


class TooMany(Exception):
    """Too many uncached tokens asked of the broker just now: 429."""


def visitors_of(request: Request) -> Visitors:
    """The phone pages' shared state of a request's app."""
    visitors: Visitors = request.app.state.visitors
    return visitors


def _not_found() -> Response:
    return HTMLResponse(NOT_FOUND_BODY, status_code=404, headers=HEADERS)


def _limited(request: Request) -> Response | None:
    """429 when the client's address has used up its requests."""
    limit = visitors_of(request).limit
    address = request.client.host if request.client else "?"
    if limit is None or limit.allow(address):
        return None
    return _too_many()


async def _ticket(request: Request, token: str) -> str:
    """The ticket of ``token`` (cached per hall day, else asked of the broker).

    Raises:
        NotFound: not a token, or the broker knows no ticket with it.
        BrokerUnreachable: the broker does not answer.
    """
    if not TOKEN.match(token):
        raise NotFound
    console, visitors = console_of(request.app), visitors_of(request)
    day = console.view().get("day")
    ticket = visitors.cached(token, day)
    if ticket is not None:
        return ticket
    if visitors.unknown(token):
        raise NotFound
    if visitors.lookups is not None and not visitors.lookups.allow("broker"):
        raise TooMany
    try:
        found = await run_in_threadpool(console.broker.track, token)
    except CommandRefused as err:
        if err.code == "not_found":
            visitors.forget(token)
            raise NotFound from err
        raise
    visitors.remember(token, found["ticket"], found["day"])
    visitors.settle(str(found["ticket"]), found.get("status"), bool(found.get("rated")))
    return str(found["ticket"])


def _facts(console: Console, visitors: Visitors, ticket: str) -> dict[str, Any]:
    facts = visitors.state_of(ticket, console.view())
    facts["scale"] = console.hall.policies.rating_scale
    return facts


def _unavailable() -> Response:
    return JSONResponse({"error": "broker_unreachable"}, status_code=503, headers=HEADERS)


def _too_many() -> Response:
    return JSONResponse({"error": "rate_limited"}, status_code=429,
                        headers={**HEADERS, "Retry-After": "5"})


async def _resolve(request: Request) -> str | Response:
    """The request's ticket, or the answer that ends it: 429 (rate limits), 404 (no such
    token, every time the same), 503 (the broker is unreachable)."""
    limited = _limited(request)
    if limited is not None:
        return limited
    try:
        return await _ticket(request, request.path_params["token"])
    except NotFound:
        return _not_found()
    except TooMany:
        return _too_many()
    except (CommandRefused, BrokerUnreachable):
        return _unavailable()


async def ticket_json(request: Request) -> Response:
    """``GET /t/<token>.json``: the ticket's facts (see ``web.visitor.ticket_state``)."""
    ticket = await _resolve(request)
    if isinstance(ticket, Response):
        return ticket
    console = console_of(request.app)
    return JSONResponse(_facts(console, visitors_of(request), ticket), headers=HEADERS)


def _words(console: Console) -> dict[str, dict[str, str]]:
    """The page's words in both languages: the rating levels and reasons among them."""
    scale = console.hall.policies.rating_scale
    words: dict[str, dict[str, str]] = {}
    for lang in ("zh", "en"):
        table = {f"level.{score}": render(f"rating.level.{code}", {}, lang)
                 for score, code in enumerate(LEVELS[scale], start=1)}
        table.update({f"reason.{r}": render(f"rating.reason.{r}", {}, lang) for r in REASONS})
        table.update({"ask_reason": render("rating.ask_reason", {}, lang),
                      "thanks": render("rating.thanks", {}, lang)})
        words[lang] = table
    return words


async def ticket_page(request: Request) -> Response:
    """``GET /t/<token>``: the visitor's page (its first paint from the facts now)."""
    ticket = await _resolve(request)
    if isinstance(ticket, Response):
        return ticket
    console = console_of(request.app)
    scale = console.hall.policies.rating_scale
    boot = {"facts": _facts(console, visitors_of(request), ticket),
            "names": {"zh": hall_names(console.hall, "zh"), "en": hall_names(console.hall, "en")},
            "words": _words(console), "reasons": list(REASONS),
            "negative": [s for s in range(1, scale + 1) if is_negative(s, scale)]}
    body = _template("visitor.html").substitute(
        ticket=html.escape(ticket), hall=html.escape(console.hall.name.zh),
        hall_en=html.escape(console.hall.name.en),
        boot=facts_json(boot).replace("</", "<\\/"))
    return HTMLResponse(body, headers=HEADERS)


async def ticket_events(request: Request) -> Response:
    """``GET /t/<token>/events``: ``event: ticket`` with the facts whenever they change."""
    ticket = await _resolve(request)
    if isinstance(ticket, Response):
        return ticket
    visitors = visitors_of(request)
    page = visitors.open(ticket)
    if page is None:
        return JSONResponse({"error": "too_many_pages"}, status_code=503, headers=HEADERS)
    return StreamingResponse(visitors.stream(ticket, page), media_type="text/event-stream",
                             headers={**HEADERS, "X-Accel-Buffering": "no"})


async def rate(request: Request) -> Response:
    """``POST /t/<token>/rate`` ``{"score", "reason"?}``: the visitor's rating (once)."""
    resolved = await _resolve(request)
    if isinstance(resolved, Response):
        return resolved
    console = console_of(request.app)
    token = request.path_params["token"]
    try:
        data = await read_json(request)
        score, reason = data.get("score"), data.get("reason")
        if not isinstance(score, int) or isinstance(score, bool) \
                or not (reason is None or isinstance(reason, str)):
            raise ApiError(400, "bad_args", "score: an integer; reason: a string or null")
        result = await run_in_threadpool(console.broker.rate_visit, token, score, reason)
    except ApiError as err:
        answer = err.response()
        answer.headers.update(HEADERS)
        return answer
    except BrokerUnreachable:
        return _unavailable()
    except CommandRefused as err:
        if err.code == "not_found":
            return _not_found()
        words = {lang: refusal_text(err.code, err.params, lang, hall=console.hall)
                 for lang in ("zh", "en")}
        return JSONResponse({"error": err.code, "reason": err.params.get("reason"),
                             "words": words}, status_code=http_status(err.code),
                            headers=HEADERS)
    return JSONResponse({"ok": True, "score": result["score"]}, headers=HEADERS)
