"""``python -m bench [--quick] [--only NAME ...]``: measure the broker and the nodes.

Prints one table per section and writes the figures as JSON to bench/out/.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.report import Row, format_table, rows, write_json
from bench.runner import DEFAULT_CONFIG, FULL, QUICK, run_all

DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "broker.json"

SECTIONS: dict[str, str] = {
    "kiosk": "bench.kiosk_bench",
    "display": "bench.display_bench",
    "voice": "bench.voice_bench",
    "caller": "bench.caller_bench",
    "hall": "bench.hall_bench",
    "polling": "bench.polling_bench",
    "chain": "bench.chain_bench",
    "rss": "bench.rss_bench",
    "quality": "bench.quality_bench",
    "report": "bench.report_bench",
    "uplink": "bench.uplink_bench",
    "web": "bench.web_bench",
    "phone": "bench.phone_bench",
    "emulation": "bench.emulation_bench",
}
"""Node and whole-hall benchmarks: each module's ``run(quick)`` returns figure rows."""


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def run_section(name: str, quick: bool, out_dir: Path) -> None:
    """Run one node benchmark, print its table and keep its figures as JSON."""
    started = time.perf_counter()
    figures: list[dict[str, Any]] = importlib.import_module(SECTIONS[name]).run(quick)
    print(f"\n== {name} ({time.perf_counter() - started:.0f} s)")
    print(format_table([Row(f["figure"], _value(f["value"]), f["unit"], f["how"])
                        for f in figures]))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{name}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; 0 on success."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="tiny counts (seconds): checks the machinery, figures mean little")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                        help="hall TOML the broker runs on (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="where the JSON figures go (default: %(default)s)")
    parser.add_argument("--only", nargs="+", choices=["broker", *SECTIONS],
                        help="run only these sections (default: all)")
    args = parser.parse_args(argv)
    chosen = args.only or ["broker", *SECTIONS]
    if "broker" in chosen:
        results = run_all(args.config, QUICK if args.quick else FULL, quick=args.quick)
        print("== broker")
        print(format_table(rows(results)))
        meta = results["meta"]
        print(f"\n{'QUICK run (tiny counts). ' if args.quick else ''}{meta['cpus']} CPUs, "
              f"Python {meta['python']}, {meta['seconds']} s in all. JSON: {args.out}")
        write_json(results, args.out)
    for name in SECTIONS:
        if name in chosen:
            run_section(name, args.quick, args.out.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
