"""The console's pages, rendered on the server from ``string.Template`` files.

A page carries its words and the hall's names (in its language) and, once signed in, its
session's CSRF token in a JSON block; the plain JavaScript beside it draws the live parts
from the event stream. Nothing is fetched from outside the console.
"""

from __future__ import annotations

import html
import json
from functools import lru_cache
from importlib import resources
from string import Template
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from config.schema import Hall
from web.api import LANG_COOKIE, current_session, language
from web.app import console_of
from web.labels import labels
from web.sessions import Session

_HEADERS = {
    "Cache-Control": "no-store",
    # Only our own scripts and styles; no frames of the console elsewhere.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@lru_cache(maxsize=8)
def _template(name: str) -> Template:
    text = resources.files("web").joinpath("templates", name).read_text(encoding="utf-8")
    return Template(text)


def _name(bilingual: Any, lang: str) -> str:
    return str(bilingual.zh if lang == "zh" else bilingual.en)


def hall_names(hall: Hall, lang: str) -> dict[str, Any]:
    """The hall's names in ``lang``: services by id, counters by number."""
    return {
        "hall": _name(hall.name, lang),
        "services": {s.id: _name(s.name, lang) for s in hall.services},
        "counters": {str(c.number): (_name(c.name, lang) if c.name else
                                     (f"{c.number}号窗口" if lang == "zh" else f"Counter {c.number}"))
                     for c in hall.counters},
    }


def _boot(data: dict[str, Any]) -> str:
    """JSON for a ``<script type="application/json">`` block ("</" cannot end it early)."""
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def _render(request: Request, template: str, title_key: str, session: Session | None,
            extra: dict[str, Any]) -> Response:
    console = console_of(request.app)
    lang = language(request)
    words = labels(lang)
    names = hall_names(console.hall, lang)
    boot = {"lang": lang, "labels": dict(words), **names, **extra,
            "me": None if session is None else {
                "staff": session.staff, "name": session.name, "role": session.role,
                "counter": session.counter, "csrf": session.csrf}}
    other = "en" if lang == "zh" else "zh"
    fields = {"lang": "zh-CN" if lang == "zh" else "en", "title": html.escape(words[title_key]),
              "hall": html.escape(names["hall"]), "other": other,
              "switch": html.escape(words["lang.switch"]), "boot": _boot(boot),
              "page": extra["page"], "logout": html.escape(words["logout"]),
              "who": html.escape("" if session is None else
                                 f"{words['signed_in_as']}: {session.staff}")}
    body = _template("layout.html").substitute(
        fields, body=_template(template).substitute(fields))
    response = HTMLResponse(body, headers=_HEADERS)
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict", path="/")
    return response


def render_page(request: Request, template: str, title_key: str, session: Session | None,
                extra: dict[str, Any]) -> Response:
    """A page of the console's layout: ``template`` with the words, names and ``extra``
    (which names the ``page``: its script ``/static/<page>.js``) in its boot block."""
    return _render(request, template, title_key, session, extra)


def login_page(request: Request, manager: bool) -> Response:
    """The sign-in page (``manager``: without a counter)."""
    return _login(request, manager)


def _login(request: Request, manager: bool) -> Response:
    return _render(request, "login.html", "title.login", None,
                   {"page": "login", "manager": manager})


async def counter_page(request: Request) -> Response:
    """``GET /counter``: the virtual caller for the counter signed in at (sign-in first)."""
    session = current_session(request)
    if session is None or session.counter is None:
        return _login(request, manager=False)
    return _render(request, "counter.html", "title.counter", session, {"page": "counter"})


async def hall_page(request: Request) -> Response:
    """``GET /``: the hall manager's page; a clerk is sent to their counter page."""
    session = current_session(request)
    if session is None:
        return _login(request, manager=True)
    if session.role != "manager":
        return RedirectResponse("/counter", status_code=303)
    return _render(request, "hall.html", "title.hall", session, {"page": "hall"})
