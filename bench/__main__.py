"""``python -m bench [--quick]``: measure the broker, print a table, write bench/out/broker.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.report import format_table, rows, write_json
from bench.runner import DEFAULT_CONFIG, FULL, QUICK, run_all

DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "broker.json"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; 0 on success."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="tiny counts (seconds): checks the machinery, figures mean little")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                        help="hall TOML the broker runs on (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="where the JSON figures go (default: %(default)s)")
    args = parser.parse_args(argv)
    results = run_all(args.config, QUICK if args.quick else FULL, quick=args.quick)
    print(format_table(rows(results)))
    meta = results["meta"]
    print(f"\n{'QUICK run (tiny counts). ' if args.quick else ''}{meta['cpus']} CPUs, "
          f"Python {meta['python']}, {meta['seconds']} s in all. JSON: {args.out}")
    write_json(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
