"""Carry out a whole plan: parallel copies, dependencies, retries.

Images run ``parallel`` at a time. Kernel and ramdisk images finish before
the images that refer to them (the plan is split into waves by dependency
depth), so a dependant's ``kernel_id``/``ramdisk_id`` can be rewritten to
the dependency's destination ID. Each image is retried on transient errors
with backoff; each attempt opens a fresh source stream and first refreshes
a token that is close to expiry.
"""

import concurrent.futures
import dataclasses
import logging
import threading
import time

from osc_image_migrate import errors
from osc_image_migrate import image_copy
from osc_image_migrate import planning
from osc_image_migrate import transfer

LOG = logging.getLogger(__name__)

# Re-authenticate between attempts when the token has less than this left.
TOKEN_MARGIN = 600
BACKOFF = (2, 5, 10, 20)


@dataclasses.dataclass
class Result:
    source_id: str
    dest_id: str
    name: str
    result: str
    size: int
    seconds: float
    rate: float
    detail: str

    @property
    def ok(self):
        return self.result not in (image_copy.FAILED, image_copy.BLOCKED)


def waves(plan):
    """Split the plan into lists whose dependencies are in earlier lists."""
    depth = {}
    for item in plan:  # the plan lists dependencies first
        depth[item.source_id] = 1 + max(
            (depth.get(d, -1) for d in item.depends_on), default=-1)
    grouped = {}
    for item in plan:
        grouped.setdefault(depth[item.source_id], []).append(item)
    return [grouped[d] for d in sorted(grouped)]


class Executor:
    """Runs plan items with a thread pool; collects one Result each."""

    def __init__(self, src, dst, parallel=4, retries=3, keep_ids=False,
                 progress=None, backoff=BACKOFF):
        self.src = src
        self.dst = dst
        self.parallel = parallel
        self.retries = retries
        self.keep_ids = keep_ids
        self.progress = progress
        self.backoff = backoff
        self.stop = threading.Event()
        self.id_map = {}
        self.results = {}
        self._lock = threading.Lock()

    def run(self, plan):
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

    def run_results(self, plan):
        """Results in plan order; images never started count as failed."""
        return [self.results.get(item.source_id) or Result(
            item.source_id, None, item.name, image_copy.FAILED, item.size,
            0, 0, 'not started: the run was interrupted') for item in plan]

    def _run_wave(self, wave):
        with concurrent.futures.ThreadPoolExecutor(self.parallel) as pool:
            futures = [pool.submit(self._run_item, item) for item in wave]
            try:
                for future in concurrent.futures.as_completed(futures):
                    future.result()
            except BaseException:
                # Ctrl-C: let running uploads abort, start nothing new.
                self.stop.set()
                for future in futures:
                    future.cancel()
                raise

    def _record(self, item, outcome, started):
        seconds = time.monotonic() - started
        rate = outcome.bytes / seconds if seconds > 0 and outcome.bytes else 0
        result = Result(item.source_id, outcome.dest_id, item.name,
                        outcome.result, item.size, round(seconds, 2),
                        rate, outcome.detail)
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
        if item.action == planning.BLOCKED:
            outcome = image_copy.Outcome(image_copy.BLOCKED, item.dest_id,
                                         detail=item.reason)
        elif failed_deps:
            outcome = image_copy.Outcome(
                image_copy.FAILED, None,
                detail='dependency %s was not migrated' % failed_deps[0])
        else:
            outcome = self._attempts(item)
        if outcome is not None:
            self._record(item, outcome, started)

    def _attempts(self, item):
        copy = image_copy.ImageCopy(self.src, self.dst, item, self.keep_ids)
        on_bytes = (self.progress.bytes_done(item)
                    if self.progress is not None else None)
        attempt = 0
        renew = False
        while True:
            try:
                for clients in (self.src, self.dst):
                    with errors.translated('cloud %s' % clients.name):
                        if renew:
                            clients.reauthenticate()
                        else:
                            clients.refresh_token_if_expiring(TOKEN_MARGIN)
                return copy.run(dict(self.id_map), on_bytes=on_bytes,
                                stop=self.stop)
            except transfer.Interrupted:
                return image_copy.Outcome(image_copy.FAILED, copy.dest_id,
                                          detail='interrupted')
            except Exception as e:  # noqa: broad on purpose: per image
                retriable = (getattr(e, 'retriable', False)
                             or errors.is_transient(e))
                message = (str(e) if isinstance(e, transfer.TransferError)
                           else errors.describe(e))
                # A data request never re-authenticates by itself (that
                # would replay its body): after a 401 the retry needs a new
                # token, even when the old one looks valid to us.
                renew = 401 in (getattr(e, 'status', None),
                                getattr(e, 'http_status', None))
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
