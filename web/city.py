"""The city view (issue #18): the halls of the city side by side, for city managers.

Only where the hall file has ``[central]``; only for a signed-in manager whose 工号 is in
``[web] city_managers``. The figures are read from the city's central PostgreSQL, read-only,
with the hall's ``[central]`` DSN and password file (``runtime.central_link``), in a thread:
a slow city database never stalls the console's event loop.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from config.central import CentralSettings
from foundation.errors import CallnextError
from web.api import ApiError, current_session, language
from web.app import Console, console_of
from web.labels import labels
from web.sessions import Session

logger = logging.getLogger(__name__)

APPLICATION_NAME = "callnext-web-city"
"""Shown in ``pg_stat_activity``: the city view's read-only sessions."""
MAX_DAYS = 366
"""Longest period the view asks for (a year of a city's events is still one query)."""


def city_allowed(console: Console, session: Session) -> bool:
    """Whether ``session`` may see the city view: a manager named in ``[web] city_managers``."""
    return session.role == "manager" and session.staff in console.settings.city_managers


def check_access(request: Request) -> tuple[Console, Session, CentralSettings]:
    """The console, the session and ``[central]``, or ApiError 404 / 401 / 403."""
    console = console_of(request.app)
    central = console.hall.central
    if central is None:
        raise ApiError(404, "no_central", "this hall has no [central] table: no city view")
    session = current_session(request)
    if session is None:
        raise ApiError(401, "not_signed_in", "sign in first: POST /api/login")
    if not city_allowed(console, session):
        logger.warning("security: staff %s asked for the city view without the city role",
                       session.staff)
        raise ApiError(403, "not_city_manager", labels(language(request))["city.forbidden"])
    return console, session, central


def hall_today(console: Console) -> date:
    """Today in the hall's time zone, on the broker's clock (this machine's when unknown)."""
    now = console.broker_now()
    moment = datetime.fromtimestamp(now, timezone.utc) if now is not None \
        else datetime.now(timezone.utc)
    return moment.astimezone(ZoneInfo(console.hall.hours.timezone)).date()


def period_of(request: Request, today: date) -> tuple[date, date]:
    """``?from=&to=`` (ISO days; both default to today), or ApiError 400."""
    try:
        start = date.fromisoformat(request.query_params.get("from") or today.isoformat())
        end = date.fromisoformat(request.query_params.get("to") or start.isoformat())
    except ValueError as err:
        raise ApiError(400, "bad_args", f"from and to must be days such as "
                       f"{today.isoformat()} ({err})") from err
    if end < start:
        raise ApiError(400, "bad_args", f"the period ends ({end}) before it starts ({start})")
    if end - start > timedelta(days=MAX_DAYS):
        raise ApiError(400, "bad_args", f"at most {MAX_DAYS} days at once")
    return start, end


def read_city(central: CentralSettings, start: date, end: date) -> dict[str, Any]:
    """The city report over ``start``..``end``, one column per hall (blocking: a thread).

    The session is read-only: the view can never write the city's store, whatever the
    DSN's user may do.

    Raises:
        PasswordFileError: the password file cannot be used.
        psycopg.Error: the central database cannot be reached or read.
    """
    import psycopg

    from runtime.central_link import connection_options
    from runtime.city_report import WHOLE, city_report

    with psycopg.connect(central.dsn, **connection_options(central, APPLICATION_NAME)) as conn:
        conn.read_only = True
        return city_report(conn, start, end, WHOLE)


async def city_json(request: Request) -> Response:
    """``GET /api/city?from=&to=``: every hall's figures over the period, and the city's."""
    try:
        console, _session, central = check_access(request)
        start, end = period_of(request, hall_today(console))
    except ApiError as err:
        return err.response()
    import psycopg

    try:
        report = await run_in_threadpool(read_city, central, start, end)
    except (psycopg.Error, CallnextError) as err:
        logger.error("city view: cannot read the central database: %s", err)
        return ApiError(503, "central_unreachable",
                        labels(language(request))["city.unreachable"],
                        {"detail": str(err).splitlines()[0] if str(err) else ""}).response()
    return JSONResponse(report, headers={"Cache-Control": "no-store"})


async def city_page(request: Request) -> Response:
    """``GET /city``: the city view's page (sign-in first; 403 / 404 as ``/api/city``)."""
    from web.pages import login_page, render_page

    try:
        console, session, _central = check_access(request)
    except ApiError as err:
        if err.status == 401:
            return login_page(request, manager=True)
        return err.response()
    today = hall_today(console).isoformat()
    return render_page(request, "city.html", "title.city", session,
                       {"page": "city", "today": today})
