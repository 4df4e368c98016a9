"""The city's period report, computed in SQL on the central store (``callnext report --central``).

Per hall and for the whole city, per day, week or month: tickets issued, served
(finished), no-shows, the median and 90th percentile of the waits, ratings, 满意率
and the mean rating on a 5-point scale. The figures are counted as the hall's own
report counts them (``broker.report_figures``), within each hall-local day:

* a wait runs from the ticket's issue (or its transfer) to the next call of it;
  percentiles are nearest-rank (``percentile_disc``), in minutes;
* a no-show is a ticket whose last call, no-show or revival of the day is a no-show;
* a rating is satisfied unless the broker marked it ``negative``; events without that
  flag count score 1 of 3 (or 1–2 of 5) as negative. The score is read from ``score``
  or ``level`` and the scale from ``scale`` (3 when absent, 5 when a score exceeds 3),
  so the 3-level events of older halls and the 5-level ones of newer halls mix.

City figures are computed over all the halls' tickets (the city's median wait is the
median of every wait, not a median of medians). A ticket carried past midnight is
counted on each day it appears in, without the wait that spans the night.
``city_report`` returns plain JSON-ready data for the web node's city view.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, Sequence

from foundation.errors import CallnextError

Period = Literal["day", "week", "month"]
PERIODS: tuple[str, ...] = ("day", "week", "month")

FIGURES: tuple[str, ...] = ("issued", "served", "no_shows", "wait_p50_min", "wait_p90_min",
                            "ratings", "satisfied_share", "rating_mean_5")
"""The figures of each row, in column order."""

_SQL = """
WITH ev AS (
    SELECT hall, seq, day, type, at, data, data->>'ticket' AS ticket
    FROM callnext_events
    WHERE day BETWEEN %(start)s AND %(end)s
      AND (%(halls)s::text[] IS NULL OR hall = ANY(%(halls)s::text[]))
      AND type IN ('ticket_issued', 'transferred', 'called', 'finished', 'no_show', 'revived',
                   'rated')
),
marks AS (
    SELECT hall, day, ticket, type, at,
           count(*) FILTER (WHERE type <> 'called')
               OVER (PARTITION BY hall, day, ticket ORDER BY seq) AS wait_no
    FROM ev WHERE type IN ('ticket_issued', 'transferred', 'called')
),
waits AS (
    SELECT hall, day,
           greatest(0, extract(epoch FROM min(at) FILTER (WHERE type = 'called')
                                         - min(at) FILTER (WHERE type <> 'called')) / 60.0)
               AS minutes
    FROM marks WHERE wait_no > 0
    GROUP BY hall, day, ticket, wait_no
    HAVING count(*) FILTER (WHERE type = 'called') > 0
),
last_word AS (
    SELECT DISTINCT ON (hall, day, ticket) hall, day, type
    FROM ev WHERE type IN ('called', 'no_show', 'revived')
    ORDER BY hall, day, ticket, seq DESC
),
scored AS (
    SELECT hall, day, data,
           CASE WHEN jsonb_typeof(data->'score') = 'number' THEN (data->>'score')::float8
                WHEN jsonb_typeof(data->'level') = 'number' THEN (data->>'level')::float8
           END AS score
    FROM ev WHERE type = 'rated'
),
ratings AS (
    SELECT hall, day, score, scale,
           CASE WHEN jsonb_typeof(data->'negative') = 'boolean'
                THEN NOT (data->>'negative')::boolean
                ELSE score > CASE WHEN scale >= 5 THEN 2 ELSE 1 END END AS satisfied
    FROM (SELECT hall, day, data, score,
                 CASE WHEN jsonb_typeof(data->'scale') = 'number' THEN (data->>'scale')::float8
                      WHEN score > 3 THEN 5 ELSE 3 END AS scale
          FROM scored) AS s
),
facts AS (
    SELECT hall, day, 'issued' AS kind, NULL::float8 AS value
        FROM (SELECT DISTINCT hall, day, ticket FROM ev WHERE type = 'ticket_issued') AS i
    UNION ALL SELECT hall, day, 'served', NULL
        FROM (SELECT DISTINCT hall, day, ticket FROM ev WHERE type = 'finished') AS f
    UNION ALL SELECT hall, day, 'no_show', NULL FROM last_word WHERE type = 'no_show'
    UNION ALL SELECT hall, day, 'wait', minutes FROM waits
    UNION ALL SELECT hall, day, 'satisfied', CASE WHEN satisfied THEN 1.0 ELSE 0.0 END
        FROM ratings WHERE satisfied IS NOT NULL
    UNION ALL SELECT hall, day, 'score5', 1 + (score - 1) * 4 / nullif(scale - 1, 0)
        FROM ratings WHERE score IS NOT NULL
),
periods AS (
    SELECT hall, date_trunc(%(by)s, day::timestamp)::date AS period, kind, value FROM facts
)
SELECT grouping(hall) = 1 AS city, hall, period,
       count(*) FILTER (WHERE kind = 'issued'),
       count(*) FILTER (WHERE kind = 'served'),
       count(*) FILTER (WHERE kind = 'no_show'),
       percentile_disc(0.5) WITHIN GROUP (ORDER BY value) FILTER (WHERE kind = 'wait'),
       percentile_disc(0.9) WITHIN GROUP (ORDER BY value) FILTER (WHERE kind = 'wait'),
       count(*) FILTER (WHERE kind = 'satisfied'),
       avg(value) FILTER (WHERE kind = 'satisfied'),
       avg(value) FILTER (WHERE kind = 'score5')
FROM periods
GROUP BY GROUPING SETS ((hall, period), (period))
ORDER BY period, city, hall
"""


class CityReportError(CallnextError):
    """The report's arguments cannot make a report (the period, the grouping)."""

    exit_status = 2


def _figure(value: Any) -> Any:
    """A SQL figure as JSON: counts stay ints, fractions and minutes become rounded floats."""
    if value is None or isinstance(value, int):
        return value
    return round(float(value), 4)


def city_report(conn: Any, start: date, end: date, by: str = "day",
                halls: Sequence[str] | None = None) -> dict[str, Any]:
    """The period report of the central store, per hall and for the city, as JSON-ready data.

    Args:
        conn: an open ``psycopg.Connection`` to the central database.
        start: the first hall-local day (inclusive).
        end: the last hall-local day (inclusive).
        by: ``day``, ``week`` (from Monday) or ``month``.
        halls: only these halls (None: every hall in the store); the city rows cover them.

    Returns:
        ``{"from", "to", "by", "halls", "figures", "rows", "city"}``: ``rows`` holds one
        dict per hall and period (``hall``, ``period`` and the ``FIGURES``), ``city`` one per
        period over the halls; periods as ``YYYY-MM-DD`` of their first day.

    Raises:
        CityReportError: ``end`` before ``start`` or an unknown ``by``.
    """
    if by not in PERIODS:
        raise CityReportError(f"--by must be one of {', '.join(PERIODS)}, not {by!r}")
    if end < start:
        raise CityReportError(f"the period ends ({end}) before it starts ({start}); swap "
                              "--from and --to")
    params = {"start": start, "end": end, "by": by, "halls": list(halls) if halls else None}
    with conn.transaction():
        found = conn.execute(_SQL, params).fetchall()
    rows: list[dict[str, Any]] = []
    city: list[dict[str, Any]] = []
    for is_city, hall, period, *values in found:
        entry = {"period": period.isoformat(),
                 **{name: _figure(value) for name, value in zip(FIGURES, values)}}
        if is_city:
            city.append(entry)
        else:
            rows.append({"hall": hall, **entry})
    return {"from": start.isoformat(), "to": end.isoformat(), "by": by,
            "halls": sorted({row["hall"] for row in rows}), "figures": list(FIGURES),
            "rows": rows, "city": city}
