"""The typed hall configuration: the single source of every default and type.

A hall is described by one TOML file. Each table maps to one frozen model
below; ``extra="forbid"`` makes a misspelt key an error instead of a silently
ignored setting, and the loader (``config.load``) turns every validation
problem into a readable line with a fix hint.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from config.base import Bilingual, ConfigModel, InconsistentHallError, Loc, Word
from config.caller_node import CallerNode
from config.display_node import DisplayNode
# WEEKDAYS, Period and SpecialDay are read from here too: the hall schema is one import.
from config.hours_table import WEEKDAYS, Hours, Period, SpecialDay  # noqa: F401
from config.kiosk_node import KioskNode
from config.priority import PriorityCategory, category_problems
from config.journal import JournalSettings
from config.security import Security

_Model = ConfigModel

MAX_NAME_ZH = 32
"""Longest Chinese name (hall, service, counter): a kiosk button, the display header and
an 80 mm ticket line (48 half-width cells) still hold it in one or two lines."""
MAX_NAME_EN = 64
"""Longest English name, for the same places."""
MAX_NOTICES = 20
"""Notices the display's ticker cycles through; more would take minutes to come round."""


def _short_name(name: object) -> object:
    # Before Bilingual's own checks, so a long name is measured against a name's limit
    # rather than a notice's.
    problems: list[tuple[Loc, str]] = []
    for language, most in (("zh", MAX_NAME_ZH), ("en", MAX_NAME_EN)):
        text = name.get(language) if isinstance(name, dict) else getattr(name, language, None)
        if isinstance(text, str) and len(text) > most:
            problems.append(((language,), f"a name has at most {most} characters here, not "
                             f"{len(text)}; shorten it: a kiosk button, the display and the "
                             "ticket must show it whole"))
    if problems:
        raise InconsistentHallError(problems)
    return name


Name = Annotated[Bilingual, BeforeValidator(_short_name)]
"""The name of the hall, a service or a counter: a ``Bilingual`` short enough to show."""



class Service(_Model):
    """A kind of business (业务) with its own ticket prefix."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
    prefix: Annotated[str, Field(pattern=r"^[A-Z]$")]
    name: Name
    spoken_name: Name | None = None
    """How the voice says the service, when it differs from the shown name."""
    priority: bool = False
    """Every ticket of this service counts as a priority ticket (优先办理)."""
    expected_minutes: Annotated[float, Field(gt=0, le=240)] = 8.0
    """Prior for the mean service time, until real service times are measured."""
    kiosk: bool = True
    """Offered as a button on the kiosks."""
    walkin_service: str | None = None
    """Where a late appointment check-in of this service queues (default: this service);
    an appointment-only service names its walk-in counterpart."""
    time_limit_minutes: Annotated[float, Field(gt=0, le=480)] | None = None
    """The longest one transaction of this service should take (办理时限, e.g. cashier 5);
    past it the broker raises the counter's sticky ``time_limit`` alert. None: no limit."""


class Counter(_Model):
    """A numbered window (窗口) and the services it serves, in preference order."""

    number: Annotated[int, Field(ge=1, le=999)]
    name: Name | None = None
    spoken_name: Name | None = None
    """How the voice says the counter (e.g. "五号窗口" for "5号窗口（优先窗口）"); without it
    the voice says its name without the brackets' content, else "N号窗口" / "Counter N"."""
    services: Annotated[tuple[str, ...], Field(min_length=1)]
    opens: Literal["open", "closed"] = "open"
    """State of the counter at the start of each day."""
    priority_window: bool = False
    """A priority window (优先窗口): every waiting priority ticket of its services is called
    before anyone else; other tickets only when none waits (no anti-starvation bound)."""


class Policies(_Model):
    """How the queue rules behave; every number has a sensible default."""

    recall_cap: Annotated[int, Field(ge=0, le=10)] = 2
    """Recalls allowed after the first call; one more makes the ticket a no-show."""
    no_show_grace_minutes: Annotated[float, Field(ge=0, le=480)] = 30.0
    requeue_offset: Annotated[int, Field(ge=0, le=100)] = 3
    """A revived no-show goes back behind this many waiting tickets."""
    priority_burst: Annotated[int, Field(ge=1, le=20)] = 2
    """At most this many priority calls in a row at a counter while normal tickets starve."""
    starvation_minutes: Annotated[float, Field(ge=0, le=480)] = 15.0
    """A normal ticket waiting longer than this counts as starving."""
    appointment_early_minutes: Annotated[float, Field(ge=0, le=480)] = 30.0
    appointment_late_minutes: Annotated[float, Field(ge=0, le=480)] = 15.0
    queue_alert_waiting: Annotated[int, Field(ge=1, le=10000)] = 10
    wait_alert_minutes: Annotated[float, Field(gt=0, le=1440)] = 30.0
    wait_target_minutes: Annotated[float, Field(gt=0, le=1440)] = 15.0
    """The hall's promised wait: reports count the share of visitors called within it."""
    after_hours: Literal["refuse", "issue_with_warning"] = "refuse"
    beyond_closing: Literal["warn", "refuse", "appointment"] = "warn"
    """A ticket expected after today's last period (延时服务): issue it with the expected
    time ("warn"), refuse it ("refuse") or refuse it telling the visitor to book
    ("appointment")."""
    rating_scale: Literal[3, 5] = 5
    """5: the national 好差评 levels 非常满意 … 非常不满意; 3: 满意 / 基本满意 / 不满意."""
    rating_window_seconds: Annotated[float, Field(ge=0, le=3600)] = 60.0
    """Ratings are accepted while serving and this long after finishing."""
    case_due_working_days: Annotated[int, Field(ge=1, le=60)] = 5
    """A 差评 case is due by the end of this many working days (hall calendar) after the rating."""
    service_time_window: Annotated[int, Field(ge=1, le=500)] = 20
    """How many recent service times the rolling estimate uses."""


class Broker(_Model):
    """Where the broker listens and nodes connect."""

    host: Word = "127.0.0.1"
    """Address nodes connect to."""
    bind: Word = "0.0.0.0"
    """Interface the broker binds; 127.0.0.1 keeps it local."""
    command_port: Annotated[int, Field(ge=1, le=65535)] = 5555
    event_port: Annotated[int, Field(ge=1, le=65535)] = 5556
    clock_jump_s: Annotated[float, Field(ge=10, le=86400)] = 120.0
    """A wall clock further than this (seconds) from the broker's time, which runs with the
    monotonic clock, has jumped: logged, alerted (``clock_jump``) and not followed."""
    clock_confirm_s: Annotated[float, Field(ge=0, le=86400)] = 300.0
    """A jumped wall clock that keeps its new time this long (seconds) is believed."""

    def command_endpoint(self) -> str:
        """The endpoint a node's request client connects to."""
        return f"tcp://{self.host}:{self.command_port}"

    def event_endpoint(self) -> str:
        """The endpoint a node's subscriber connects to."""
        return f"tcp://{self.host}:{self.event_port}"


class Hall(_Model):
    """The whole hall: the root of the TOML file."""

    name: Name
    hours: Hours = Hours()
    notices: Annotated[tuple[Bilingual, ...], Field(max_length=MAX_NOTICES)] = ()
    services: Annotated[tuple[Service, ...], Field(min_length=1)]
    counters: Annotated[tuple[Counter, ...], Field(min_length=1)]
    policies: Policies = Policies()
    broker: Broker = Broker()
    displays: tuple[DisplayNode, ...] = ()
    kiosks: tuple[KioskNode, ...] = ()
    callers: tuple[CallerNode, ...] = ()
    security: Security = Security()
    journal: JournalSettings = JournalSettings()
    priority_categories: tuple[PriorityCategory, ...] = ()
    """Kinds of priority visitors, by rank; empty = one undivided priority class."""

    @model_validator(mode="after")
    def _consistent(self) -> Hall:
        problems = [*_service_problems(self), *_counter_problems(self), *_kiosk_problems(self),
                    *_caller_problems(self), *_display_problems(self),
                    *_unserved_problems(self), *category_problems(self.priority_categories),
                    *_walkin_problems(self)]
        if self.broker.command_port == self.broker.event_port:
            problems.append((
                ("broker", "event_port"),
                "broker.command_port and broker.event_port must differ",
            ))
        if problems:
            raise InconsistentHallError(problems)
        return self

    def service(self, service_id: str) -> Service | None:
        """The service with this id, or None."""
        for service in self.services:
            if service.id == service_id:
                return service
        return None

    def priority_category(self, category_id: str) -> PriorityCategory | None:
        """The priority category with this id, or None."""
        for category in self.priority_categories:
            if category.id == category_id:
                return category
        return None

    def counter(self, number: int) -> Counter | None:
        """The counter with this number, or None."""
        for counter in self.counters:
            if counter.number == number:
                return counter
        return None


# --- cross-references between the tables of a hall (each list in file order) -----------------

_Problems = list[tuple[Loc, str]]


def _service_problems(hall: Hall) -> _Problems:
    problems: _Problems = []
    seen_ids: set[str] = set()
    seen_prefixes: dict[str, str] = {}
    for index, service in enumerate(hall.services):
        if service.id in seen_ids:
            problems.append((
                ("services", index, "id"),
                f"service id {service.id!r} is used twice; give each service its own id",
            ))
        seen_ids.add(service.id)
        if service.prefix in seen_prefixes:
            problems.append((
                ("services", index, "prefix"),
                f"prefix {service.prefix!r} is used by {seen_prefixes[service.prefix]!r} and "
                f"{service.id!r}; ticket numbers would collide, pick another letter",
            ))
        else:
            seen_prefixes[service.prefix] = service.id
    return problems


def _walkin_problems(hall: Hall) -> _Problems:
    known = sorted({service.id for service in hall.services})
    unserved = set(unserved_services(hall))
    problems: _Problems = []
    for index, service in enumerate(hall.services):
        line = service.walkin_service
        if line is None:
            continue
        if line not in known:
            problems.append((("services", index, "walkin_service"),
                             f"walkin_service {line!r} of service {service.id!r} is not a "
                             "service of this hall" + _unknown_service_hint(line, known)))
        elif line in unserved:
            problems.append((("services", index, "walkin_service"),
                             f"late check-ins of service {service.id!r} would join {line!r}, "
                             "which no counter serves: they would never be called; add it to "
                             "the services of a [[counters]] table"))
    return problems


def _unknown_service_hint(service_id: str, known: list[str]) -> str:
    hint = _closest(service_id, known)
    return f"; did you mean {hint!r}?" if hint else f"; known services: {', '.join(known)}"


def _counter_problems(hall: Hall) -> _Problems:
    problems: _Problems = []
    known = sorted({service.id for service in hall.services})
    numbers: set[int] = set()
    for index, counter in enumerate(hall.counters):
        if counter.number in numbers:
            problems.append((
                ("counters", index, "number"),
                f"counter number {counter.number} is used twice; give each counter its own number",
            ))
        numbers.add(counter.number)
        for position, service_id in enumerate(counter.services):
            if service_id not in known:
                problems.append((
                    ("counters", index, "services", position),
                    f"counter {counter.number} serves unknown service {service_id!r}"
                    + _unknown_service_hint(service_id, known),
                ))
    return problems


def _kiosk_problems(hall: Hall) -> _Problems:
    problems: _Problems = []
    known = sorted({service.id for service in hall.services})
    for index, kiosk in enumerate(hall.kiosks):
        named = [(("kiosks", index, "services", i), sid) for i, sid in enumerate(kiosk.services)]
        if kiosk.priority_service is not None:
            named.append((("kiosks", index, "priority_service"), kiosk.priority_service))
        for loc, service_id in named:
            if service_id not in known:
                problems.append((loc, f"kiosk {kiosk.id} offers unknown service {service_id!r}"
                                 + _unknown_service_hint(service_id, known)))
    return problems


def _not_a_counter(numbers: set[int]) -> str:
    return f"which is not in [[counters]] ({', '.join(map(str, sorted(numbers)))})"


def _caller_problems(hall: Hall) -> _Problems:
    problems: _Problems = []
    known = sorted({service.id for service in hall.services})
    numbers = {counter.number for counter in hall.counters}
    for index, caller in enumerate(hall.callers):
        for position, number in enumerate(caller.counters):
            if number not in numbers:
                problems.append((("callers", index, "counters", position),
                                 f"caller {caller.id} is for counter {number}, "
                                 + _not_a_counter(numbers)))
        for position, service_id in enumerate(caller.transfer.services):
            if service_id not in known:
                hint = _closest(service_id, known)
                problems.append((("callers", index, "transfer", "services", position),
                                 f"caller {caller.id} transfers to unknown service "
                                 f"{service_id!r}" + (f"; did you mean {hint!r}?" if hint
                                                      else "")))
        fitted = len(caller.rating.buttons)
        if fitted and fitted != hall.policies.rating_scale:
            problems.append((("callers", index, "rating", "buttons"),
                             f"caller {caller.id} has {fitted} rating buttons but "
                             f"policies.rating_scale is {hall.policies.rating_scale}; "
                             "fit one button per level"))
    return problems


def _display_problems(hall: Hall) -> _Problems:
    problems: _Problems = []
    numbers = {counter.number for counter in hall.counters}
    for index, display in enumerate(hall.displays):
        for position, number in enumerate(display.counters):
            if number not in numbers:
                problems.append((("displays", index, "counters", position),
                                 f"display {display.id} shows counter {number}, "
                                 + _not_a_counter(numbers)))
    return problems


def unserved_services(hall: Hall) -> tuple[str, ...]:
    """Ids of the services no counter lists, in file order.

    Such a service is an error where a kiosk offers it or a caller transfers to it (a
    visitor would hold a number nobody calls); otherwise the loader only warns: a hall
    may keep a seasonal service in its file while no window serves it.
    """
    served = {service_id for counter in hall.counters for service_id in counter.services}
    return tuple(service.id for service in hall.services if service.id not in served)


def _unserved_problems(hall: Hall) -> _Problems:
    unserved = set(unserved_services(hall))
    if not unserved:
        return []
    hint = "; add it to the services of a [[counters]] table, or stop offering it"
    # Dict: kiosks offering every kiosk service would each report the same key.
    problems: dict[Loc, str] = {}
    for index, kiosk in enumerate(hall.kiosks):
        if kiosk.services:
            offered = [(("kiosks", index, "services", i), sid) for i, sid in enumerate(kiosk.services)]
        else:
            offered = [(("services", i, "kiosk"), s.id) for i, s in enumerate(hall.services)
                       if s.kiosk]
        if kiosk.priority and kiosk.priority_service is not None:
            offered.append((("kiosks", index, "priority_service"), kiosk.priority_service))
        for loc, sid in offered:
            if sid in unserved:
                problems.setdefault(loc, f"kiosk {kiosk.id} offers service {sid!r}, which no "
                                         "counter serves: its tickets would never be called"
                                    + hint)
    for index, caller in enumerate(hall.callers):
        for i, sid in enumerate(caller.transfer.services):
            if sid in unserved:
                problems[("callers", index, "transfer", "services", i)] = (
                    f"caller {caller.id} transfers to service {sid!r}, which no counter "
                    "serves: the visitor would never be called" + hint)
    return list(problems.items())


def _closest(word: str, choices: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return found[0] if found else None
