"""``python -m benchmarks.compare A.json B.json ...``: the figures of several ``--json`` runs side
by side, as the Markdown table the README shows (one column pair per server: value and ratio to
that run's own baseline, then each run's PASS/MISS against the target)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _server(run: dict) -> str:
    version = f"PostgreSQL {run['server_version'].split(' ')[0]}"
    server = run.get("server")
    if server is None:  # written before the JSON said
        return version
    return (
        f"{version}, {'JIT on' if server['jit_available'] and server['jit'] == 'on' else 'no JIT'}"
    )


def _value(figure: dict | None) -> str:
    if figure is None:
        return "-"
    value, unit = figure["value"], figure["unit"]
    text = f"{value:,.0f} {unit}" if value >= 100 else f"{value:.3g} {unit}"
    return text if figure.get("ratio") is None else f"{text} ({figure['ratio']:.2f}x)"


def table(runs: list[dict]) -> str:
    names: list[str] = []
    for run in runs:
        names += [f["name"] for f in run["figures"] if f["name"] not in names]
    by_name = [{f["name"]: f for f in run["figures"]} for run in runs]
    header = ["figure", *(_server(run) for run in runs), "target", *("status" for _ in runs)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        figures = [figures.get(name) for figures in by_name]
        target = next((f["target"] for f in figures if f and f.get("target")), "")
        statuses = [(f.get("status") or "").upper() if f else "-" for f in figures]
        lines.append(
            "| " + " | ".join([name, *(_value(f) for f in figures), target, *statuses]) + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__)
    parser.add_argument(
        "runs", nargs="+", metavar="JSON", help="files written by python -m benchmarks --json"
    )
    args = parser.parse_args(argv)
    print(table([json.loads(Path(path).read_text()) for path in args.runs]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
