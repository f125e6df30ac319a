"""``python -m benchmarks [--quick] [--json FILE] [--only NAME]``."""

from __future__ import annotations

import argparse
import sys
import time

from benchmarks import commits, data, ddl, graph, history, objects, refs, schema, workflow
from benchmarks.harness import Bench, print_table, progress, server_facts, write_json

SUITES = {
    "commits": commits,
    "schema": schema,
    "data": data,
    "ddl": ddl,
    "history": history,
    "refs": refs,
    "graph": graph,
    "objects": objects,
    "workflow": workflow,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes and shorter runs (about a minute)"
    )
    parser.add_argument(
        "--json", metavar="FILE", help="also write the figures and target statuses as JSON"
    )
    parser.add_argument(
        "--only",
        metavar="NAME",
        help=f"run only suites whose name contains NAME ({', '.join(SUITES)})",
    )
    args = parser.parse_args(argv)
    bench = Bench(quick=args.quick)
    started = time.monotonic()
    with bench.database(bench.dbname), bench.connect() as conn:
        server = server_facts(conn)
        progress(f"{server.describe()}, scratch database {bench.dbname}")
        for name, suite in SUITES.items():
            if args.only and args.only not in name:
                continue
            progress(f"suite {name}")
            suite.run(bench)
    print()
    print_table(bench.figures)
    missed = [f.name for f in bench.figures if f.status == "miss"]
    print(
        f"\n{server.describe()}; {len(bench.figures)} figures"
        f" in {time.monotonic() - started:.0f} s; targets missed: {len(missed)}"
    )
    if args.json:
        write_json(args.json, bench, server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
