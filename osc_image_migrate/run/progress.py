# SPDX-License-Identifier: Apache-2.0
"""Progress on stderr: per image and overall bytes, rate and ETA.

Only for a terminal (or when asked): stdout belongs to the formatter.
"""

import threading
import time
from typing import Callable
from typing import cast
from typing import Sequence
from typing import TextIO
from typing import TYPE_CHECKING

from osc_image_migrate.planning import planner

if TYPE_CHECKING:
    from osc_image_migrate.run import executor

REFRESH_SECONDS = 0.5


def human_bytes(n: float) -> str:
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if abs(n) < 1024:
            return ('%d %s' % (n, unit) if unit == 'B'
                    else '%.1f %s' % (n, unit))
        n /= 1024.0
    return '%.1f TiB' % n


def human_seconds(seconds: float) -> str:
    seconds = int(seconds)
    return '%d:%02d:%02d' % (seconds // 3600, seconds // 60 % 60,
                             seconds % 60)


class Progress:
    """A one-line status, redrawn at most every REFRESH_SECONDS."""

    def __init__(self, stream: TextIO,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.lock = threading.Lock()
        self.total_bytes = 0
        self.total_images = 0
        self.done_bytes = 0
        self.done_images = 0
        # source ID: (name, bytes sent, size)
        self.active: dict[str, tuple[str | None, int, int | None]] = {}
        self.started: float | None = None
        self.last_draw = 0.0

    def start(self, plan: Sequence[planner.PlanItem]) -> None:
        self.total_images = len(plan)
        self.total_bytes = sum(i.size or 0 for i in plan
                               if i.action in planner.DATA_ACTIONS)
        self.started = self.clock()

    def bytes_done(self, item: planner.PlanItem) -> Callable[[int], None]:
        """A callback that counts bytes sent for ``item``."""
        def count(n: int) -> None:
            with self.lock:
                self.done_bytes += n
                name, sent, size = self.active.get(
                    item.source_id, (item.name, 0, item.size))
                self.active[item.source_id] = (name, sent + n, size)
            self._draw()
        return count

    def done(self, item: planner.PlanItem,
             result: 'executor.Result') -> None:
        with self.lock:
            self.done_images += 1
            self.active.pop(item.source_id, None)
        self._draw(force=True)

    def line(self) -> str:
        elapsed = max(self.clock() - cast(float, self.started), 1e-6)
        rate = self.done_bytes / elapsed
        left = self.total_bytes - self.done_bytes
        eta = human_seconds(left / rate) if rate > 0 and left > 0 else '-'
        parts = ['[%d/%d images] %s / %s, %s/s, ETA %s' % (
            self.done_images, self.total_images,
            human_bytes(self.done_bytes), human_bytes(self.total_bytes),
            human_bytes(rate), eta)]
        for name, sent, size in list(self.active.values())[:3]:
            share = '%d%%' % (100 * sent // size) if size else '?'
            parts.append('%s %s' % ((name or '')[:24], share))
        return ' | '.join(parts)

    def _draw(self, force: bool = False) -> None:
        now = self.clock()
        if not force and now - self.last_draw < REFRESH_SECONDS:
            return
        self.last_draw = now
        with self.lock:
            text = self.line()
        self.stream.write('\r\x1b[K' + text)
        self.stream.flush()

    def finish(self) -> None:
        if self.started is not None:
            self._draw(force=True)
            self.stream.write('\n')
            self.stream.flush()
