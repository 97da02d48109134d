# SPDX-License-Identifier: Apache-2.0
"""One bandwidth limit shared by every copy of a run (``--limit-rate``).

Operators run migrations during business hours next to production traffic:
the limit caps the whole run, however many images are copied at once. Each
copy asks for its bytes before it reads them from the source, so the source
download, and with it the upload, flows at the limit; nothing is buffered.
"""

import re
import threading
import time
from typing import Callable

UNITS = {'': 1, 'K': 1024, 'M': 1024 ** 2, 'G': 1024 ** 3}
_RATE = re.compile(r'^\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMG]?)(?:i?B)?\s*$',
                   re.IGNORECASE)
# At most this long between two reads of one stream: a source server with a
# short socket timeout (uWSGI: 4 s) must not see its client stall.
MAX_WAIT = 0.25
MIN_PIECE = 16 * 1024


def parse_rate(text: str | None) -> int:
    """Bytes per second from '800K', '50M', '1.5G' (1024-based) or '1000'.

    Raises ValueError with a message fit for an operator.
    """
    match = _RATE.match(text or '')
    rate = (float(match.group(1)) * UNITS[match.group(2).upper()]
            if match else 0)
    if rate < 1:
        raise ValueError(
            '%r is not a rate: give bytes per second, with K, M or G for '
            'KiB, MiB or GiB (e.g. 50M)' % text)
    return int(rate)


class Limiter:
    """A schedule of the bytes to read, shared by threads.

    Every ``take`` books its bytes at the end of the schedule and waits
    until their slot has passed. Time in which nobody read (a stream busy
    hashing, or waiting for the source to refill its window after a pause)
    is credited for up to MAX_WAIT, no more: so the bytes read never exceed
    ``rate`` x (the time since the first take + MAX_WAIT), and a single
    stream still reaches the rate.
    """

    def __init__(self, rate: float,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        # Pieces small enough that one take waits about MAX_WAIT.
        self.piece = max(MIN_PIECE, int(rate * MAX_WAIT))
        self._clock = clock
        self._sleep = sleep
        self._booked_until: float | None = None
        self._lock = threading.Lock()

    def take(self, size: int,
             stop: threading.Event | None = None) -> bool:
        """Wait until ``size`` bytes may be read; False if ``stop`` is set."""
        with self._lock:
            now = self._clock()
            start = now - MAX_WAIT
            if self._booked_until is not None:
                start = max(start, self._booked_until)
            self._booked_until = start + size / self.rate
            wait = self._booked_until - now
        if wait <= 0:
            return stop is None or not stop.is_set()
        if stop is not None:
            return not stop.wait(wait)
        self._sleep(wait)
        return True
