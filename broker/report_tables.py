"""A period report as bilingual tables: the one layout CSV, XLSX, HTML and the terminal share.

Cells hold raw values (``int``, ``float``, ``str`` or ``None`` for "no data"); each column says
how its values read (``Column.kind``), and each output formats them its own way: plain numbers
in CSV, number formats in XLSX, rounded text on the HTML page and in the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from broker.report_facts import Fact
from broker.report_period import ALL, SCOPE_KINDS, PeriodFigures, PeriodReport, period_label
from broker.report_render import category_label, counter_label, service_label
from config import hours, rating
from config.schema import Hall

__all__ = ["FIGURE_COLUMNS", "LEVEL_NAMES", "REASON_NAMES", "SCOPE_NAMES", "Column", "Table", "figures_table",
           "format_cell", "hourly_table", "out_of_order_table", "report_tables", "scope_name"]


@dataclass(frozen=True)
class Column:
    """One column: its key, its Chinese and English header, and what its values are.

    ``kind`` is ``text``, ``int``, ``min`` (minutes), ``share`` (a fraction 0..1) or ``hour``.
    """

    key: str
    zh: str
    en: str
    kind: str = "int"

    @property
    def header(self) -> str:
        """The bilingual header, ``取号 Issued``."""
        return f"{self.zh} {self.en}"


@dataclass(frozen=True)
class Table:
    """A titled table: its sheet name, bilingual title, columns and rows of raw cells."""

    name: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    rows: list[list[Any]]


LEVEL_NAMES: dict[str, tuple[str, str]] = {
    "very_satisfied": ("非常满意", "Very satisfied"),
    "satisfied": ("满意", "Satisfied"),
    "basically_satisfied": ("基本满意", "Basically satisfied"),
    "dissatisfied": ("不满意", "Dissatisfied"),
    "very_dissatisfied": ("非常不满意", "Very dissatisfied"),
}

_REASON_WORDS = {"attitude": ("态度", "Attitude"), "efficiency": ("效率", "Efficiency"),
                 "competence": ("业务", "Competence"), "environment": ("环境", "Environment"),
                 "other": ("其他", "Other")}
REASON_NAMES: dict[str, tuple[str, str]] = {
    code: _REASON_WORDS.get(code, (code, code)) for code in rating.REASONS}
"""The GB/T 39734 reason categories of a negative rating, in the pads' order."""

SCOPE_NAMES: dict[str, tuple[str, str]] = {
    "total": ("合计", "Total"), "service": ("业务", "Service"), "counter": ("窗口", "Counter"),
    "staff": ("工号", "Clerk"), "class": ("类别", "Class"), "category": ("优先类别", "Category"),
}

_KEYS = (Column("period", "周期", "Period", "text"), Column("scope", "范围", "Scope", "text"),
         Column("id", "编号", "Id", "text"), Column("name", "名称", "Name", "text"))

FIGURE_COLUMNS: tuple[Column, ...] = (
    Column("issued", "取号", "Issued"), Column("called", "叫号", "Called"),
    Column("served", "办结", "Served"), Column("no_show", "过号", "No-shows"),
    Column("wait_mean_min", "等候均值(分)", "Wait mean (min)", "min"),
    Column("wait_p50_min", "等候P50(分)", "Wait p50 (min)", "min"),
    Column("wait_p90_min", "等候P90(分)", "Wait p90 (min)", "min"),
    Column("wait_within_target", "等候达标率", "Within wait target", "share"),
    Column("service_mean_min", "办理均值(分)", "Service mean (min)", "min"),
    Column("service_p90_min", "办理P90(分)", "Service p90 (min)", "min"),
    Column("within_limit", "时限达标率", "Within time limit", "share"),
    Column("out_of_order", "插号", "Out-of-order calls"),
    Column("paused_min", "暂停(分)", "Paused (min)", "min"),
    Column("peak_hour", "高峰时段", "Peak hour", "hour"),
    Column("ratings", "评价数", "Ratings"),
    *(Column(f"level_{lv}", zh, en) for lv, (zh, en) in LEVEL_NAMES.items()),
    Column("satisfied_share", "满意率", "Satisfaction", "share"),
    Column("negative", "差评", "Negative"),
    *(Column(f"reason_{r}", f"差评·{zh}", f"Negative: {en.lower()}")
      for r, (zh, en) in REASON_NAMES.items()),
    Column("cases_opened", "差评工单", "Cases opened"),
    Column("cases_in_time", "按时办结", "Closed in time"),
    Column("cases_overdue", "超期", "Overdue"),
)


def scope_name(hall: Hall, kind: str, scope: str) -> str:
    """How a scope is named for people: the service's or counter's names, the clerk's number."""
    if kind == "total":
        return "合计 Total"
    if kind == "service":
        return service_label(hall, scope)
    if kind == "counter" and scope.isdigit():
        return counter_label(hall, int(scope))
    if kind == "class":
        return "优先 Priority" if scope == "priority" else "普通 Normal"
    if kind == "category":
        return category_label(hall, scope)
    return f"工号 {scope}" if kind == "staff" else scope


def _values(figures: PeriodFigures) -> list[Any]:
    cells: list[Any] = []
    for column in FIGURE_COLUMNS:
        if column.key.startswith("level_"):
            cells.append(figures.levels.get(column.key[len("level_"):], 0))
        elif column.key.startswith("reason_"):
            cells.append(figures.reasons.get(column.key[len("reason_"):], 0))
        elif column.key == "paused_min":
            cells.append(figures.paused_min or None)
        else:
            cells.append(getattr(figures, column.key))
    return cells


def figures_table(hall: Hall, report: PeriodReport) -> Table:
    """Every figure of every scope, period by period, then the whole range."""
    rows: list[list[Any]] = []
    for period in [*report.periods, ALL]:
        for kind in SCOPE_KINDS:
            for scope in ([""] if kind == "total" else report.scopes(kind)):
                figures = report.get(period, kind, scope)
                if figures is None:
                    continue
                zh, en = SCOPE_NAMES[kind]
                rows.append([period_label(period, report.by), f"{zh} {en}", scope,
                             scope_name(hall, kind, scope), *_values(figures)])
    return Table("figures", "指标", "Figures", (*_KEYS, *FIGURE_COLUMNS), rows)


def hourly_table(report: PeriodReport) -> Table:
    """Tickets issued per hall-local hour, per period and in the whole range."""
    total = report.get(ALL, "total")
    hours_seen = sorted(total.arrivals_by_hour) if total is not None else []
    columns = (_KEYS[0], Column("days", "天数", "Days"),
               *(Column(f"h{h:02d}", f"{h:02d}时", f"{h:02d}:00") for h in hours_seen))
    rows = []
    for period in [*report.periods, ALL]:
        figures = report.get(period, "total")
        if figures is not None:
            rows.append([period_label(period, report.by), figures.days,
                         *(figures.arrivals_by_hour.get(h, 0) for h in hours_seen)])
    return Table("hourly", "分时取号", "Arrivals per hour", columns, rows)


def out_of_order_table(hall: Hall, calls: list[Fact]) -> Table:
    """The audited out-of-order calls (插号) with their reasons."""
    columns = (Column("day", "日期", "Day", "text"), Column("time", "时间", "Time", "text"),
               Column("ticket", "票号", "Ticket", "text"), Column("counter", "窗口", "Counter"),
               Column("service", "业务", "Service", "text"),
               Column("staff", "工号", "Clerk", "text"),
               Column("reason", "原因", "Reason", "text"), Column("node", "操作端", "Node", "text"))
    rows = [[call.day, hours.local(hall, call.at).strftime("%H:%M:%S"),
             (call.ticket or "").rsplit("/", 1)[-1], call.counter,
             service_label(hall, call.service) if call.service else None, call.staff,
             call.reason, call.node] for call in calls]
    return Table("out_of_order", "插号审计", "Out-of-order calls", columns, rows)


def report_tables(hall: Hall, report: PeriodReport) -> list[Table]:
    """The tables of a period report, in the order outputs show them."""
    return [figures_table(hall, report), hourly_table(report),
            out_of_order_table(hall, report.out_of_order)]


def format_cell(column: Column, value: Any) -> str:
    """A cell as people read it: ``—`` for no data, minutes to one decimal, shares in %."""
    if value is None:
        return "—"
    if column.kind == "share":
        return f"{float(value) * 100:.1f}%"
    if column.kind == "min":
        return f"{float(value):.1f}"
    if column.kind == "hour":
        return f"{int(value):02d}:00"
    return str(value)
