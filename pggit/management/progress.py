"""A progress line for long operations, shown only when the stream is a terminal.

``with progress(self.stderr, "merging feature into main"):`` writes the label at once, keeps an
elapsed-time counter ticking in place while the block runs, and at the end erases the line when
the work took under a second, or leaves ``label: done in 2.3s``. Pipes, files and ``--json``
output never see it: the progress goes to stderr, and only on a TTY.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class ProgressStream(Protocol):
    """What progress() writes to: Django's OutputWrapper (a command's ``self.stderr``) has it."""

    def write(self, msg: str, /, *, ending: str) -> object: ...

    def flush(self) -> object: ...


TICK_SECONDS = 0.25
ERASE_LINE = "\r\x1b[K"


@contextmanager
def progress(stream: ProgressStream, label: str) -> Iterator[None]:
    if not _is_tty(stream):
        yield
        return
    started = time.monotonic()
    finished = threading.Event()
    lock = threading.Lock()

    def show(text: str) -> None:
        with lock:
            stream.write(f"{ERASE_LINE}{text}", ending="")
            stream.flush()

    def tick() -> None:
        while not finished.wait(TICK_SECONDS):
            show(f"{label} … {time.monotonic() - started:.1f}s")

    show(f"{label} …")
    ticker = threading.Thread(target=tick, name="pggit-progress", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        finished.set()
        ticker.join()
        elapsed = time.monotonic() - started
        show(f"{label}: done in {elapsed:.1f}s\n" if elapsed >= 1 else "")


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a real stream
        return False
