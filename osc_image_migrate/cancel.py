# SPDX-License-Identifier: Apache-2.0
"""The run's cancellation signal, below every layer.

A run is stopped (Ctrl-C, SIGTERM) by setting one ``threading.Event``,
the ``stop`` that every step of every copy is given. A step that waits
waits on it, so that it ends at once when the run stops, and says so by
raising :class:`Interrupted`.
"""

import threading
import time

# Seconds between two looks at the destination while waiting for it (a
# record leaving ``saving``, an import finishing, an import task settling).
POLL_SECONDS = 1.0


class Interrupted(Exception):
    """The run is stopping: the step was abandoned on purpose."""

    def __init__(self, message: str = 'interrupted') -> None:
        super().__init__(message)


def pause(stop: threading.Event | None, seconds: float) -> None:
    """Wait ``seconds``; raise Interrupted as soon as ``stop`` is set."""
    if stop is None:
        time.sleep(seconds)
    elif stop.wait(seconds):
        raise Interrupted()
