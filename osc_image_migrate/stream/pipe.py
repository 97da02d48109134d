# SPDX-License-Identifier: Apache-2.0
"""Bytes from one command's output into another's input, through us.

The rbd path pipes ``rbd export-diff`` into ``rbd import-diff``; the
bytes pass through this process so that the run's rules hold for them as
for a stream: they are counted, held to ``--limit-rate`` (the run's
bandwidth.Limiter), and a pipe in which nothing moves for the stall
timeout is given up (both commands killed), as is one the run stops.
"""

import threading
import time
from typing import BinaryIO
from typing import Callable
from typing import Sequence

from osc_image_migrate.stream import bandwidth

PIECE = 1024 * 1024


class Stalled(Exception):
    """Nothing moved through the pipe for the stall timeout."""


class Stopped(Exception):
    """The run was stopped while the pipe moved bytes."""


def pump(source: BinaryIO, sink: BinaryIO, kill: Callable[[], None],
         stall_timeout: float,
         limiter: bandwidth.Limiter | None = None,
         stop: threading.Event | None = None,
         on_bytes: Callable[[int], None] | None = None,
         clock: Callable[[], float] = time.monotonic) -> int:
    """Copy ``source`` to ``sink`` until EOF; the bytes moved.

    ``kill`` ends both commands: a watchdog calls it when no byte moved
    for ``stall_timeout`` seconds or when ``stop`` is set, and this then
    raises Stalled or Stopped. ``sink`` is closed at the end.
    """
    moved = 0
    last = [clock()]
    done = threading.Event()
    why: list[type[Exception]] = []

    def watch() -> None:
        while not done.wait(min(1.0, stall_timeout / 4)):
            if stop is not None and stop.is_set():
                why.append(Stopped)
            elif clock() - last[0] > stall_timeout:
                why.append(Stalled)
            else:
                continue
            kill()
            return

    watchdog = threading.Thread(target=watch, daemon=True)
    watchdog.start()
    try:
        while True:
            piece = source.read1(PIECE)  # type: ignore[attr-defined]
            if not piece:
                break
            if limiter is not None and not limiter.take(len(piece), stop):
                why.append(Stopped)
                kill()
                break
            sink.write(piece)
            moved += len(piece)
            last[0] = clock()
            if on_bytes is not None:
                on_bytes(len(piece))
        sink.close()
    except (BrokenPipeError, ValueError, OSError):
        if not why:
            raise
    finally:
        done.set()
        watchdog.join()
    if why:
        raise why[0]('no byte moved for %d s' % stall_timeout
                     if why[0] is Stalled else 'stopped')
    return moved


def killer(processes: Sequence[object]) -> Callable[[], None]:
    """A ``kill`` for pump: SIGKILL each process still running."""
    def kill() -> None:
        for process in processes:
            if process.poll() is None:  # type: ignore[attr-defined]
                process.kill()  # type: ignore[attr-defined]
    return kill
