# SPDX-License-Identifier: Apache-2.0
"""Carry out a whole plan: parallel copies, dependencies, retries.

Images run ``parallel`` at a time. Kernel and ramdisk images finish before
the images that refer to them (the plan is split into waves by dependency
depth), so a dependant's ``kernel_id``/``ramdisk_id`` can be rewritten to
the dependency's destination ID. Each image is retried on transient errors
with backoff; each attempt opens a fresh source stream and first refreshes
a token that is close to expiry.
"""

import dataclasses
import logging
import threading
import time
from typing import Any
from typing import Callable
from typing import Mapping
from typing import Sequence

from osc_image_migrate import cancel
from osc_image_migrate.cloud import http
from osc_image_migrate.cloud import sessions
from osc_image_migrate.copying import image_copy
from osc_image_migrate.copying import offload
from osc_image_migrate.planning import planner
from osc_image_migrate.planning import quotas
from osc_image_migrate.run import progress as progress_mod
from osc_image_migrate.stream import options

LOG = logging.getLogger(__name__)

BACKOFF = (2, 5, 10, 20)
# Seconds that Ctrl-C waits for running copies to abort cleanly. A copy
# blocked on a stalled peer (for up to the read timeout) is abandoned
# instead: its upload is cut when the process exits, and Glance puts the
# record back to queued, as after a kill.
STOP_GRACE = 5
# Seconds between looks at Ctrl-C while every pending image waits for an
# upload slot.
SLOT_POLL = 0.5
# Seconds between the main thread's looks at Ctrl-C while copies run. The
# kernel hands a process-directed SIGINT to any thread, and Python runs its
# handler only in the main thread: a main thread blocked in a wait without
# a timeout would not notice it until a copy ended (a stalled one: never).
SIGNAL_POLL = 0.2


@dataclasses.dataclass(frozen=True, kw_only=True)
class Result:
    """One image's row of ``migrate``: what happened, how long, how fast."""

    source_id: str
    dest_id: str | None
    name: str | None
    result: str
    size: int | None
    seconds: float = 0
    rate: float = 0
    detail: str = ''

    @property
    def ok(self) -> bool:
        return self.result not in (image_copy.FAILED, image_copy.BLOCKED)


def waves(plan: list[planner.PlanItem]) -> list[list[planner.PlanItem]]:
    """Split the plan into lists whose dependencies are in earlier lists."""
    depth: dict[str, int] = {}
    for item in plan:  # the plan lists dependencies first
        depth[item.source_id] = 1 + max(
            (depth.get(d, -1) for d in item.depends_on), default=-1)
    grouped: dict[int, list[planner.PlanItem]] = {}
    for item in plan:
        grouped.setdefault(depth[item.source_id], []).append(item)
    return [grouped[d] for d in sorted(grouped)]


class Executor:
    """Runs plan items with a thread pool; collects one Result each."""

    def __init__(self, src: sessions.CloudClients | None,
                 dst: sessions.CloudClients | None, parallel: int = 4,
                 retries: int = 3, keep_ids: bool = False,
                 stream_options: options.StreamOptions = (
                     options.StreamOptions()),
                 progress: progress_mod.Progress | None = None,
                 backoff: Sequence[float] = BACKOFF,
                 upload_slots: Mapping[str, int] | None = None,
                 make_copy: Callable[[planner.PlanItem], Any] | None = None,
                 offloads: offload.Offloads = offload.Offloads()
                 ) -> None:
        self.src = src
        self.dst = dst
        self.parallel = parallel
        self.retries = retries
        self.keep_ids = keep_ids
        self.stream_options = stream_options
        self.progress = progress
        self.backoff = backoff
        self.stop = threading.Event()
        self.id_map: dict[str, str] = {}
        self.results: dict[str, Result] = {}
        self.running: dict[str, image_copy.ImageCopy] = {}
        self._lock = threading.Lock()
        # Free upload slots per destination project (Glance's
        # image_count_uploading, see quotas.upload_slots).
        self.free_slots = dict(upload_slots or {})
        self._slot_freed = threading.Condition(self._lock)
        # Another copy (into a bundle: copying/bundle_copy.py; from one:
        # an ImageCopy with its data_source), with ImageCopy's run() and
        # dest_id; then ``dst`` (into a bundle) or ``src`` may be None.
        self.make_copy = make_copy
        # The data paths other than the stream (copying/offload.py).
        self.offloads = offloads

    def run(self, plan: list[planner.PlanItem]) -> list[Result]:
        """Execute the plan; return Results in plan order."""
        if self.progress is not None:
            self.progress.start(plan)
        try:
            for wave in waves(plan):
                self._run_wave(wave)
                if self.stop.is_set():
                    break
        finally:
            if self.progress is not None:
                self.progress.finish()
        return self.run_results(plan)

    def run_results(self, plan: list[planner.PlanItem]) -> list[Result]:
        """Results in plan order; unfinished images count as failed."""
        results = []
        for item in plan:
            result = self.results.get(item.source_id)
            copy = self.running.get(item.source_id)
            if result is None and copy is not None:
                result = Result(source_id=item.source_id,
                                dest_id=copy.dest_id, name=item.name,
                                result=image_copy.FAILED, size=item.size,
                                detail='interrupted')
            results.append(result or Result(
                source_id=item.source_id, dest_id=None, name=item.name,
                result=image_copy.FAILED, size=item.size,
                detail='not started: the run was interrupted'))
        return results

    def _run_wave(self, wave):
        """Run the wave's items on ``parallel`` daemon threads.

        Not a ThreadPoolExecutor: its threads are joined at interpreter
        exit, so after Ctrl-C a copy stuck on a stalled peer would hold
        the exit for minutes. Here Ctrl-C stops new copies, waits
        STOP_GRACE for running ones to abort, and leaves the rest.
        """
        pending = list(reversed(wave))
        crashed = []

        def work(finished):
            try:
                while not self.stop.is_set():
                    with self._lock:
                        if not pending:
                            return
                        item, project = self._take(pending)
                        if item is None:
                            self._slot_freed.wait(SLOT_POLL)
                            continue
                    try:
                        self._run_item(item)
                    finally:
                        self._give_back(project)
            except Exception as e:  # noqa: a bug; raised below
                crashed.append(e)
                self.stop.set()
            finally:
                finished.set()

        # Events, not Thread.join: after a join is interrupted by Ctrl-C,
        # Python 3.11 can take a running thread for finished.
        finished = [threading.Event()
                    for _ in range(min(self.parallel, len(wave)))]
        started = []
        try:
            for event in finished:
                threading.Thread(target=work, args=(event,),
                                 daemon=True).start()
                started.append(event)
            for event in finished:
                while not event.wait(SIGNAL_POLL):
                    pass
        except BaseException:
            # Ctrl-C: let running uploads abort, start nothing new.
            self.stop.set()
            deadline = time.monotonic() + STOP_GRACE
            for event in started:
                event.wait(max(0, deadline - time.monotonic()))
            raise
        if crashed:
            raise crashed[0]

    def _take(self, pending):
        """The next item that may start, and the project of its slot.

        A data copy into a project with upload slots needs a free one;
        while that project's slots are busy, later images of other
        projects go first. (None, None): every pending image waits.
        """
        for index in range(len(pending) - 1, -1, -1):
            item = pending[index]
            project = None
            if item.action in planner.DATA_ACTIONS:
                project = quotas.owner_of(item)
                if project not in self.free_slots:
                    project = None
                elif not self.free_slots[project]:
                    continue
                else:
                    self.free_slots[project] -= 1
            del pending[index]
            return item, project
        return None, None

    def _give_back(self, project):
        if project is None:
            return
        with self._lock:
            self.free_slots[project] += 1
            self._slot_freed.notify_all()

    def _record(self, item, outcome, started):
        seconds = time.monotonic() - started
        rate = outcome.bytes / seconds if seconds > 0 and outcome.bytes else 0
        result = Result(source_id=item.source_id, dest_id=outcome.dest_id,
                        name=item.name, result=outcome.result,
                        size=item.size, seconds=round(seconds, 2),
                        rate=rate, detail=outcome.detail)
        with self._lock:
            self.results[item.source_id] = result
            if result.ok and outcome.dest_id:
                self.id_map[item.source_id] = outcome.dest_id
        if self.progress is not None:
            self.progress.done(item, result)

    def _run_item(self, item):
        started = time.monotonic()
        if self.stop.is_set():
            return
        failed_deps = [d for d in item.depends_on
                       if d in self.results and not self.results[d].ok]
        if item.action == planner.BLOCKED:
            outcome = image_copy.Outcome(image_copy.BLOCKED, item.dest_id,
                                         detail=item.reason)
        elif item.action == planner.REUSE:
            # Identical data there already: nothing to write, whatever
            # became of its dependencies; dependants follow its ID.
            outcome = image_copy.Outcome(image_copy.REUSED, item.dest_id,
                                         detail=item.reason)
        elif failed_deps:
            outcome = image_copy.Outcome(
                image_copy.FAILED, None,
                detail='dependency %s was not migrated' % failed_deps[0])
        else:
            outcome = self._attempts(item)
        if outcome is not None:
            self._record(item, outcome, started)

    def _copy(self, item):
        if self.make_copy is not None:
            return self.make_copy(item)
        assert self.dst is not None  # only a bundle's run has none
        return image_copy.ImageCopy(self.src, self.dst, item, self.keep_ids,
                                    self.stream_options,
                                    offloads=self.offloads)

    def _attempts(self, item):
        copy = self._copy(item)
        self.running[item.source_id] = copy
        on_bytes = (self.progress.bytes_done(item)
                    if self.progress is not None else None)
        attempt = 0
        renew = False
        while True:
            try:
                for clients in filter(None, (self.src, self.dst)):
                    with http.translated('cloud %s' % clients.name):
                        sessions.ready_token(clients, renew)
                return copy.run(dict(self.id_map), on_bytes=on_bytes,
                                stop=self.stop)
            except cancel.Interrupted:
                return image_copy.Outcome(image_copy.FAILED, copy.dest_id,
                                          detail='interrupted')
            except http.CloudError as e:
                retriable, message = e.retriable, str(e)
                # A data request never re-authenticates by itself (that
                # would replay its body): after a 401 the retry needs a new
                # token, even when the old one looks valid to us.
                renew = e.status == 401
            except Exception as e:  # noqa: broad on purpose: per image
                retriable, message, renew = False, http.describe(e), False
            if (not retriable or attempt >= self.retries
                    or self.stop.is_set()):
                LOG.debug('Image %s failed: %s', item.source_id, message)
                return image_copy.Outcome(image_copy.FAILED, copy.dest_id,
                                          detail=message)
            delay = self.backoff[min(attempt, len(self.backoff) - 1)]
            LOG.warning('Image %s: %s; retrying in %ss', item.source_id,
                        message, delay)
            attempt += 1
            if self.stop.wait(delay):
                return image_copy.Outcome(image_copy.FAILED, copy.dest_id,
                                          detail='interrupted')
