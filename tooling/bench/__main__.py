"""``python -m tooling.bench``: measure the offline plan against the SDK floor (``make bench``).

    python -m tooling.bench                      # dev, staging, prod and N = 1, 10, 50 services
    python -m tooling.bench --json               # the same, machine-readable
    python -m tooling.bench --quick --services 1 --stacks dev   # one timed run each (tests)
    python -m tooling.bench --check              # exit 1 when a target is missed
    python -m tooling.bench --gc off             # the collector off until each timing ends

It reports; it gates only with ``--check``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import cast

from tooling.bench import SERVICE_COUNTS, GcMode, render_table, run_benchmark
from tooling.offline import STACKS


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; 1 with ``--check`` when a target is missed."""
    parser = argparse.ArgumentParser(
        prog="python -m tooling.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--quick", action="store_true", help="one timed run each, no warm-up")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--services",
        type=int,
        nargs="*",
        default=list(SERVICE_COUNTS),
        metavar="N",
        help="sizes of the synthetic stack (default: 1 10 50)",
    )
    parser.add_argument(
        "--stacks",
        nargs="*",
        choices=STACKS,
        default=list(STACKS),
        help="stacks to plan (default: all; none with a bare --stacks)",
    )
    parser.add_argument("--reps", type=int, help="timed runs per program (default: 3, quick 1)")
    parser.add_argument(
        "--gc",
        choices=("runtime", "off"),
        default="runtime",
        help="runtime: as the offline runtime handles it (default); "
        "off: off until each timing ends, leaving the post-run collection out",
    )
    parser.add_argument(
        "--no-plan", action="store_true", help="skip the fresh-process python -m tooling.plan run"
    )
    args = parser.parse_args(argv)
    if any(n < 1 for n in args.services) or (args.reps is not None and args.reps < 1):
        parser.error("--services and --reps take positive integers")

    def progress(step: str) -> None:
        print(f"measuring {step}...", file=sys.stderr, flush=True)

    report = run_benchmark(
        stacks=args.stacks,
        services=args.services,
        quick=args.quick,
        reps=args.reps,
        mode=cast(GcMode, args.gc),
        plan_wall=False if args.no_plan else None,
        progress=progress,
    )
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(render_table(report))
    return 1 if args.check and report.missed else 0


if __name__ == "__main__":
    sys.exit(main())
