"""Progress lines of long commands: on a terminal (a real pseudo-terminal) and never elsewhere."""

from __future__ import annotations

import os
import pty
import time
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


def test_a_long_operation_ticks_and_reports_its_time(terminal):
    with progress(Stream(terminal.stream), "working"):
        time.sleep(1.2)
    shown = terminal.read()
    ticks = [part for part in shown.split(ERASE_LINE) if part.startswith("working … ") and part.endswith("s")]
    assert len(ticks) >= 3, shown
    assert shown.split(ERASE_LINE)[-1].startswith("working: done in 1.")
