"""Turn the benchmark results into a plain-text table and a JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple


class Row(NamedTuple):
    """One line of the table."""

    figure: str
    value: str
    unit: str
    how: str


def _pcts(summary: dict[str, Any]) -> str:
    return " / ".join(f"{summary[k]:.2f}" for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms"))


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def rows(results: dict[str, Any]) -> list[Row]:
    """The table's rows, in the order the figures were asked for."""
    rt, tp, ev = results["round_trip"], results["throughput"], results["event_latency"]
    day, memory = results["day"], results["memory"]
    build, replay, broker = day["build"], day["replay"], day["broker"]
    pct = "ms p50/p90/p99/max"
    return [
        Row("round trip, durable commands", _pcts(rt["durable"]), pct,
            f"{rt['durable']['count']} sequential issue_ticket+call_next, one RequestClient"),
        *(Row(f"  of which {op}", _pcts(s), pct, f"{s['count']} requests")
          for op, s in rt["durable_by_op"].items()),
        Row("round trip, snapshot (read-only)", _pcts(rt["snapshot"]), pct,
            f"{rt['snapshot']['count']} sequential snapshot requests"),
        *_throughput_rows(tp),
        Row("event latency", f"{ev['event']['p50_ms']:.2f} / {ev['event']['p99_ms']:.2f}",
            "ms p50/p99",
            f"command sent -> its event read on SUB, {ev['event']['count']} samples, "
            f"{ev['lost']} lost"),
        Row("  reply latency, same run", f"{ev['reply']['p50_ms']:.2f} / "
            f"{ev['reply']['p99_ms']:.2f}", "ms p50/p99", "command sent -> reply read on DEALER"),
        Row("replay of a day", f"{replay['seconds']:.2f}", "s",
            f"BrokerService(hall, Journal) in a fresh process (checkpoint + tail), "
            f"{replay['events']} events, "
            f"{replay['tickets']} tickets"),
        Row("  replay rate", f"{replay['events_per_s']:.0f}", "events/s", "same run"),
        Row("  journal size", f"{build['file_bytes'] / 1e6:.1f}", "MB",
            f"journal.sqlite3 (+WAL) after {build['commands']} commands, "
            f"{build['first_local'][11:16]}-{build['last_local'][11:16]} hall time"),
        Row("  journal build", f"{build['seconds']:.1f}", "s",
            f"BrokerService.handle in-process, no fsync (cached), {build['refused']} refused"),
        Row("broker RSS after benchmarks", _mib(memory["rss_kib"]), "MiB",
            f"VmRSS of the broker process (peak VmHWM {_mib(memory['peak_rss_kib'])} MiB)"),
        Row("broker RSS on the day's journal", _mib(broker["memory"]["rss_kib"]), "MiB",
            f"VmRSS right after ready, seq {broker['seq']} "
            f"(peak VmHWM {_mib(broker['memory']['peak_rss_kib'])} MiB)"),
        Row("  broker start on that journal", f"{broker['ready_s']:.2f}", "s",
            "process start -> ready line (imports + checkpoint + tail + bind; goal <= 2 s)"),
        Row("  snapshot round trip there", _pcts(broker["snapshot"]), pct,
            f"{broker['snapshot']['count']} sequential snapshot requests"),
        *_scale_rows(results),
    ]


def _runs(tp: dict[str, Any]) -> list[dict[str, Any]]:
    """Every throughput run, fewest clients first (older results: one and many only)."""
    return list(tp.get("by_clients") or [tp["sequential"], tp["concurrent"]])


def _throughput_rows(tp: dict[str, Any]) -> list[Row]:
    """Durable commands/s of each run: one client, then each concurrent burst."""
    table = []
    for run in _runs(tp):
        if run["threads"] == 1:
            how = f"{run['count']} sequential issue_ticket"
        else:
            how = (f"{run['count']} issue_ticket from {run['threads']} client processes, "
                   f"own RequestClient each")
        table.append(Row(f"durable commands/s, {_clients(run['threads'])}",
                         f"{run['ops_per_s']:.0f}", "ops/s",
                         f"{how}, in {run['seconds']:.2f} s"))
    return table


def _clients(count: int) -> str:
    return "1 client" if count == 1 else f"{count} clients"


def at_most(value: float, goal: float, unit: str) -> str:
    """``goal <= 20 ms: met`` (or ``NOT met``): a figure's upper goal and its verdict."""
    return f"goal <= {goal:g} {unit}: {'met' if value <= goal else 'NOT met'}"


def _goal(clients: int, most: int) -> str:
    """Issue 17's goal for a run of ``clients`` (``most``: the largest burst)."""
    if clients == 1:
        return "goal >= 0.8"
    if clients == most:
        return "goal >= 1.0 and >= 2000 ops/s"
    return "between the two; no goal of its own"


def _scale_rows(results: dict[str, Any]) -> list[Row]:
    """Issue 17's figures, each beside the floor measured in the same run."""
    floors, tp, day = results["floors"], results["throughput"], results["day"]
    floor_rate = floors["sqlite"]["commits_per_s"]
    many = tp["concurrent"]["ops_per_s"]
    loaded = day["loaded"]["concurrent"]["ops_per_s"]
    clients = tp["concurrent"]["threads"]
    durable_p99 = results["round_trip"]["durable"]["p99_ms"]
    table = [
        Row("floor: SQLite single commits/s", f"{floor_rate}", "commits/s",
            f"{floors['sqlite']['commit']['count']} one-row transactions, WAL, "
            f"synchronous=FULL, same disk; commit p99 {floors['sqlite']['commit']['p99_ms']:.2f} ms"),
        Row("floor: ZeroMQ loopback round trip", _pcts(floors["zmq_rtt"]), "ms p50/p90/p99/max",
            "bare DEALER->ROUTER echo, no broker work"),
        *(Row(f"durable commands/s vs floor, {_clients(run['threads'])}",
              f"{run['ops_per_s'] / max(floor_rate, 1):.2f}", "x",
              f"{run['ops_per_s']:.0f} ops/s / {floor_rate} commits/s "
              f"({_goal(run['threads'], clients)})") for run in _runs(tp)),
        Row(f"durable commands/s on the loaded day, {clients} clients", f"{loaded:.0f}",
            "ops/s", f"same burst after {day['build']['tickets']} tickets in the day: "
            f"{loaded / max(many, 1):.2f}x the empty day (goal >= 0.8)"),
        Row("idle round trip p99 vs floor", f"{durable_p99 / max(floors['round_trip_floor_p99_ms'], 1e-9):.2f}",
            "x", f"durable p99 {durable_p99:.2f} ms / (ZeroMQ p99 + commit p99) "
            f"{floors['round_trip_floor_p99_ms']:.2f} ms (goal <= 2)"),
    ]
    quarter = results.get("quarter")
    if quarter:
        table.append(Row(f"broker ready on a {quarter['events']}-event quarter",
                         f"{quarter['ready_s']:.2f}", "s",
                         f"process start -> ready (checkpoint + tail), journal "
                         f"{quarter['journal_bytes'] / 1e6:.0f} MB, RSS "
                         f"{_mib(quarter['memory']['rss_kib'])} MiB (goal <= 3 s)"))
    return table


def format_table(table: list[Row]) -> str:
    """The rows as aligned plain text with a header line."""
    header = Row("figure", "value", "unit", "how measured")
    widths = [max(len(row[i]) for row in [header, *table]) for i in range(3)]
    lines = []
    for row in [header, *table]:
        lines.append("  ".join([row.figure.ljust(widths[0]), row.value.rjust(widths[1]),
                                row.unit.ljust(widths[2]), row.how]).rstrip())
        if row is header:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def write_json(results: dict[str, Any], path: Path) -> None:
    """Write the results to ``path`` (parents created), pretty-printed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
