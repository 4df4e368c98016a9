"""A day's figures for people: the bilingual text tables staff read, and CSV for spreadsheets."""

from __future__ import annotations

import csv
import os
from dataclasses import fields
from typing import Sequence

from broker.report_figures import Figures, Report, ReportError
from config.schema import Hall
from foundation.text import pad, width

__all__ = ["CSV_COLUMNS", "category_label", "counter_label", "format_report", "service_label",
           "write_csv"]


# (field, zh, en) of the two tables: what happened, and how long it took.
_COUNT_COLUMNS = (
    ("issued", "取号", "Issued"),
    ("called", "叫号", "Called"),
    ("finished", "办结", "Done"),
    ("no_show", "过号", "No-show"),
    ("no_show_rate", "过号率", "NS rate"),
    ("ratings", "评价", "Ratings"),
    ("rating_mean", "均分", "Score"),
    ("negative_ratings", "差评", "Negative"),
    ("out_of_order", "插号", "Out-of-order"),
)
_TIME_COLUMNS = (
    ("wait_mean_min", "等候均值", "Wait avg"),
    ("wait_p90_min", "等候P90", "Wait p90"),
    ("walk_mean_min", "到窗均值", "Walk avg"),
    ("service_mean_min", "办理均值", "Service avg"),
    ("service_p90_min", "办理P90", "Service p90"),
)


def _cell(name: str, value: object) -> str:
    if value is None:
        return "-"
    if name == "no_show_rate" and isinstance(value, float):
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def service_label(hall: Hall, service_id: str) -> str:
    """``A 综合业务 General``: prefix and names of a service (its id if no longer configured)."""
    service = hall.service(service_id)
    if service is None:
        return service_id
    return f"{service.prefix} {service.name.zh} {service.name.en}"


def category_label(hall: Hall, category_id: str) -> str:
    """``优先 老年人 Elderly``: the names of a priority category."""
    category = hall.priority_category(category_id)
    if category is None:
        return f"优先 Priority {category_id}"
    return f"优先 {category.name.zh} {category.name.en}"


def counter_label(hall: Hall, number: int) -> str:
    """The counter's configured names, else ``3号窗口 Counter 3``."""
    counter = hall.counter(number)
    if counter is not None and counter.name is not None:
        return f"{number} {counter.name.zh} {counter.name.en}"
    return f"{number}号窗口 Counter {number}"


def _table(columns: Sequence[tuple[str, str, str]],
           groups: Sequence[Sequence[tuple[str, Figures]]]) -> list[str]:
    """Rows of figures under a two-line (zh, en) header; a rule between groups."""
    header_zh = ["", *(zh for _, zh, _ in columns)]
    header_en = ["", *(en for _, _, en in columns)]
    bodies = [[[label, *(_cell(name, getattr(figures, name)) for name, _, _ in columns)]
               for label, figures in group] for group in groups]
    rows = [header_zh, header_en, *(row for body in bodies for row in body)]
    widths = [max(width(row[i]) for row in rows) for i in range(len(header_zh))]

    def line(row: list[str]) -> str:
        cells = [pad(row[0], widths[0])]
        cells += [pad(text, columns, right=True) for text, columns in zip(row[1:], widths[1:])]
        return "  " + "  ".join(cells).rstrip()

    rule = "  " + "-" * (sum(widths) + 2 * (len(widths) - 1))
    out = [line(header_zh), line(header_en)]
    for body in bodies:
        out.append(rule)
        out.extend(line(row) for row in body)
    return out


def format_report(hall: Hall, report: Report) -> str:
    """Render a report as the bilingual text tables staff read.

    Totals come first, then each service, then each counter, then each priority
    category that issued tickets. Counts are
    whole numbers, times are minutes with one decimal, ``-`` marks a figure
    with no data (e.g. no waits measured).

    Args:
        hall: the hall's configuration (for the service and hall names).
        report: the report from ``build_report``.

    Returns:
        The text, without a trailing newline.
    """
    groups = [
        [("合计 Total", report.total)],
        [(service_label(hall, sid), fig) for sid, fig in report.per_service.items()],
        [(counter_label(hall, num), fig) for num, fig in report.per_counter.items()],
    ]
    if report.per_category:
        groups.append([(category_label(hall, cid), fig)
                       for cid, fig in report.per_category.items()])
    lines = [f"{hall.name.zh} / {hall.name.en} — 日报 Daily report {report.day}", "",
             "数量 Counts", *_table(_COUNT_COLUMNS, groups), "",
             "时间（分钟） Times (minutes)", *_table(_TIME_COLUMNS, groups), "",
             "P90: 最近秩第90百分位 / nearest-rank 90th percentile; "
             "过号率 No-show rate = 过号 No-shows ÷ 叫号 Called", "",
             f"插号审计 Out-of-order calls: {len(report.out_of_order)}"]
    for call in report.out_of_order:
        lines.append(f"  {call['time']}  {call['ticket']} -> {call['counter']}号窗口 "
                     f"counter {call['counter']}  [{call['node']}]  {call['reason'] or '-'}")
    return "\n".join(lines)


# --- CSV ---------------------------------------------------------------------------------------

CSV_COLUMNS: tuple[str, ...] = ("day", "scope", *(f.name for f in fields(Figures)))
"""The CSV header: the day, the scope, then one column per ``Figures`` field."""


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def write_csv(report: Report, path: str | os.PathLike[str]) -> None:
    """Write the report as CSV: one row per scope, one column per figure.

    Scopes are ``total``, ``service:<id>``, ``counter:<number>`` and
    ``category:<id>`` (priority categories that issued tickets). Times are
    minutes and the no-show rate a fraction, with three decimals; an empty
    cell means no data (or, for a counter's ``issued``, not applicable).

    Args:
        report: the report from ``build_report``.
        path: the file to (over)write, UTF-8.

    Raises:
        ReportError: the file cannot be written.
    """
    scopes: list[tuple[str, Figures]] = [("total", report.total)]
    scopes += [(f"service:{sid}", fig) for sid, fig in report.per_service.items()]
    scopes += [(f"counter:{num}", fig) for num, fig in report.per_counter.items()]
    scopes += [(f"category:{cid}", fig) for cid, fig in report.per_category.items()]
    try:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for scope, figures in scopes:
                writer.writerow([report.day, scope,
                                 *(_csv_value(getattr(figures, f.name)) for f in fields(Figures))])
    except OSError as err:
        raise ReportError(f"cannot write the CSV file {os.fspath(path)}: {err}") from err
