"""The city's period report, computed in SQL on the central store (``callnext report --central``).

Per hall and for the whole city, per day, week or month: tickets issued, served
(finished), no-shows, the median and 90th percentile of the waits, ratings, 差评
(negative ratings), 满意率 and the mean rating on a 5-point scale. The figures are
counted as the hall's own period report counts them (``broker.report_facts``,
``broker.report_period``), within each hall-local day:

* a wait runs from the ticket's issue (or its transfer) to the next call of it;
  percentiles are nearest-rank (``percentile_disc``), in minutes;
* a no-show is a ticket whose last call, no-show or revival of the day is a no-show;
* ratings are every ``rated`` event; 差评 those the broker marked ``negative``; 满意率 is
  (满意 + 非常满意) ÷ the ratings with a level, the level being the event's ``level`` code,
  else its ``score`` on its ``scale`` (the 3-level events of older halls and the 5-level
  ones mix); the mean rating is put on a 5-point scale (3 of 3 is 5 of 5).

City figures are computed over all the halls' tickets (the city's median wait is the
median of every wait, not a median of medians). A ticket carried past midnight is
counted on each day it appears in, without the wait that spans the night.
``city_report`` returns plain JSON-ready data for the web node's city view.
"""

from __future__ import annotations

from datetime import date, timezone
from typing import Any, Literal, Sequence

from foundation.errors import CallnextError

Period = Literal["day", "week", "month"]
PERIODS: tuple[str, ...] = ("day", "week", "month")
WHOLE = "all"
"""``by`` for one row per hall over the whole period (the web node's city view)."""

FIGURES: tuple[str, ...] = ("issued", "served", "no_shows", "wait_p50_min", "wait_p90_min",
                            "ratings", "negative_ratings", "satisfied_share", "rating_mean_5")
"""The figures of each row, in column order."""

_SQL = """
WITH ev AS MATERIALIZED (
    SELECT hall, seq, day, type, at, data->>'ticket' AS ticket,
           CASE WHEN type = 'rated' THEN data END AS rating
    FROM callnext_events
    WHERE day BETWEEN %(start)s AND %(end)s
      AND (%(halls)s::text[] IS NULL OR hall = ANY(%(halls)s::text[]))
      AND type IN ('ticket_issued', 'transferred', 'called', 'finished', 'no_show', 'revived',
                   'rated')
),
tickets AS (
    SELECT hall, day, ticket,
           bool_or(type = 'ticket_issued') AS issued,
           bool_or(type = 'finished') AS served,
           coalesce(max(seq) FILTER (WHERE type = 'no_show')
                    > coalesce(max(seq) FILTER (WHERE type IN ('called', 'revived')), 0),
                    false) AS no_show,
           bool_or(type = 'transferred') AS transferred,
           min(at) FILTER (WHERE type = 'ticket_issued') AS issued_at,
           min(at) FILTER (WHERE type = 'called') AS called_at
    FROM ev WHERE type <> 'rated'
    GROUP BY hall, day, ticket
),
-- A transferred ticket has a wait per service: each issue or transfer to the next call.
marks AS (
    SELECT hall, day, ticket, type, at,
           count(*) FILTER (WHERE type <> 'called')
               OVER (PARTITION BY hall, day, ticket ORDER BY seq) AS wait_no
    FROM ev
    WHERE type IN ('ticket_issued', 'transferred', 'called')
      AND (hall, day, ticket) IN (SELECT hall, day, ticket FROM tickets WHERE transferred)
),
waits AS (
    SELECT hall, day, called_at - issued_at AS span
    FROM tickets WHERE NOT transferred AND called_at IS NOT NULL AND issued_at IS NOT NULL
    UNION ALL
    SELECT hall, day,
           min(at) FILTER (WHERE type = 'called') - min(at) FILTER (WHERE type <> 'called')
    FROM marks WHERE wait_no > 0
    GROUP BY hall, day, ticket, wait_no
    HAVING count(*) FILTER (WHERE type = 'called') > 0
),
rated AS (
    SELECT hall, day, negative, scale,
           CASE WHEN level_text <> '' THEN level_text ELSE names[score] END AS level,
           coalesce(score, array_position(names, level_text)) AS score
    FROM (SELECT hall, day,
                 CASE WHEN jsonb_typeof(rating->'negative') = 'boolean'
                      THEN (rating->>'negative')::boolean ELSE false END AS negative,
                 CASE WHEN jsonb_typeof(rating->'level') = 'string' THEN rating->>'level'
                 END AS level_text,
                 CASE WHEN jsonb_typeof(rating->'score') = 'number'
                      THEN (rating->>'score')::numeric::int END AS score,
                 CASE WHEN jsonb_typeof(rating->'scale') = 'number'
                      THEN (rating->>'scale')::numeric::int END AS scale,
                 CASE rating->>'scale'
                      WHEN '5' THEN ARRAY['very_dissatisfied', 'dissatisfied',
                                          'basically_satisfied', 'satisfied', 'very_satisfied']
                      WHEN '3' THEN ARRAY['dissatisfied', 'basically_satisfied', 'satisfied']
                 END AS names
          FROM ev WHERE type = 'rated') AS r
),
-- Counts are summed per hall and day first: only the waits reach the percentile sorts.
facts AS (
    SELECT hall, day, count(*) FILTER (WHERE issued) AS issued,
           count(*) FILTER (WHERE served) AS served, count(*) FILTER (WHERE no_show) AS no_show,
           0 AS ratings, 0 AS negative, 0 AS leveled, 0 AS satisfied, 0 AS scores,
           0 AS score5, NULL::float8 AS wait
        FROM tickets GROUP BY hall, day
    UNION ALL
    SELECT hall, day, 0, 0, 0, count(*), count(*) FILTER (WHERE negative), count(level),
           count(*) FILTER (WHERE level IN ('satisfied', 'very_satisfied')),
           count(*) FILTER (WHERE scale IN (3, 5) AND score BETWEEN 1 AND scale),
           sum(1 + (score - 1) * 4.0 / (scale - 1))
               FILTER (WHERE scale IN (3, 5) AND score BETWEEN 1 AND scale), NULL
        FROM rated GROUP BY hall, day
    UNION ALL
    SELECT hall, day, 0, 0, 0, 0, 0, 0, 0, 0, 0, greatest(0, extract(epoch FROM span) / 60.0)
        FROM waits
)
SELECT grouping(hall) = 1 AS city, hall, period,
       sum(issued)::int, sum(served)::int, sum(no_show)::int,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY wait),
       percentile_disc(0.9) WITHIN GROUP (ORDER BY wait),
       sum(ratings)::int, sum(negative)::int,
       sum(satisfied)::float8 / nullif(sum(leveled), 0),
       sum(score5)::float8 / nullif(sum(scores), 0)
FROM (SELECT *, CASE WHEN %(whole)s THEN %(start)s::date
                    ELSE date_trunc(%(unit)s, day::timestamp)::date END AS period
      FROM facts) AS f
GROUP BY GROUPING SETS ((hall, period), (period))
ORDER BY period, city, hall
"""


_LATEST = """
SELECT h.hall, last.day, last.at
FROM callnext_halls AS h
LEFT JOIN LATERAL (SELECT e.day, e.at FROM callnext_events AS e WHERE e.hall = h.hall
                   ORDER BY e.seq DESC LIMIT 1) AS last ON true
WHERE %(halls)s::text[] IS NULL OR h.hall = ANY(%(halls)s::text[])
ORDER BY h.hall
"""
"""Each hall's newest shipped event: a hall offline for a day shows here as a day behind."""

_CASES = """
SELECT hall, count(*) FILTER (WHERE NOT closed), count(*) FILTER (WHERE overdue AND NOT closed)
FROM (SELECT hall, bool_or(type = 'case_overdue') AS overdue,
             bool_or(type = 'case_closed') AS closed
      FROM callnext_events
      WHERE type IN ('case_opened', 'case_overdue', 'case_closed')
        AND (%(halls)s::text[] IS NULL OR hall = ANY(%(halls)s::text[]))
      GROUP BY hall, data->>'case') AS cases
GROUP BY hall
"""
"""差评 cases not closed (and of them overdue) per hall, whatever their day: the city view's
"overdue cases" (w-quality's ``case_opened`` / ``case_overdue`` / ``case_closed`` events)."""


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
        by: ``day``, ``week`` (from Monday), ``month``, or ``all`` (one period from
            ``start`` to ``end``).
        halls: only these halls (None: every hall in the store); the city rows cover them.

    Returns:
        ``{"from", "to", "by", "halls", "figures", "rows", "city", "shipped_until",
        "cases"}``:
        ``rows`` holds one dict per hall and period (``hall``, ``period`` and the
        ``FIGURES``), ``city`` one per period over the halls; periods as ``YYYY-MM-DD`` of
        their first day. ``shipped_until`` maps every registered hall (of ``halls``) to its
        newest central event's hall-local ``day`` and ``at`` (ISO 8601, UTC), or None: a
        hall whose uplink is behind has figures that are not complete yet. ``cases`` maps
        the same halls to their 差评 cases not closed yet, whatever the period:
        ``{"open": n, "overdue": m}`` (``overdue`` counted within ``open``).

    Raises:
        CityReportError: ``end`` before ``start`` or an unknown ``by``.
    """
    if by not in PERIODS and by != WHOLE:
        raise CityReportError(f"--by must be one of {', '.join(PERIODS)}, not {by!r}")
    if end < start:
        raise CityReportError(f"the period ends ({end}) before it starts ({start}); swap "
                              "--from and --to")
    params = {"start": start, "end": end, "whole": by == WHOLE,
              "unit": "day" if by == WHOLE else by, "halls": list(halls) if halls else None}
    with conn.transaction():
        # The sorts of a city's day (hundreds of thousands of rows) fit in memory with this.
        conn.execute("SET LOCAL work_mem = '64MB'")
        found = conn.execute(_SQL, params).fetchall()
        latest = conn.execute(_LATEST, {"halls": params["halls"]}).fetchall()
        cases = {hall: {"open": int(open_), "overdue": int(overdue)} for hall, open_, overdue
                 in conn.execute(_CASES, {"halls": params["halls"]})}
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
            "rows": rows, "city": city,
            "shipped_until": {hall: None if day is None else {
                "day": day.isoformat(),
                "at": at.astimezone(timezone.utc).isoformat(timespec="seconds")}
                for hall, day, at in latest},
            "cases": {hall: cases.get(hall, {"open": 0, "overdue": 0}) for hall, _d, _a in latest}}
