"""A period report as one self-contained HTML page with charts (pygal SVG, inlined).

The page fetches nothing: the charts are SVG written into the page (pygal's tooltip script,
which it would load from the network, is switched off), the style sheet is inline, and it
prints on A4 (charts and tables are not split across pages). Headings are Chinese first,
then English. Three charts a manager reads at a glance: arrivals per hour, waits per service,
and 满意率 per counter period by period.
"""

from __future__ import annotations

import html
import math
import os
from typing import Any, Sequence

from broker.report_figures import ReportError
from broker.report_period import ALL, SCOPE_KINDS, PeriodReport, period_label
from broker.report_tables import (FIGURE_COLUMNS, LEVEL_NAMES, REASON_NAMES, SCOPE_NAMES, Column,
                                  Table, format_cell, hourly_table, out_of_order_table,
                                  scope_name)
from config.schema import Hall

__all__ = ["SUMMARY_COLUMNS", "render_html", "write_html"]

_BY_NAMES = {"day": ("按日", "by day"), "week": ("按周", "by week"), "month": ("按月", "by month")}
_MAX_SERIES = 8
"""More periods than this in the hourly chart would be unreadable: it shows the range's mean."""
_FONT = "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif"

SUMMARY_COLUMNS: tuple[str, ...] = (
    "issued", "called", "served", "no_show", "wait_mean_min", "wait_p50_min", "wait_p90_min",
    "wait_within_target", "service_mean_min", "within_limit", "out_of_order", "paused_min",
    "ratings", "satisfied_share", "negative", "cases_opened", "cases_in_time", "cases_overdue")
"""The figures the page's (and the terminal's) tables show; CSV and XLSX have them all."""

_STYLE = """
body { font-family: %s; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
p.range { color: #555; margin-top: 0; }
figure { margin: 0.8em 0; max-width: 60em; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%%; height: auto; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; break-inside: avoid; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.45em; }
th { background: #eef2f7; font-weight: 600; } td.n { text-align: right; }
th span { display: block; font-weight: normal; color: #555; }
.notes { font-size: 0.8em; color: #555; max-width: 60em; }
@media print { body { margin: 0; } h2 { break-after: avoid; } }
@page { size: A4 landscape; margin: 12mm; }
""" % _FONT


def _percent_range(series: list[tuple[str, list[Any]]]) -> tuple[float, float]:
    """From a tenth below the lowest share (at least 0) to 100 %: differences stay visible."""
    values = [v for _, vs in series for v in vs if v is not None]
    low = min(values, default=0.0)
    return max(0.0, math.floor(low * 10.0 - 1.0) / 10.0), 1.0


def _chart(kind: str, title: str, labels: Sequence[str], series: list[tuple[str, list[Any]]],
           percent: bool = False) -> str:
    """One pygal chart rendered to inline SVG (no script or style fetched from anywhere)."""
    import pygal
    from pygal.style import Style

    style = Style(font_family=_FONT, background="white", plot_background="white",
                  title_font_size=18, legend_font_size=13, label_font_size=12)
    chart_type = {"bar": pygal.Bar, "line": pygal.Line}[kind]
    chart = chart_type(js=[], disable_xml_declaration=True, style=style, title=title,
                       width=900, height=380, legend_at_bottom=True, print_values=False,
                       x_label_rotation=0 if len(labels) < 14 else 45, show_minor_x_labels=True,
                       range=_percent_range(series) if percent else None,
                       allow_interruptions=True,
                       value_formatter=(lambda v: f"{v * 100:.0f}%") if percent
                       else (lambda v: f"{v:.1f}"))
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, values)
    return str(chart.render(is_unicode=True))


def hourly_chart(report: PeriodReport) -> str:
    """Arrivals per hall-local hour, a daily mean per period (or of the whole range)."""
    total = report.get(ALL, "total")
    hours = sorted(total.arrivals_by_hour) if total is not None else []
    # One bar per period and hour, and the range's mean beside them; a single period is
    # the range itself, and too many would be unreadable: then the range's mean alone.
    shown = [*report.periods, ALL] if 1 < len(report.periods) <= _MAX_SERIES else [ALL]
    series = []
    for period in shown:
        figures = report.get(period, "total")
        if figures is not None and figures.days:
            series.append((period_label(period, report.by),
                           [figures.arrivals_by_hour.get(h, 0) / figures.days for h in hours]))
    return _chart("bar", "每小时取号（日均） Arrivals per hour (daily mean)",
                  [f"{h:02d}:00" for h in hours], series)


def waits_chart(hall: Hall, report: PeriodReport) -> str:
    """Mean, p50 and p90 wait per service over the whole range, in minutes."""
    services = report.scopes("service")
    figures = [report.get(ALL, "service", s) for s in services]
    series = [(name, [getattr(f, key) if f else None for f in figures])
              for key, name in (("wait_mean_min", "均值 Mean"), ("wait_p50_min", "P50"),
                                ("wait_p90_min", "P90"))]
    return _chart("bar", f"各业务等候时间（分钟，目标 {report.wait_target_min:g}） "
                  f"Waits per service (minutes, target {report.wait_target_min:g})",
                  [scope_name(hall, "service", s) for s in services], series)


def satisfaction_chart(hall: Hall, report: PeriodReport) -> str:
    """满意率 of each counter, period by period."""
    labels = [period_label(p, report.by) for p in report.periods]
    series = []
    for counter in report.scopes("counter"):
        values = []
        for period in report.periods:
            figures = report.get(period, "counter", counter)
            values.append(figures.satisfied_share if figures is not None else None)
        if any(v is not None for v in values):
            series.append((scope_name(hall, "counter", counter), values))
    return _chart("line", "各窗口满意率 Satisfaction (满意率) per counter", labels, series,
                  percent=True)


def _html_table(columns: Sequence[Column], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(c.zh)}<span>{html.escape(c.en)}</span></th>"
                   for c in columns)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="{"n" if c.kind != "text" else "t"}">{html.escape(format_cell(c, v))}</td>'
            for c, v in zip(columns, row))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _summary(hall: Hall, report: PeriodReport, kind: str) -> str:
    """The summary figures of every scope of ``kind`` (per period for the total)."""
    chosen = [c for key in SUMMARY_COLUMNS for c in FIGURE_COLUMNS if c.key == key]
    first = Column("name", "周期" if kind == "total" else "名称",
                   "Period" if kind == "total" else "Name", "text")
    rows = []
    keys = [(p, "") for p in [*report.periods, ALL]] if kind == "total" else [
        (ALL, s) for s in report.scopes(kind)]
    for period, scope in keys:
        figures = report.get(period, kind, scope)
        if figures is not None:
            label = (period_label(period, report.by) if kind == "total"
                     else scope_name(hall, kind, scope))
            rows.append([label, *(None if c.key == "paused_min" and not figures.paused_min
                                  else getattr(figures, c.key) for c in chosen)])
    return _html_table([first, *chosen], rows)


def _levels(hall: Hall, report: PeriodReport) -> str:
    columns = [Column("name", "窗口", "Counter", "text"),
               *(Column(lv, zh, en) for lv, (zh, en) in LEVEL_NAMES.items()),
               Column("satisfied_share", "满意率", "Satisfaction", "share"),
               *(Column(r, f"差评·{zh}", f"Negative: {en.lower()}")
                 for r, (zh, en) in REASON_NAMES.items())]
    rows = []
    for kind, scope in [("total", ""), *(("counter", c) for c in report.scopes("counter"))]:
        figures = report.get(ALL, kind, scope)
        if figures is not None and figures.ratings:
            rows.append([scope_name(hall, kind, scope),
                         *(figures.levels.get(lv, 0) for lv in LEVEL_NAMES),
                         figures.satisfied_share,
                         *(figures.reasons.get(r, 0) for r in REASON_NAMES)])
    return _html_table(columns, rows)


def _section(zh: str, en: str, body: str) -> str:
    return f"<h2>{html.escape(zh)} {html.escape(en)}</h2>\n{body}\n"


def render_html(hall: Hall, report: PeriodReport) -> str:
    """The whole page: title, the three charts, the summary tables, ratings, audit, notes."""
    by_zh, by_en = _BY_NAMES.get(report.by, (report.by, report.by))
    title = f"{hall.name.zh} 服务报表 / {hall.name.en} service report"
    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<p class="range">{report.start} — {report.end}，{by_zh} / {by_en}</p>',
             _section("图表", "Charts", "".join(
                 f"<figure>{svg}</figure>" for svg in (
                     hourly_chart(report), waits_chart(hall, report),
                     satisfaction_chart(hall, report))))]
    for kind in SCOPE_KINDS:
        if kind == "total" or report.scopes(kind):
            zh, en = SCOPE_NAMES[kind]
            heading = ("各周期合计", "Totals per period") if kind == "total" else (
                f"按{zh}（全部周期）", f"By {en.lower()} (whole range)")
            parts.append(_section(*heading, _summary(hall, report, kind)))
    parts.append(_section("评价等级与差评原因", "Ratings per level, reasons of negative ratings",
                          _levels(hall, report)))
    hourly: Table = hourly_table(report)
    parts.append(_section(hourly.zh, hourly.en, _html_table(hourly.columns, hourly.rows)))
    audit = out_of_order_table(hall, report.out_of_order)
    parts.append(_section(audit.zh, audit.en, _html_table(audit.columns, audit.rows)))
    parts.append(_notes(report))
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body>{''.join(parts)}</body></html>\n")


def _notes(report: PeriodReport) -> str:
    return (f'<p class="notes">等候：取号（或转移）至首次叫号；P50/P90 为最近秩百分位；等候达标率为'
            f'{report.wait_target_min:g}分钟内叫号的比例；满意率 = (满意 + 非常满意) ÷ 评价数；'
            "“—”表示无数据。 Wait: issue (or transfer) to the first call; P50/P90 are "
            f"nearest-rank percentiles; within target: share called within "
            f"{report.wait_target_min:g} minutes; satisfaction = (satisfied + very satisfied) ÷ "
            "ratings; “—” means no data.</p>")


def write_html(hall: Hall, report: PeriodReport, path: str | os.PathLike[str]) -> None:
    """Write the page to ``path`` (UTF-8).

    Raises:
        ReportError: pygal is missing or the file cannot be written.
    """
    try:
        import pygal  # noqa: F401  (checked here to say what to install)
    except ImportError as err:
        raise ReportError("HTML charts need pygal: pip install 'callnext[report]'") from err
    page = render_html(hall, report)
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(page)
    except OSError as err:
        raise ReportError(f"cannot write the HTML file {os.fspath(path)}: {err}; "
                          "check the folder exists and may be written") from err
