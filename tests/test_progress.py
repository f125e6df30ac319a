"""Progress lines of long commands: on a terminal (a real pseudo-terminal) and never elsewhere."""

from __future__ import annotations

import os
import pty
import re
import select
import time
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command

from pggit.management.progress import ERASE_LINE, progress


class Terminal:
    """Both ends of a pseudo-terminal: commands write to ``stream``; ``read()`` gets the bytes."""

    def __init__(self):
        self.master, slave = pty.openpty()
        self.stream = os.fdopen(slave, "w", buffering=1)

    def read(self) -> str:
        self.stream.flush()
        os.set_blocking(self.master, False)
        chunks = []
        try:
            while chunk := os.read(self.master, 65536):
                chunks.append(chunk)
        except BlockingIOError:
            pass
        return b"".join(chunks).decode()

    def read_until(self, condition: Callable[[str], bool], timeout: float = 60) -> str:
        """Read until ``condition(everything read)`` holds: waits for the terminal's output (with
        a generous bound for a stalled machine), never for a fixed time."""
        shown = ""
        deadline = time.monotonic() + timeout
        while not condition(shown):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"gave up waiting; the terminal showed {shown!r}"
            readable, _, _ = select.select([self.master], [], [], remaining)
            if readable:
                shown += os.read(self.master, 65536).decode()
        return shown

    def close(self):
        self.stream.close()
        os.close(self.master)


@pytest.fixture
def terminal():
    t = Terminal()
    yield t
    t.close()


class Stream:
    """The small part of Django's OutputWrapper that progress() uses, over a real stream."""

    def __init__(self, out):
        self.out = out

    def write(self, text, ending="\n"):
        self.out.write(text + ending)

    def flush(self):
        self.out.flush()

    def isatty(self):
        return self.out.isatty()


@pytest.mark.django_db
def test_a_command_shows_progress_on_a_terminal_and_erases_it_when_quick(terminal):
    out = StringIO()
    call_command("pggit_verify", stdout=out, stderr=terminal.stream)
    shown = terminal.read()
    assert shown.startswith(f"{ERASE_LINE}verifying history and objects …")
    assert shown.endswith(ERASE_LINE), "a quick operation leaves no line behind"
    assert out.getvalue().strip() == "OK: history and objects verified.", "stdout stays clean"


@pytest.mark.django_db
def test_no_progress_when_stderr_is_not_a_terminal():
    err = StringIO()
    call_command("pggit_verify", stdout=StringIO(), stderr=err)
    assert err.getvalue() == ""


def ticks(shown: str) -> list[float]:
    """The elapsed seconds of each complete tick line ("working … 0.8s")."""
    tick = rf"{re.escape(ERASE_LINE)}working … (\d+\.\d)s(?=\r|$)"
    return [float(m[1]) for m in re.finditer(tick, shown)]


def test_a_long_operation_ticks_and_reports_its_time(terminal):
    """The block lasts until the ticker has shown four ticks and one second (whatever time that
    takes on a busy machine); then the line says how long the block took."""
    with progress(Stream(terminal.stream), "working"):
        shown = terminal.read_until(lambda text: len(ticks(text)) >= 4 and ticks(text)[-1] >= 1.0)
    shown += terminal.read()
    assert shown.startswith(f"{ERASE_LINE}working …{ERASE_LINE}working … ")
    seen = ticks(shown)
    assert len(seen) >= 4 and seen == sorted(seen), shown
    done = re.fullmatch(r"working: done in (\d+\.\d)s\r?\n", shown.split(ERASE_LINE)[-1])
    assert done is not None, shown
    assert float(done[1]) >= seen[-1] >= 1.0, "at least as long as the last tick showed"
