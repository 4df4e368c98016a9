"""A period report as the bilingual text tables staff read in a terminal (pure)."""

from __future__ import annotations

from typing import Any, Sequence

from broker.report_period import ALL, SCOPE_KINDS, PeriodReport, period_label
from broker.report_tables import FIGURE_COLUMNS, SCOPE_NAMES, Column, format_cell, scope_name
from config.schema import Hall
from foundation.text import pad, width

__all__ = ["TERMINAL_COLUMNS", "format_period_report"]

TERMINAL_COLUMNS: tuple[str, ...] = (
    "issued", "called", "served", "no_show", "wait_mean_min", "wait_p50_min", "wait_p90_min",
    "wait_within_target", "service_mean_min", "within_limit", "satisfied_share", "negative")
"""The figures a terminal has room for; CSV, XLSX and HTML have the others."""

_BY = {"day": "日 day", "week": "周 week (Mon–Sun)", "month": "月 month"}


def _text_table(columns: Sequence[Column], rows: list[list[Any]]) -> list[str]:
    """Rows under a two-line (zh, en) header; the first column left-aligned, numbers right."""
    cells = [[c.zh for c in columns], [c.en for c in columns],
             *([format_cell(c, v) for c, v in zip(columns, row)] for row in rows)]
    widths = [max(width(row[i]) for row in cells) for i in range(len(columns))]
    lines = []
    for index, row in enumerate(cells):
        text = [pad(row[0], widths[0])] + [pad(t, w, right=True)
                                           for t, w in zip(row[1:], widths[1:])]
        lines.append("  " + "  ".join(text).rstrip())
        if index == 1:
            lines.append("  " + "-" * (sum(widths) + 2 * (len(widths) - 1)))
    return lines


def format_period_report(hall: Hall, report: PeriodReport) -> str:
    """The totals period by period, then every service, counter, clerk, class and category
    over the whole range; the out-of-order count. Without a trailing newline."""
    chosen = [c for key in TERMINAL_COLUMNS for c in FIGURE_COLUMNS if c.key == key]
    lines = [f"{hall.name.zh} / {hall.name.en} — 服务报表 Service report "
             f"{report.start} … {report.end}, {_BY.get(report.by, report.by)}"]
    for kind in SCOPE_KINDS:
        zh, en = SCOPE_NAMES[kind]
        if kind == "total":
            keys = [(p, "") for p in [*report.periods, ALL]]
            first = Column("period", "周期", "Period", "text")
        else:
            keys = [(ALL, s) for s in report.scopes(kind)]
            first = Column("name", zh, en, "text")
        rows = []
        for period, scope in keys:
            figures = report.get(period, kind, scope)
            if figures is not None:
                label = (period_label(period, report.by) if kind == "total"
                         else scope_name(hall, kind, scope))
                rows.append([label, *(getattr(figures, c.key) for c in chosen)])
        if rows:
            lines += ["", f"{zh} {en}", *_text_table([first, *chosen], rows)]
    lines += ["", f"等候达标：{report.wait_target_min:g} 分钟内叫号 / within target: called "
              f"within {report.wait_target_min:g} min; 满意率 = (满意 + 非常满意) ÷ 评价 ratings; "
              "— = 无数据 no data",
              f"插号审计 Out-of-order calls: {len(report.out_of_order)}"]
    return "\n".join(lines)
