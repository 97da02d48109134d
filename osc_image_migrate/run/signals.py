# SPDX-License-Identifier: Apache-2.0
"""SIGTERM stops a run the way Ctrl-C does.

Kubernetes sends SIGTERM to a Job's pod it stops, Ansible to a task past
its timeout, systemd to a unit it stops; Python's default for SIGTERM ends
the process at once, mid-upload, with no rows printed. While a command
runs, SIGTERM raises :class:`Terminated` in the main thread instead: a
KeyboardInterrupt, so that every path Ctrl-C takes (no new image started,
running copies abandoned safely within the grace, every row printed) is
taken, and the command then exits 143, as a shell reports SIGTERM.
"""

import contextlib
import signal
import threading
from types import FrameType
from typing import Iterator


class Terminated(KeyboardInterrupt):
    """The run received SIGTERM."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Inside, SIGTERM raises Terminated; outside, it does what it did.

    Only the main thread may set a handler (a command run in a worker
    thread, as in some tests, keeps the default).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)
