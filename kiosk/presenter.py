"""Turn mirror state, the hall config and the broker's clock into kiosk screens.

Plain Python, no Kivy: every screen can be built and checked in a unit test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from config.kiosk_node import KioskNode
from config import hours
from config.schema import Hall, Service
from kiosk.categories import MARK, category_actions, category_names
from kiosk.screens import Action, Screen, Text
from kiosk.ticket import wait_text
from protocol.results import TicketIssued
from protocol.view import PublicView, TicketingView
from runtime import messages
from runtime.opening import opening_words

Language = Literal["zh", "en"]

KEYPAD_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "del", "0", "ok")
MIN_CODE_CHARS = 4
MAX_CODE_CHARS = 32


@dataclass(frozen=True)
class IssuedTicket:
    """An acknowledged ticket as the kiosk shows it.

    Attributes:
        ticket: the number.
        service: the service id.
        kind: walkin, priority or appointment (a late appointment comes back as walkin).
        ahead: people waiting before it.
        wait_min: the broker's estimated wait in whole minutes (None: no open counter).
        issued_at: broker time, epoch seconds.
        late: a late appointment that joined the normal queue.
        after_hours: issued outside opening hours (policy issue_with_warning).
        expected_at: the broker's expected time, epoch seconds (None: no estimate).
        beyond_closing: the broker found ``expected_at`` after today's closing (延时服务).
        printed: the printer took the ticket.
        print_problem: why it was not printed (None if printed).
        category: the priority category id (None for none).
    """

    ticket: str
    service: str
    kind: str
    ahead: int
    wait_min: int | None
    issued_at: float
    late: bool = False
    after_hours: bool = False
    expected_at: float | None = None
    beyond_closing: bool = False
    printed: bool = True
    print_problem: str | None = None
    category: str | None = None

    @classmethod
    def from_result(cls, result: TicketIssued, *, printed: bool = True,
                    print_problem: str | None = None) -> IssuedTicket:
        """Build from an ``issue_ticket`` result (parsed with the op registry's model)."""
        return cls(ticket=result.ticket, service=result.service, kind=result.kind,
                   ahead=result.ahead, wait_min=result.wait_min, issued_at=result.issued_at,
                   late=result.late, after_hours=result.after_hours,
                   expected_at=result.expected_at, beyond_closing=result.beyond_closing,
                   printed=printed, print_problem=print_problem, category=result.category)


def pair(language: Language, zh: str, en: str) -> tuple[str, str]:
    """``(primary, secondary)`` for the chosen language."""
    return (zh, en) if language == "zh" else (en, zh)


def text(language: Language, zh: str, en: str, size: Any = "normal", tone: Any = "normal") -> Text:
    """A bilingual ``Text`` in the chosen language order."""
    primary, secondary = pair(language, zh, en)
    return Text(primary, secondary, size, tone)


# --- opening hours: the broker decides (view.ticketing); the kiosk only words them -------------

local_time = hours.local


# --- the presenter -------------------------------------------------------------------------------

class KioskPresenter:
    """Builds every kiosk screen for one kiosk node of one hall.

    Args:
        hall: the hall config.
        node: this kiosk's config.
    """

    def __init__(self, hall: Hall, node: KioskNode) -> None:
        self.hall = hall
        self.node = node
        self.services = offered_services(hall, node)

    def _header(self, language: Language) -> Text:
        return text(language, self.hall.name.zh, self.hall.name.en, "title")

    def _clock(self, now: float | None) -> str:
        return "" if now is None else local_time(self.hall, now).strftime("%H:%M")

    def _lang_action(self, language: Language) -> Action:
        return Action("lang", "English" if language == "zh" else "中文",
                      "", style="nav")

    def home(self, view: PublicView | None, language: Language, now: float | None,
             printer_out: bool = False) -> Screen:
        """The home screen: one big button per offered service.

        Args:
            view: the mirror's typed public view (None before the first snapshot).
            language: the language shown large.
            now: broker time (epoch seconds) for the clock and the hours banner.
            printer_out: the printer is known to be out of paper or offline.
        """
        actions = tuple(self._service_action(s, view, language, "walkin")
                        for s in self.services)
        footer: list[Action] = [self._lang_action(language)]
        if self.node.appointments:
            footer.append(Action("appointment", *pair(language, "预约签到", "Appointment check-in"),
                                 style="nav"))
        if self.priority_offered():
            footer.append(Action("priority", *pair(language, "优先取号", "Priority ticket"),
                                 style="nav"))
        body = [text(language, "请选择业务取号", "Touch a service to take a number", "large")]
        if printer_out:
            body.append(text(language, "打印机暂不可用，号码将显示在屏幕上，请记住您的号码",
                             "The printer is unavailable: your number will be shown on screen",
                             "normal", "warn"))
        ticketing = view.ticketing if view is not None else None
        if now is not None and ticketing is not None and not ticketing.in_hours:
            zh, en = opening_words(self.hall, now, ticketing.opens_at)
            body.append(text(language, f"现在不在办公时间，所取号码可能无法当天办理（下次开始 {zh}）",
                             f"Outside opening hours: service may not happen today (opens {en})",
                             "normal", "warn"))
        return Screen("home", self._header(language), tuple(body), actions, tuple(footer),
                      columns=2 if len(actions) > 3 else 1, clock=self._clock(now))

    def priority_offered(self) -> bool:
        """Whether the footer offers priority tickets (not when a priority service has a button)."""
        return self.node.priority and not any(s.priority for s in self.services)

    def priority(self, view: PublicView | None, language: Language, now: float | None,
                 service: str | None = None) -> Screen:
        """Choose the service of a priority ticket (优先: elderly, disabled, military), then
        its category when the hall has categories (``service``: the one chosen already)."""
        if service is not None and self.hall.priority_categories:
            return self._categories(language, now)
        if self.node.priority_service:
            service = self.hall.service(self.node.priority_service)
            services = [service] if service else []
        else:
            services = list(self.services)
        actions = tuple(self._service_action(s, view, language, "priority") for s in services)
        body = (text(language, "优先取号：老年人、残疾人、军人等", "Priority: elderly, disabled, "
                     "military and others entitled", "large"),
                text(language, "请选择业务", "Touch a service", "normal"))
        footer = (Action("home", *pair(language, "返回", "Back"), style="nav"),)
        return Screen("priority", self._header(language), body, actions, footer,
                      columns=2 if len(actions) > 3 else 1, clock=self._clock(now))

    def _categories(self, language: Language, now: float | None) -> Screen:
        actions = category_actions(self.hall, language)
        # One line: six big buttons need the height; each names the proof staff will check.
        body = (text(language, "优先取号：请选择您的类别", "Priority: touch what applies to you",
                     "large"),)
        footer = (Action("home", *pair(language, "返回", "Back"), style="nav"),)
        return Screen("priority", self._header(language), body, actions, footer,
                      columns=2 if len(actions) > 3 else 1, clock=self._clock(now))

    def _service_action(self, service: Service, view: PublicView | None, language: Language,
                        kind: str) -> Action:
        info = view.services.get(service.id) if view is not None else None
        waiting = info.waiting if info is not None else 0
        minutes = info.wait_min if info is not None else None
        if minutes is None and info is not None and not info.open_counters:
            detail_zh, detail_en = f"等候 {waiting} 人 · 暂无开放窗口", f"{waiting} waiting · no counter open"
        elif info is None or minutes is None:
            detail_zh, detail_en = f"等候 {waiting} 人", f"{waiting} waiting"
        else:
            if not waiting and not info.estimate_min:
                minutes = 0  # nobody waits and nobody is being served: no wait at all
            wait_zh = f"约 {minutes} 分钟" if minutes else "无需等候"
            wait_en = f"about {minutes} min" if minutes else "no wait"
            detail_zh, detail_en = f"等候 {waiting} 人 · {wait_zh}", f"{waiting} waiting · {wait_en}"
        primary, secondary = pair(language, service.name.zh, service.name.en)
        detail = detail_zh if language == "zh" else detail_en
        prefix = "priority" if kind == "priority" else "service"
        style = "priority" if kind == "priority" or service.priority else "service"
        return Action(f"{prefix}:{service.id}", primary, secondary, detail, style=style)

    def appointment(self, code: str, language: Language, message: tuple[str, str] | None,
                    now: float | None) -> Screen:
        """The booking-code keypad (a barcode/QR scanner types into it too)."""
        keys = []
        for key in KEYPAD_KEYS:
            if key == "del":
                keys.append(Action("key:del", *pair(language, "删除", "Delete"), style="key"))
            elif key == "ok":
                keys.append(Action("key:ok", *pair(language, "确认", "OK"), style="confirm",
                                   enabled=len(code) >= MIN_CODE_CHARS))
            else:
                keys.append(Action(f"key:{key}", key, style="key"))
        body = [text(language, "请输入预约码或扫描预约二维码", "Type your booking code or scan its QR code",
                     "large")]
        if message is not None:
            body.append(text(language, message[0], message[1], "normal", "warn"))
        footer = (Action("home", *pair(language, "返回", "Back"), style="nav"),)
        return Screen("appointment", self._header(language), tuple(body), tuple(keys), footer,
                      entry=code, columns=3, clock=self._clock(now))

    def busy(self, language: Language) -> Screen:
        """While the broker is asked for a ticket."""
        return Screen("busy", self._header(language),
                      (text(language, "正在取号，请稍候…", "Issuing your number, please wait…", "large"),))

    def issued(self, ticket: IssuedTicket, language: Language, now: float | None = None) -> Screen:
        """The number very large, its service, people ahead and estimated wait."""
        service = self.hall.service(ticket.service)
        zh_name = service.name.zh if service else ticket.service
        en_name = service.name.en if service else ticket.service
        wait_zh, wait_en = wait_text(ticket.wait_min)
        body: list[Text] = []
        if not ticket.printed:
            body.append(text(language, "请记住您的号码", "Please remember your number", "large", "alert"))
        body += [
            Text(ticket.ticket, "", "huge", "accent"),
            text(language, zh_name, en_name, "large"),
            *self._category_line(ticket, language),
            text(language, f"您前面还有 {ticket.ahead} 人等候",
                 f"{ticket.ahead} {'person' if ticket.ahead == 1 else 'people'} ahead of you"),
            text(language, wait_zh, wait_en),
        ]
        if ticket.late:
            body.append(text(language, "您已超过预约时间，已按普通号排队",
                             "You arrived after your booked time and joined the normal queue",
                             "normal", "warn"))
        if ticket.beyond_closing:
            body.append(self._beyond_closing(ticket, language))
        if ticket.after_hours:
            body.append(text(language, "现在不在办公时间，可能无法当天办理",
                             "Outside opening hours: service may not happen today", "normal", "warn"))
        if not ticket.printed:
            body.append(text(language, "打印机故障，未能打印号票，工作人员已收到通知",
                             "The ticket could not be printed; staff have been told", "small", "warn"))
        body.append(text(language, "请留意叫号", "Please watch the display for your number",
                         "large", "accent"))
        footer = (Action("home", *pair(language, "完成", "Done"), style="nav"),)
        return Screen("remember" if not ticket.printed else "issued", self._header(language),
                      tuple(body), (), footer, clock=self._clock(now))

    def _category_line(self, ticket: IssuedTicket, language: Language) -> tuple[Text, ...]:
        names = category_names(self.hall, ticket.category)
        if names is None:
            return ()
        return (text(language, f"{MARK} 优先：{names[0]}", f"{MARK} Priority: {names[1]}",
                     "large", "accent"),)

    def _beyond_closing(self, ticket: IssuedTicket, language: Language) -> Text:
        """The broker's 延时服务 warning, with the expected time it sent."""
        expected = ("-" if ticket.expected_at is None
                    else local_time(self.hall, ticket.expected_at).strftime("%H:%M"))
        zh, en = messages.both("kiosk.beyond_closing", {"expected": expected})
        return text(language, zh, en, "normal", "warn")

    def paused(self, language: Language, pending: bool) -> Screen:
        """The broker cannot be reached: no ticket is issued or printed."""
        body = [Text("暂停取号", "Ticketing paused", "huge", "alert"),
                text(language, "系统正在恢复连接，请稍候或咨询工作人员",
                     "Reconnecting to the queue system; please wait or ask a member of staff")]
        footer: tuple[Action, ...] = ()
        if pending:
            body.append(text(language, "您的取号请求尚未完成，恢复后将自动完成，不会重复取号",
                             "Your request is not finished yet; it completes once the system is "
                             "back, without a second number", "normal", "warn"))
            footer = (Action("retry", *pair(language, "重试", "Try again"), style="nav"),
                      Action("cancel", *pair(language, "取消", "Cancel"), style="nav"))
        return Screen("paused", self._header(language), tuple(body), (), footer)

    def closed(self, language: Language, now: float | None, ticketing: TicketingView) -> Screen:
        """Ticketing closed (outside hours, policy ``refuse``): when it opens again.

        Args:
            language: the language shown large.
            now: the broker's time (None while unknown).
            ticketing: the view's ``ticketing`` (its ``opens_at``).
        """
        if ticketing.code is not None:
            return self._paused_ticketing(language, now, ticketing.code)
        zh, en = opening_words(self.hall, now, ticketing.opens_at)
        body = (Text("暂停取号" if language == "zh" else "Ticketing closed",
                     "Ticketing closed" if language == "zh" else "暂停取号", "huge", "alert"),
                (text(language, "今日休息", "Closed today", "large") if ticketing.closed_today
                 else text(language, "现在不在取号时间", "Tickets are not issued at this time",
                           "large")),
                text(language, f"下次开始取号：{zh}", f"Ticketing opens {en}", "large", "accent"),
                *(text(language, n.zh, n.en, "small") for n in self.hall.notices[:1]))
        return Screen("closed", self._header(language), body,
                      (), (self._lang_action(language),), clock=self._clock(now))

    def _paused_ticketing(self, language: Language, now: float | None, code: str) -> Screen:
        """The hall manager paused ticketing (view ``ticketing.code``): no opening time to
        promise, only the catalogue's words for the code and the hall's first notice."""
        zh, en = messages.both(f"ticketing.{code}")
        body = (Text("暂停取号" if language == "zh" else "Ticketing paused",
                     "Ticketing paused" if language == "zh" else "暂停取号", "huge", "alert"),
                text(language, zh, en, "large", "accent"),
                text(language, "如有需要，请咨询工作人员", "Please ask a member of staff if you "
                     "need help", "normal"),
                *(text(language, n.zh, n.en, "small") for n in self.hall.notices[:1]))
        return Screen("closed", self._header(language), body,
                      (), (self._lang_action(language),), clock=self._clock(now))

    def notice(self, language: Language, zh: str, en: str, now: float | None = None) -> Screen:
        """A refusal or problem explained; back to home after the idle timeout or a touch."""
        return Screen("notice", self._header(language), (text(language, zh, en, "large", "warn"),),
                      (), (Action("home", *pair(language, "返回", "Back"), style="nav"),),
                      clock=self._clock(now))


def offered_services(hall: Hall, node: KioskNode) -> tuple[Service, ...]:
    """The services this kiosk shows as buttons, in order.

    The node's list when given (ids not in the hall are skipped here; the app
    refuses to start on them), otherwise every service with ``kiosk = true``.
    Priority services are left out when the node offers no priority tickets.
    """
    if node.services:
        chosen = [s for s in (hall.service(i) for i in node.services) if s is not None]
    else:
        chosen = [s for s in hall.services if s.kiosk]
    if not node.priority:
        chosen = [s for s in chosen if not s.priority]
    return tuple(chosen)
