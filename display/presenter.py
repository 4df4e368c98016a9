"""What the wall display shows, computed from the mirrored public view (no Kivy here).

``BoardPresenter.present`` turns the broker's view, the connection flag and
the time into a ``Board``: plain text and flags the Kivy layer only copies
onto widgets. Everything visitors read is bilingual; nothing personal exists
in the view to show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Mapping

from config.display_node import DisplayNode
from config.schema import Hall
from display.phrases import counter_name
from protocol.view import CallView, CounterView, PublicView, ServiceView
from runtime.messages import alert_text, render
from runtime.opening import opening_words

TileState = Literal["serving", "open", "paused", "closed"]

_STATE_WORDS: dict[str, tuple[str, str]] = {
    "serving": ("办理中", "Serving"),
    "open": ("等候叫号", "Open"),
    "paused": ("暂停服务", "Paused"),
    "closed": ("窗口关闭", "Closed"),
}
_WEEKDAYS_ZH = "一二三四五六日"

PRIORITY_EN = "Priority"
"""The English beside a called priority ticket's category on its counter's tile."""

LOST = ("连接中断", "Connection lost")
CONNECTING = ("正在连接…", "Connecting…")


@dataclass(frozen=True)
class CallLine:
    """One call as the board shows it: "A012 → 3号窗口 / Counter 3"."""

    ticket: str
    counter: int
    counter_zh: str
    counter_en: str
    recall: bool
    at: float
    short_zh: str = ""
    short_en: str = ""


@dataclass(frozen=True)
class Tile:
    """One counter's tile."""

    counter: int
    name_zh: str
    name_en: str
    ticket: str | None
    state: TileState
    state_zh: str
    state_en: str
    staff_zh: str = ""
    """"工号 1024" when a staff member is signed in at the counter (as the standards ask:
    the clerk's number on show), else empty."""
    staff_en: str = ""


@dataclass(frozen=True)
class ServiceLine:
    """One service's queue: how many wait and about how long."""

    service: str
    prefix: str
    name_zh: str
    name_en: str
    waiting: int
    wait_zh: str
    wait_en: str


@dataclass(frozen=True)
class Banner:
    """A full-width message over the board (connection lost / connecting / closed today)."""

    kind: Literal["lost", "connecting", "closed"]
    zh: str
    en: str


STAFF_STRIP_ALERTS = 3
"""Alerts the staff strip shows at once (the rest are counted): a strip, not a console."""


@dataclass(frozen=True)
class Board:
    """Everything on the screen at one moment."""

    title_zh: str
    title_en: str
    clock: str
    date_zh: str
    date_en: str
    newest: CallLine | None
    flashing: bool
    tiles: tuple[Tile, ...]
    recent: tuple[CallLine, ...]
    services: tuple[ServiceLine, ...]
    ticker: str
    banner: Banner | None
    stale: bool
    staff_strip: str = ""
    """The unacknowledged staff alerts (only with ``staff_alerts = true``), else empty."""


def saved_view(view: Mapping[str, Any]) -> PublicView | None:
    """A view saved as JSON (a state file for screenshots), typed; ``{}`` is no view yet."""
    return PublicView.parse(view) if view else None


class BoardPresenter:
    """Computes the ``Board`` of one display node.

    Stateful only for the flash: a call flashes for ``flash_seconds`` from the
    moment this display first shows it (measured on the display's own
    monotonic clock, so a broker on another clock cannot cut it short).

    Args:
        hall: the hall configuration.
        node: this display's settings (zone, number of recent calls, flash time).
    """

    def __init__(self, hall: Hall, node: DisplayNode) -> None:
        self.hall = hall
        self.node = node
        self.zone: frozenset[int] = frozenset(node.counters) or frozenset(
            c.number for c in hall.counters)
        self._flash_key: tuple[str, int, float] | None = None
        self._flash_started = -math.inf

    def shows(self, counter: int) -> bool:
        """True if this display shows (and speaks for) ``counter``."""
        return counter in self.zone

    def present(self, view: PublicView | None, connected: bool, now: float,
                monotonic: float) -> Board:
        """The board for this view.

        Args:
            view: the mirrored public view, typed (None before the first snapshot).
            connected: whether the view is known to be current.
            now: epoch seconds, for the clock.
            monotonic: the display's monotonic time, for the flash.
        """
        calls = [self._call(c) for c in (view.recent_calls if view is not None else ())
                 if self.shows(c.counter)]
        newest = calls[0] if calls else None
        if newest is not None:
            key = (newest.ticket, newest.counter, newest.at)
            if key != self._flash_key:
                self._flash_key = key
                self._flash_started = monotonic
        flashing = (newest is not None and connected
                    and monotonic - self._flash_started < self.node.flash_seconds)
        banner: Banner | None = None
        if view is None:
            banner = Banner("connecting", *CONNECTING)
        elif not connected:
            banner = Banner("lost", *LOST)
        else:
            banner = self._closed_today(view, now)
        local = datetime.fromtimestamp(now, self.hall.hours.zone())
        return Board(
            title_zh=self.hall.name.zh,
            title_en=self.hall.name.en,
            clock=local.strftime("%H:%M"),
            date_zh=f"{local.year}年{local.month}月{local.day}日 星期{_WEEKDAYS_ZH[local.weekday()]}",
            date_en=local.strftime("%a %d %b %Y"),
            newest=newest,
            flashing=flashing,
            tiles=self._tiles(view.counters if view is not None else {}),
            recent=tuple(calls[1:1 + self.node.recent_calls]),
            services=self._services(view.services if view is not None else {}),
            ticker=self._ticker(view),
            banner=banner,
            stale=banner is not None and banner.kind != "closed",
            staff_strip=self._staff_strip(view),
        )

    def _staff_strip(self, view: PublicView | None) -> str:
        """The staff strip: the first few unacknowledged alerts of this zone, both languages
        (each behind a full-width ！, a glyph the board's CJK font has)."""
        if not self.node.staff_alerts or view is None:
            return ""
        shown = [a for a in view.alerts.values() if not a.acknowledged
                 and (a.counter is None or self.shows(a.counter))]
        words = [f"{alert_text(a.code or a.kind, a.params, 'zh', hall=self.hall)} "
                 f"{alert_text(a.code or a.kind, a.params, 'en', hall=self.hall)}"
                 for a in shown[:STAFF_STRIP_ALERTS]]
        more = len(shown) - len(words)
        return "！" + "   ！".join(words) + (f"   (+{more})" if more > 0 else "") if words else ""

    def _ticker(self, view: PublicView | None) -> str:
        """The manager's timed notice first (the broker removes it when it ends), then the
        hall file's standing notices."""
        notices = [f"{n.zh}  {n.en}" for n in self.hall.notices]
        notice = view.notice if view is not None else None
        if notice is not None:
            notices.insert(0, f"【通知 Notice】 {notice.zh}  {notice.en}")
        return "        ".join(notices)

    def _closed_today(self, view: PublicView, now: float) -> Banner | None:
        """今日休息 on a day the broker says is closed all day (a holiday, a day off)."""
        ticketing = view.ticketing
        if ticketing is None or not ticketing.closed_today:
            return None
        zh, en = opening_words(self.hall, now, ticketing.opens_at)
        return Banner("closed", f"今日休息  下次开放：{zh}", f"Closed today · opens {en}")

    def _call(self, call: CallView) -> CallLine:
        counter = call.counter
        return CallLine(ticket=call.ticket, counter=counter,
                        counter_zh=counter_name(self.hall, counter, "zh"),
                        counter_en=counter_name(self.hall, counter, "en"),
                        recall=call.recall, at=call.at,
                        short_zh=f"{counter}号窗口", short_en=f"Counter {counter}")

    def _tiles(self, counters: dict[int, CounterView]) -> tuple[Tile, ...]:
        tiles: list[Tile] = []
        for configured in self.hall.counters:
            if not self.shows(configured.number):
                continue
            current = counters.get(configured.number)
            mode = (current.mode if current is not None
                    else "closed" if counters else configured.opens)
            ticket = current.serving if current is not None else None
            state: TileState
            if mode == "closed":
                state = "closed"
            elif mode == "paused":
                state = "paused"
            else:
                state = "serving" if ticket else "open"
            zh, en = _STATE_WORDS[state]
            category = (self.hall.priority_category(current.category)
                        if state == "serving" and current is not None and current.category
                        else None)
            if category is not None:
                # The marker replaces "办理中": a tile holds one short line, so the English
                # says only that it is a priority visit.
                zh, en = f"★ {category.name.zh}", PRIORITY_EN
            staff = current.staff if current is not None and mode != "closed" else None
            tiles.append(Tile(counter=configured.number,
                              name_zh=counter_name(self.hall, configured.number, "zh"),
                              name_en=counter_name(self.hall, configured.number, "en"),
                              ticket=ticket, state=state, state_zh=zh, state_en=en,
                              staff_zh=render("staff.badge", {"staff": staff}, "zh")
                              if staff else "",
                              staff_en=render("staff.badge", {"staff": staff}, "en")
                              if staff else ""))
        return tuple(tiles)

    def _services(self, services: dict[str, ServiceView]) -> tuple[ServiceLine, ...]:
        wanted = {s for c in self.hall.counters if self.shows(c.number) for s in c.services}
        lines: list[ServiceLine] = []
        for service in self.hall.services:
            if service.id not in wanted:
                continue
            current = services.get(service.id)
            waiting = current.waiting if current is not None else 0
            minutes = current.wait_min if current is not None else None
            if waiting == 0:
                wait_zh, wait_en = "无需等候", "No wait"
            elif current is None or minutes is None or not current.open_counters:
                # Nobody serves it right now: an estimate would be a guess.
                wait_zh, wait_en = "—", "—"
            else:
                wait_zh, wait_en = f"约{minutes}分钟", f"~{minutes} min"
            lines.append(ServiceLine(service=service.id, prefix=service.prefix,
                                     name_zh=service.name.zh, name_en=service.name.en,
                                     waiting=waiting, wait_zh=wait_zh, wait_en=wait_en))
        return tuple(lines)
