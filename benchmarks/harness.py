"""Connections, a scratch database with the core installed, timing, and the result table."""

from __future__ import annotations

import importlib
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def server_conninfo() -> str:
    """DATABASE_URL, else the embedded server the test project uses."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    sys.path.insert(0, str(ROOT))
    from testproject.embedded import _embedded_server

    return _embedded_server().get_uri()


def install_statements() -> list[str]:
    """What the migration runs, in order (so the benchmark measures the same core)."""
    sys.path.insert(0, str(ROOT))
    return importlib.import_module("pggit.operations").install_statements()


@dataclass
class Server:
    """What the figures depend on: the server's version and whether it compiles with JIT (the
    embedded build cannot; Debian's, Ubuntu's and most managed servers do, by default)."""

    version: str
    jit_available: bool
    jit: str
    jit_above_cost: str

    def describe(self) -> str:
        jit = (
            f"JIT {self.jit} (jit_above_cost {self.jit_above_cost})"
            if self.jit_available
            else "no JIT"
        )
        return f"PostgreSQL {self.version}, {jit}"


def server_facts(conn: psycopg.Connection) -> Server:
    version, available, jit, above = conn.execute(
        "SELECT current_setting('server_version'), pg_jit_available(), current_setting('jit'),"
        " current_setting('jit_above_cost')"
    ).fetchone()
    return Server(version, available, jit, above)


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    status: str | None = None  # "pass" | "miss" | None (no target)
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


class Bench:
    """A scratch database (created, with the core installed, and dropped by ``open``)."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.figures: list[Figure] = []
        self.server = server_conninfo()
        self.dbname = f"pggit_bench_{os.getpid()}"

    def connect(self, dbname: str | None = None, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.server, dbname=dbname or self.dbname, autocommit=True, **kwargs)

    @contextmanager
    def database(self, name: str, *, with_core: bool = True) -> Iterator[None]:
        with psycopg.connect(self.server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            if with_core:
                with self.connect(name) as conn, conn.transaction():
                    for statement in install_statements():
                        conn.execute(statement)
            yield
        finally:
            with psycopg.connect(self.server, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def record(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        progress(
            f"{figure.name}: {figure.value:.4g} {figure.unit}"
            + (
                f" (baseline {figure.baseline:.4g}, ratio {figure.ratio:.2f})"
                if figure.baseline
                else ""
            )
        )
        return figure


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


# Callables are typed Callable[..., object]: callers bind loop variables through default
# arguments (lambda rows=rows: ...), which a precise Callable type would reject.
def timed(fn: Callable[..., object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def throughput(
    bench: Bench,
    workers: int,
    seconds: float,
    setup: Callable[..., object],
    operation: Callable[..., object],
) -> tuple[float, float, float]:
    """Run ``operation(conn, n)`` in ``workers`` threads on their own connections for
    ``seconds``, after ``setup(conn, n)``; returns (operations per second, p50 ms, p99 ms)."""
    latencies: list[list[float]] = [[] for _ in range(workers)]
    barrier = threading.Barrier(workers + 1)
    stop = threading.Event()

    def run(n: int) -> None:
        with bench.connect() as conn:
            setup(conn, n)
            barrier.wait()
            while not stop.is_set():
                start = time.perf_counter()
                operation(conn, n)
                latencies[n].append(time.perf_counter() - start)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    barrier.wait()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    flat = sorted(x for per in latencies for x in per)
    p99 = flat[min(len(flat) - 1, int(len(flat) * 0.99))]
    return len(flat) / seconds, statistics.median(flat) * 1000, p99 * 1000


def judge(figure: Figure, passed: bool, target: str) -> None:
    figure.target, figure.status = target, "pass" if passed else "miss"


def print_table(figures: list[Figure]) -> None:
    header = f"{'figure':<58} {'value':>12} {'baseline':>12} {'ratio':>8}  {'target':<22} status"
    print(header)
    print("-" * len(header))
    for f in figures:
        value = f"{f.value:.4g} {f.unit}"
        base = f"{f.baseline:.4g}" if f.baseline is not None else "-"
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else "-"
        status = (f.status or "").upper()
        print(f"{f.name:<58} {value:>12} {base:>12} {ratio:>8}  {f.target:<22} {status}")


def write_json(path: str, bench: Bench, server: Server) -> None:
    payload = {
        "server_version": server.version,
        "server": asdict(server),
        "quick": bench.quick,
        "figures": [{**asdict(f), "ratio": f.ratio} for f in bench.figures],
        "targets": [
            {"figure": f.name, "target": f.target, "status": f.status}
            for f in bench.figures
            if f.status
        ],
    }
    Path(path).write_text(json.dumps(payload, indent=2))
